"""Stragglers and dropouts: some sampled clients fail or do partial work.

`build_straggler_fn(...)` returns `apply(round_num, client_ids, datasets)`
which, per round and seeded, drops each client with probability
`dropout_rate` (its update never arrives) and truncates the data of each
remaining one with probability `partial_rate` to a fraction in
`[min_fraction, 1)` of its examples (`Dataset.take`: it ran out of time).
A learning process given the result weighs clients by the examples they
really used, as a real deployment would.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np


class Participation(NamedTuple):
  """Who reports in a round, with the data each used.

  `client_ids` and `datasets` are the clients that report (in sampled
  order); `dropped` the ids that failed; `partial` maps the ids that did
  partial work to the fraction of examples they used.
  """
  client_ids: list
  datasets: list
  dropped: list
  partial: dict


def _rate(value, name):
  if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
      0 <= value <= 1):
    raise ValueError(f'build_straggler_fn: {name}: expected a number in '
                     f'[0, 1], got {value!r}.')
  return float(value)


def _count(ds) -> int:
  n = ds.cardinality
  return n if n >= 0 else sum(1 for _ in ds)


def build_straggler_fn(dropout_rate: float = 0.0, partial_rate: float = 0.0,
                       min_fraction: float = 0.1,
                       random_seed: int | None = None, min_clients: int = 1):
  """A seeded function simulating failing and slow clients.

  At least `min_clients` clients report each round (the first sampled
  are kept if too many would drop). With an int `random_seed` each
  round's outcome depends only on `(random_seed, round_num)` and the
  client ids.

  Example:
    >>> from federax.simulation.datasets import Dataset
    >>> apply = build_straggler_fn(dropout_rate=0.5, partial_rate=1.0,
    ...                            min_fraction=0.5, random_seed=0)
    >>> data = [Dataset.from_tensor_slices(list(range(10)))] * 4
    >>> out = apply(0, ['a', 'b', 'c', 'd'], data)
    >>> len(out.client_ids) + len(out.dropped)
    4
    >>> all(5 <= len(d) < 10 for d in out.datasets)
    True
  """
  dropout_rate = _rate(dropout_rate, 'dropout_rate')
  partial_rate = _rate(partial_rate, 'partial_rate')
  if not 0 < _rate(min_fraction, 'min_fraction') <= 1:
    raise ValueError(f'build_straggler_fn: min_fraction: expected a number '
                     f'in (0, 1], got {min_fraction!r}.')
  if not isinstance(min_clients, int) or min_clients < 0:
    raise ValueError(f'build_straggler_fn: min_clients: expected an int >= '
                     f'0, got {min_clients!r}.')
  seed = (int(np.random.SeedSequence().entropy % 2**32)
          if random_seed is None else random_seed)

  def apply(round_num: int, client_ids, datasets) -> Participation:
    client_ids, datasets = list(client_ids), list(datasets)
    if len(client_ids) != len(datasets):
      raise ValueError(f'client_ids and datasets: expected one dataset per '
                       f'client, got {len(client_ids)} ids and '
                       f'{len(datasets)} datasets.')
    rng = np.random.default_rng([seed, int(round_num)])
    n = len(client_ids)
    drop = rng.random(n) < dropout_rate
    slow = rng.random(n) < partial_rate
    fractions = rng.uniform(min_fraction, 1.0, n)
    keep_anyway = max(0, min(min_clients, n) - int((~drop).sum()))
    for i in np.flatnonzero(drop)[:keep_anyway]:
      drop[i] = False
    kept, kept_data, dropped, partial = [], [], [], {}
    for i, (cid, ds) in enumerate(zip(client_ids, datasets)):
      if drop[i]:
        dropped.append(cid)
        continue
      if slow[i] and fractions[i] < 1.0:
        total = _count(ds)
        used = max(1, math.floor(fractions[i] * total))
        if used < total:
          ds = ds.take(used)
          partial[cid] = used / total
      kept.append(cid)
      kept_data.append(ds)
    return Participation(kept, kept_data, dropped, partial)

  return apply
