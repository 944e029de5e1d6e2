"""Partitioners: split a centralized dataset into clients, seeded.

Each returns one sorted index array per client; `to_client_data` turns
arrays and such a partition into a `ClientData` whose clients read the
shared arrays without copying them.

- `iid`: a random permutation cut into near-equal parts;
- `dirichlet`: per class, examples shared among clients in proportions
  drawn from Dirichlet(alpha) (small alpha: each client has few classes);
- `shards`: McMahan et al. (2017)'s pathological split: examples sorted
  by label, cut into `num_clients * shards_per_client` shards, each client
  given `shards_per_client` random shards;
- `by_id`: a natural partition by an id per example (writer, user, ...).
"""

from __future__ import annotations

import numpy as np

from federax.simulation.datasets import client_data_kinds
from federax.simulation.datasets import dataset as dataset_lib
from federax.simulation.datasets import elements


def _check(num_clients, n, where):
  if not isinstance(num_clients, int) or isinstance(
      num_clients, bool) or num_clients < 1:
    raise ValueError(f'{where}: num_clients: expected an int >= 1, got '
                     f'{num_clients!r}.')
  if num_clients > n:
    raise ValueError(f'{where}: num_clients: {num_clients} clients cannot '
                     f'share {n} examples; use at most {n} clients.')


def iid(num_examples: int, num_clients: int, seed: int = 0) -> list:
  """Examples shuffled and cut into `num_clients` near-equal parts.

  Example:
    >>> [len(p) for p in iid(10, 3, seed=0)]
    [4, 3, 3]
  """
  _check(num_clients, num_examples, 'iid')
  order = np.random.default_rng(seed).permutation(num_examples)
  return [np.sort(p) for p in np.array_split(order, num_clients)]


def dirichlet(labels, num_clients: int, alpha: float, seed: int = 0,
              min_size: int = 1, max_tries: int = 1000) -> list:
  """Per class, examples shared among clients ~ Dirichlet(alpha); drawn
  again until every client has at least `min_size` examples.

  Example:
    >>> labels = np.repeat(np.arange(4), 25)
    >>> parts = dirichlet(labels, 5, alpha=0.1, seed=0)
    >>> sum(len(p) for p in parts), min(len(p) for p in parts) >= 1
    (100, True)
  """
  labels = np.asarray(labels)
  _check(num_clients, len(labels), 'dirichlet')
  if not alpha > 0:
    raise ValueError(f'dirichlet: alpha: expected a number > 0, got '
                     f'{alpha!r}.')
  rng = np.random.default_rng(seed)
  for _ in range(max_tries):
    parts = [[] for _ in range(num_clients)]
    for label in np.unique(labels):
      idx = rng.permutation(np.flatnonzero(labels == label))
      shares = rng.dirichlet(np.full(num_clients, float(alpha)))
      cuts = np.round(np.cumsum(shares)[:-1] * len(idx)).astype(int)
      for client, chunk in enumerate(np.split(idx, cuts)):
        parts[client].extend(chunk.tolist())
    if min(len(p) for p in parts) >= min_size:
      return [np.sort(np.asarray(p, np.int64)) for p in parts]
  raise ValueError(
      f'dirichlet: no draw in {max_tries} gave every one of {num_clients} '
      f'clients {min_size} examples; lower min_size or num_clients, or raise '
      f'alpha.')


def shards(labels, num_clients: int, shards_per_client: int = 2,
           seed: int = 0) -> list:
  """McMahan et al.'s pathological non-IID split (sort by label, 2 shards
  of consecutive examples per client by default).

  Example:
    >>> labels = np.repeat(np.arange(10), 10)
    >>> [len(np.unique(labels[p])) for p in shards(labels, 5, seed=0)]
    [2, 2, 2, 2, 2]
  """
  labels = np.asarray(labels)
  _check(num_clients * shards_per_client, len(labels), 'shards')
  order = np.argsort(labels, kind='stable')
  pieces = np.array_split(order, num_clients * shards_per_client)
  assignment = np.random.default_rng(seed).permutation(len(pieces))
  return [np.sort(np.concatenate([pieces[s] for s in assignment[
      c * shards_per_client:(c + 1) * shards_per_client]]))
          for c in range(num_clients)]


def by_id(ids) -> dict:
  """`{str(id): indices}` for each distinct id, in sorted id order.

  Example:
    >>> by_id(['b', 'a', 'b'])
    {'a': array([1]), 'b': array([0, 2])}
  """
  ids = np.asarray(ids)
  keys, inverse = np.unique(ids, return_inverse=True)
  order = np.argsort(inverse, kind='stable')
  bounds = np.cumsum(np.bincount(inverse, minlength=len(keys)))[:-1]
  return {str(k): np.sort(p) for k, p in zip(keys, np.split(order, bounds))}


def to_client_data(arrays, parts, client_ids=None):
  """A `ClientData` whose clients hold the given rows of `arrays`.

  `parts` is a list of index arrays (clients named '0', '1', ...) or a
  dict from client id to index array.

  Example:
    >>> data = {'x': np.arange(6, dtype=np.float32), 'y': np.arange(6) % 2}
    >>> cd = to_client_data(data, iid(6, 2, seed=1))
    >>> cd.client_ids, cd.num_examples_for_client('1')
    (('0', '1'), 3)
  """
  table = elements.as_table(arrays)
  if isinstance(parts, dict):
    mapping = {str(k): np.asarray(v, np.int64) for k, v in parts.items()}
  else:
    parts = list(parts)
    names = client_ids or [str(i) for i in range(len(parts))]
    if len(names) != len(parts):
      raise ValueError(f'to_client_data: client_ids: {len(names)} ids for '
                       f'{len(parts)} parts; give one id per part.')
    mapping = {str(k): np.asarray(v, np.int64) for k, v in zip(names, parts)}

  def dataset_fn(client_id):
    rows = mapping[client_id]
    return dataset_lib.Dataset._from_table(  # pylint: disable=protected-access
        table, lambda epoch: rows, len(rows))

  return _Partitioned(mapping, dataset_fn)


class _Partitioned(client_data_kinds.ConcreteClientData):
  """Clients holding rows of shared arrays; counts known without reading."""

  def __init__(self, mapping, dataset_fn):
    super().__init__(tuple(mapping), dataset_fn)
    self._mapping = mapping

  def num_examples_for_client(self, client_id):
    if client_id not in self._mapping:
      return super().num_examples_for_client(client_id)  # Raises.
    return len(self._mapping[client_id])
