"""`ClientData`: a federated dataset, one `Dataset` per client id."""

from __future__ import annotations

import abc
import itertools

import numpy as np

from federax.simulation.datasets import dataset as dataset_lib
from federax.simulation.datasets.dataset import Dataset


def check_seed(seed, where: str):
  """TFF's seed rule: None, an int in [0, 2**32) or a sequence of them."""
  def ok(x):
    return isinstance(x, (int, np.integer)) and not isinstance(
        x, bool) and 0 <= x < 2**32
  if seed is None or ok(seed) or (
      isinstance(seed, (list, tuple)) and all(ok(x) for x in seed)):
    return
  raise TypeError(f'{where}: seed: expected None, an int in [0, 2**32) or a '
                  f'list of them, got {seed!r}.')


def to_dataset(value, where: str) -> dataset_lib.Dataset:
  """A client's data as a `Dataset`: a dataset, a list of examples, or a
  dict/tuple of arrays sharing a leading examples axis."""
  if isinstance(value, Dataset):
    return value
  if isinstance(value, list):
    return dataset_lib.Dataset.from_examples(value)
  if isinstance(value, (dict, tuple)):
    return dataset_lib.Dataset.from_tensor_slices(value)
  raise TypeError(
      f'{where}: expected the client\'s data as an '
      f'fx.simulation.datasets.Dataset (or a list of examples, or a dict of '
      f'arrays with a leading examples axis), got {type(value).__name__}. '
      f'Return e.g. Dataset.from_tensor_slices({{"x": x, "y": y}}).')


