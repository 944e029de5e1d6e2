"""Client datasets read on the workers, not shipped from the driver."""

from __future__ import annotations

import hashlib
from typing import Callable, Sequence


class RemoteClientData:
  """The datasets of `client_ids`, read on the Ray workers.

  Pass it where a computation takes CLIENTS-placed sequences (a learning
  process's client data): the driver sends each worker only the ids of its
  share and the `factory` (pickled once per call), and the worker builds
  the `ClientData` with `factory()` (once; it keeps the last few) and reads
  its clients' datasets from it, `dataset_fn(client_data, client_id)` or by
  default `client_data.create_dataset_for_client(client_id)`. The factory
  must be picklable and cheap to send: a function that opens files the
  workers can read (e.g. `functools.partial(emnist.load_data, cache_dir=)`),
  not a closure over data in the driver's memory. The computation must be
  typed (a `federated_computation` with type specs, a learning process's
  `next`), since the driver never sees the data.

  Example:
    >>> import numpy as np
    >>> import federax as fx
    >>> def make():
    ...   return fx.simulation.datasets.ClientData.from_clients_and_fn(
    ...       ['a', 'b', 'c'], lambda c: {'x': np.ones(ord(c) - 96, np.float32)})
    >>> data = fx.backends.ray.RemoteClientData(make, ['c', 'a'])
    >>> len(data), data.subset(1, 2).client_ids
    (2, ['a'])
    >>> [len(d) for d in data.datasets({})]  # what a worker reads
    [3, 1]
  """

  def __init__(self, factory: Callable, client_ids: Sequence,
               dataset_fn: Callable | None = None):
    if not callable(factory):
      raise TypeError(f'factory: expected a function returning a ClientData '
                      f'(e.g. functools.partial(emnist.load_data, ...)), got '
                      f'{type(factory).__name__}.')
    if dataset_fn is not None and not callable(dataset_fn):
      raise TypeError(f'dataset_fn: expected None or a function '
                      f'(client_data, client_id) -> dataset, got '
                      f'{type(dataset_fn).__name__}.')
    if isinstance(client_ids, (str, bytes)) or not hasattr(client_ids,
                                                           '__len__'):
      raise TypeError(f'client_ids: expected a list of client ids, got '
                      f'{type(client_ids).__name__}; wrap a single id in a '
                      f'list.')
    self.factory, self.dataset_fn = factory, dataset_fn
    self.client_ids = list(client_ids)
    self._key = None

  def __len__(self):
    return len(self.client_ids)

  def __repr__(self):
    return (f'RemoteClientData({getattr(self.factory, "__name__", "factory")}'
            f', {len(self.client_ids)} clients)')

  @property
  def key(self) -> str:
    """A digest of the factory and dataset_fn: equal ones share a cache."""
    if self._key is None:
      import cloudpickle
      blob = cloudpickle.dumps((self.factory, self.dataset_fn))
      self._key = hashlib.sha256(blob).hexdigest()
    return self._key

  def subset(self, start: int, stop: int) -> 'RemoteClientData':
    """The clients `start..stop-1`, with the same factory."""
    out = RemoteClientData(self.factory, self.client_ids[start:stop],
                           self.dataset_fn)
    out._key = self._key
    return out

  def datasets(self, cache: dict, max_cached: int = 4) -> list:
    """The clients' datasets, with the ClientData taken from (or put in)
    `cache` (a dict of at most `max_cached` ClientData, newest last)."""
    key = self.key
    if key in cache:
      client_data = cache.pop(key)
    else:
      client_data = self.factory()
    cache[key] = client_data
    while len(cache) > max_cached:
      del cache[next(iter(cache))]
    if self.dataset_fn is not None:
      return [self.dataset_fn(client_data, c) for c in self.client_ids]
    return [client_data.create_dataset_for_client(c) for c in self.client_ids]

  def __getstate__(self):
    state = dict(self.__dict__)
    if state['_key'] is None:
      state['_key'] = self.key
    return state
