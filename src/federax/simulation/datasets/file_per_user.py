"""`FilePerUserClientData`: one file per client."""

from __future__ import annotations

import collections.abc
import os

import numpy as np

from federax.simulation.datasets import client_data as client_data_lib
from federax.simulation.datasets import dataset as dataset_lib


def load_npz(path: str):
  """A `Dataset` over the arrays of an `.npz` file (leading axis:
  examples); the file is read when the dataset is first iterated.

  Example:
    >>> import os, tempfile, numpy as np
    >>> path = os.path.join(tempfile.mkdtemp(), 'a.npz')
    >>> np.savez(path, x=np.arange(3, dtype=np.int32))
    >>> [int(e['x']) for e in load_npz(path)]
    [0, 1, 2]
  """
  def examples():
    with np.load(path, allow_pickle=False) as data:
      table = {k: data[k] for k in data.files}
    return iter(dataset_lib.Dataset.from_tensor_slices(table))
  return dataset_lib.Dataset.from_generator(examples)


class FilePerUserClientData(client_data_lib.ClientData):
  """A `ClientData` whose clients each have a file (TFF's class).

  `client_ids_to_files` maps each client id to its file; `dataset_fn(path)`
  reads one file as a `Dataset` (by default `load_npz`). Files are read
  only when a client's dataset is iterated.

  Example:
    >>> import os, tempfile, numpy as np
    >>> root = tempfile.mkdtemp()
    >>> for name in ('alice', 'bob'):
    ...   np.savez(os.path.join(root, name + '.npz'), y=np.arange(2))
    >>> cd = FilePerUserClientData.create_from_dir(root)
    >>> cd.client_ids
    ('alice', 'bob')
  """

  def __init__(self, client_ids_to_files, dataset_fn=load_npz):
    if not isinstance(client_ids_to_files, collections.abc.Mapping) or (
        not client_ids_to_files):
      raise TypeError(
          f'FilePerUserClientData: client_ids_to_files: expected a non-empty '
          f'dict from client id to file path, got '
          f'{type(client_ids_to_files).__name__}.')
    if not callable(dataset_fn):
      raise TypeError(f'FilePerUserClientData: dataset_fn: expected a '
                      f'function from a file path to a Dataset, got '
                      f'{type(dataset_fn).__name__}.')
    self._files = dict(client_ids_to_files)
    self._client_ids = tuple(sorted(self._files))
    self._dataset_fn = dataset_fn

  @classmethod
  def create_from_dir(cls, path: str, create_dataset_fn=load_npz):
    """One client per file in directory `path`, named by the file name
    without its extension.

    Example:
      >>> import tempfile
      >>> FilePerUserClientData.create_from_dir(tempfile.mkdtemp())
      Traceback (most recent call last):
      ...
      ValueError: create_from_dir: path: no files in ...
    """
    if not os.path.isdir(path):
      raise ValueError(f'create_from_dir: path: {path!r} is not a directory.')
    files = {os.path.splitext(name)[0]: os.path.join(path, name)
             for name in sorted(os.listdir(path))
             if os.path.isfile(os.path.join(path, name))}
    if not files:
      raise ValueError(f'create_from_dir: path: no files in {path!r}.')
    return cls(files, create_dataset_fn)

  @property
  def client_ids(self):
    return self._client_ids

  @property
  def serializable_dataset_fn(self):
    return lambda client_id: self._dataset_fn(self._files[client_id])