class ClientData(abc.ABC):
  """A federated dataset: client ids and a function from id to `Dataset`.

  TFF's `tff.simulation.datasets.ClientData`. Datasets are built when
  asked for, so a population of any size costs memory only for the
  clients in use. `create_tf_dataset_for_client` and the other `tf`
  names are aliases for TFF users.

  Example:
    >>> import numpy as np
    >>> cd = ClientData.from_arrays({
    ...     'a': {'x': np.arange(3, dtype=np.float32)},
    ...     'b': {'x': np.arange(2, dtype=np.float32)}})
    >>> cd.client_ids, len(cd.create_dataset_for_client('b'))
    (('a', 'b'), 2)
    >>> print(cd.element_type_structure)
    <x=float32>
  """

  @property
  @abc.abstractmethod
  def client_ids(self):
    """The client ids (strings), as a sequence."""

  @property
  @abc.abstractmethod
  def serializable_dataset_fn(self):
    """The function from a client id to its `Dataset` (no id check)."""

  @property
  def element_type_structure(self):
    """The spec of one example (an `fx` type), from the first client."""
    spec = getattr(self, '_element_type_cache', None)
    if spec is None:
      spec = self.create_dataset_for_client(
          next(iter(self.client_ids))).element_spec
      self._element_type_cache = spec
    return spec

  def _has_client(self, client_id) -> bool:
    ids = self.client_ids
    if len(ids) > 200_000:  # A set would cost more memory than a scan.
      return client_id in ids
    cache = getattr(self, '_id_set', None)
    if cache is None or cache[0] is not ids:
      cache = (ids, frozenset(ids))
      self._id_set = cache
    return client_id in cache[1]

  def create_dataset_for_client(self, client_id: str):
    """The `Dataset` of one client.

    Example:
      >>> cd = ClientData.from_clients_and_fn(
      ...     ['1', '2'], lambda i: Dataset.from_tensor_slices([int(i)] * 3))
      >>> [int(x) for x in cd.create_dataset_for_client('2')]
      [2, 2, 2]
    """
    if not self._has_client(client_id):
      raise ValueError(
          f'client_id: {client_id!r} is not a client of this ClientData '
          f'({len(self.client_ids)} clients, e.g. '
          f'{list(itertools.islice(self.client_ids, 3))}); pick one from '
          f'client_data.client_ids.')
    return to_dataset(self.serializable_dataset_fn(client_id),
                      f'the dataset of client {client_id!r}')

  create_tf_dataset_for_client = create_dataset_for_client

  def num_examples_for_client(self, client_id: str) -> int:
    """How many examples a client holds (counted if not known otherwise).

    Example:
      >>> ClientData.from_arrays({'a': [1, 2, 3]}).num_examples_for_client('a')
      3
    """
    ds = self.create_dataset_for_client(client_id)
    n = ds.cardinality
    return n if n >= 0 else sum(1 for _ in ds)

  def _shuffled_ids(self, seed) -> list:
    ids = list(self.client_ids)
    np.random.RandomState(seed=seed).shuffle(ids)  # TFF's order for a seed.
    return ids

  def datasets(self, limit_count: int | None = None, seed=None):
    """Yields the datasets of clients in a random order (TFF's for `seed`).

    Example:
      >>> cd = ClientData.from_arrays({str(i): [i] for i in range(5)})
      >>> [int(next(iter(d))) for d in cd.datasets(limit_count=3, seed=0)]
      [2, 0, 1]
    """
    check_seed(seed, 'ClientData.datasets')
    ids = self._shuffled_ids(seed)
    for client_id in ids[:limit_count] if limit_count is not None else ids:
      yield self.create_dataset_for_client(client_id)

  def create_dataset_from_all_clients(self, seed=None):
    """One `Dataset` of every client's examples, client after client (in
    TFF's random client order for `seed`), built lazily.

    Example:
      >>> cd = ClientData.from_arrays({'a': [1, 2], 'b': [3]})
      >>> sorted(int(x) for x in cd.create_dataset_from_all_clients(seed=1))
      [1, 2, 3]
    """
    check_seed(seed, 'ClientData.create_dataset_from_all_clients')
    ids = self._shuffled_ids(seed)
    fn = self.serializable_dataset_fn

    def iterate(epoch):
      for client_id in ids:
        yield from to_dataset(fn(client_id), f'client {client_id!r}')

    return dataset_lib.Dataset(iterate)

  create_tf_dataset_from_all_clients = create_dataset_from_all_clients

  def preprocess(self, preprocess_fn):
    """A `ClientData` whose datasets are `preprocess_fn(dataset)`.

    Example:
      >>> cd = ClientData.from_arrays({'a': [1, 2, 3]}).preprocess(
      ...     lambda ds: ds.map(lambda x: 2 * x).batch(2))
      >>> [b.tolist() for b in cd.create_dataset_for_client('a')]
      [[2, 4], [6]]
    """
    from federax.simulation.datasets import client_data_kinds
    if not callable(preprocess_fn):
      raise TypeError(f'ClientData.preprocess: preprocess_fn: expected a '
                      f'function from Dataset to Dataset, got '
                      f'{type(preprocess_fn).__name__}.')
    return client_data_kinds.PreprocessClientData(self, preprocess_fn)

  @classmethod
  def from_clients_and_fn(cls, client_ids, serializable_dataset_fn):
    """A `ClientData` from ids and a function from id to `Dataset`
    (TFF's `from_clients_and_tf_fn`); `client_ids` is kept, not copied,
    when it is a tuple or a `range`-like sequence.

    Example:
      >>> cd = ClientData.from_clients_and_fn(
      ...     ['x', 'y'], lambda i: Dataset.from_tensor_slices([i, i]))
      >>> len(cd.client_ids)
      2
    """
    from federax.simulation.datasets import client_data_kinds
    return client_data_kinds.ConcreteClientData(client_ids,
                                                serializable_dataset_fn)

  @classmethod
  def from_clients_and_tf_fn(cls, client_ids, serializable_dataset_fn):
    """TFF's name for `from_clients_and_fn`.

    Example:
      >>> ClientData.from_clients_and_tf_fn(['a'], lambda i: [1]).client_ids
      ('a',)
    """
    return cls.from_clients_and_fn(client_ids, serializable_dataset_fn)

  @classmethod
  def from_arrays(cls, tensor_slices_dict):
    """An in-memory `ClientData` (TFF's `TestClientData`): a dict from
    client id to that client's arrays (leading axis: examples).

    Example:
      >>> cd = ClientData.from_arrays({'a': {'y': [0, 1]}, 'b': {'y': [1]}})
      >>> cd.num_examples_for_client('a')
      2
    """
    from federax.simulation.datasets import in_memory
    return in_memory.InMemoryClientData(tensor_slices_dict)

  from_tensor_slices = from_arrays

  @classmethod
  def train_test_client_split(cls, client_data, num_test_clients: int,
                              seed=None):
    """`(train, test)` with disjoint clients: `num_test_clients` random
    clients with data for test, the rest for train (TFF's split).

    Example:
      >>> cd = ClientData.from_arrays({str(i): [i] for i in range(5)})
      >>> train, test = ClientData.train_test_client_split(cd, 2, seed=0)
      >>> len(train.client_ids), len(test.client_ids)
      (3, 2)
    """
    from federax.simulation.datasets import client_data_kinds
    return client_data_kinds.train_test_client_split(client_data,
                                                     num_test_clients, seed)

  def __repr__(self):
    return f'<{type(self).__name__} with {len(self.client_ids)} clients>'
