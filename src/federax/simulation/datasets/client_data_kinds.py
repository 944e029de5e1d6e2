"""The generic `ClientData`s: from a function, and preprocessed."""

from __future__ import annotations

import logging

import numpy as np

from federax.simulation.datasets import client_data as client_data_lib


def _ids(client_ids, where: str):
  if isinstance(client_ids, (str, bytes)) or not hasattr(
      client_ids, '__len__'):
    raise TypeError(f'{where}: client_ids: expected a list or tuple of str, '
                    f'got {type(client_ids).__name__}.')
  ids = client_ids if not isinstance(client_ids, list) else tuple(client_ids)
  if len(ids) == 0:  # pylint: disable=g-explicit-length-test
    raise ValueError(f'{where}: client_ids: expected at least one client id, '
                     f'got none.')
  if isinstance(ids, tuple):
    bad = next((c for c in ids if not isinstance(c, str)), None)
    if bad is not None:
      raise TypeError(f'{where}: client_ids: expected str ids, got '
                      f'{bad!r} ({type(bad).__name__}); convert them, e.g. '
                      f'[str(i) for i in ids].')
  return ids


class ConcreteClientData(client_data_lib.ClientData):
  """Client ids and a function from id to dataset.

  Example:
    >>> from federax.simulation.datasets.dataset import Dataset
    >>> cd = ConcreteClientData(['a'], lambda i: Dataset.from_tensor_slices([1]))
    >>> cd.client_ids
    ('a',)
  """

  def __init__(self, client_ids, serializable_dataset_fn):
    if not callable(serializable_dataset_fn):
      raise TypeError(
          f'ClientData.from_clients_and_fn: serializable_dataset_fn: '
          f'expected a function from client id to Dataset, got '
          f'{type(serializable_dataset_fn).__name__}.')
    self._client_ids = _ids(client_ids, 'ClientData.from_clients_and_fn')
    self._fn = serializable_dataset_fn

  @property
  def client_ids(self):
    return self._client_ids

  @property
  def serializable_dataset_fn(self):
    return self._fn


class PreprocessClientData(client_data_lib.ClientData):
  """Another `ClientData` with a function applied to each dataset.

  Example:
    >>> base = client_data_lib.ClientData.from_arrays({'a': [1, 2]})
    >>> [int(x) for x in PreprocessClientData(
    ...     base, lambda ds: ds.take(1)).create_dataset_for_client('a')]
    [1]
  """

  def __init__(self, underlying, preprocess_fn, keeps_counts=False):
    # keeps_counts: preprocess_fn keeps every example (a map), so the
    # underlying data's example counts hold.
    self._underlying = underlying
    self._preprocess_fn = preprocess_fn
    self._keeps_counts = keeps_counts

  def num_examples_for_client(self, client_id):
    if self._keeps_counts:
      return self._underlying.num_examples_for_client(client_id)
    return super().num_examples_for_client(client_id)

  @property
  def client_ids(self):
    return self._underlying.client_ids

  @property
  def serializable_dataset_fn(self):
    fn, preprocess = self._underlying.serializable_dataset_fn, (
        self._preprocess_fn)
    return lambda client_id: preprocess(client_data_lib.to_dataset(
        fn(client_id), f'client {client_id!r}'))

  def _has_client(self, client_id):
    return self._underlying._has_client(client_id)  # pylint: disable=protected-access

  def create_dataset_for_client(self, client_id):
    return client_data_lib.to_dataset(
        self._preprocess_fn(
            self._underlying.create_dataset_for_client(client_id)),
        f'preprocess_fn\'s result for client {client_id!r}')

  create_tf_dataset_for_client = create_dataset_for_client


def train_test_client_split(client_data, num_test_clients, seed):
  """See `ClientData.train_test_client_split`."""
  if not isinstance(client_data, client_data_lib.ClientData):
    raise TypeError(f'train_test_client_split: client_data: expected a '
                    f'ClientData, got {type(client_data).__name__}.')
  if (not isinstance(num_test_clients, int) or isinstance(
      num_test_clients, bool) or num_test_clients <= 0):
    raise ValueError(f'train_test_client_split: num_test_clients: expected '
                     f'an int > 0, got {num_test_clients!r}.')
  n = len(client_data.client_ids)
  if n <= num_test_clients:
    raise ValueError(
        f'train_test_client_split: num_test_clients: the client_data has '
        f'only {n} clients, but {num_test_clients} test clients were asked '
        f'for; ask for at most {n - 1}.')
  client_data_lib.check_seed(seed, 'train_test_client_split')
  train_ids = list(client_data.client_ids)
  np.random.RandomState(seed).shuffle(train_ids)
  empty, test_ids = [], []
  while len(test_ids) < num_test_clients:
    if not train_ids or len(empty) > 5 * num_test_clients + 10:
      raise ValueError(
          f'train_test_client_split: too many clients have no data '
          f'({len(empty)} so far) to find {num_test_clients} test clients '
          f'with data; ask for fewer test clients.')
    client_id = train_ids.pop()
    if next(iter(client_data.create_dataset_for_client(client_id)),
            None) is None:
      logging.warning('Client %s has no data; kept for training.', client_id)
      empty.append(client_id)
    else:
      test_ids.append(client_id)
  fn = client_data.serializable_dataset_fn
  return (ConcreteClientData(train_ids + empty, fn),
          ConcreteClientData(test_ids, fn))
