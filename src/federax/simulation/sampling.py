"""Which clients take part in a round: uniform and weighted sampling.

A sampling function maps a round number to that round's clients. With a
seed it is a pure function of `(seed, round_num)`: a resumed run samples
the same clients as an uninterrupted one.
"""

from __future__ import annotations

import numpy as np

# TFF's seeding: a Lehmer generator (Park and Miller) over rounds.
MLCG_MODULUS = 2**31 - 1
MLCG_MULTIPLIER = 16807


def _round_state(random_seed, round_num):
  if random_seed is None:
    return np.random.RandomState()
  start = np.random.RandomState(random_seed).randint(1, MLCG_MODULUS - 1)
  return np.random.RandomState(
      pow(MLCG_MULTIPLIER, int(round_num), MLCG_MODULUS) * start %
      MLCG_MODULUS)


def _check(sample_range, replace, random_seed, where):
  if isinstance(sample_range, (str, bytes)) or not hasattr(
      sample_range, '__len__'):
    raise TypeError(f'{where}: sample_range: expected a sequence (e.g. '
                    f'client_data.client_ids), got '
                    f'{type(sample_range).__name__}.')
  if not isinstance(replace, bool):
    raise TypeError(f'{where}: replace: expected a bool, got {replace!r}.')
  if random_seed is not None and (not isinstance(random_seed, int) or
                                  isinstance(random_seed, bool) or
                                  not 0 <= random_seed < 2**32):
    raise TypeError(f'{where}: random_seed: expected None or an int in '
                    f'[0, 2**32), got {random_seed!r}.')


def _sample(state, sample_range, size, replace, p, where):
  if not isinstance(size, int) or isinstance(size, bool) or size < 0:
    raise ValueError(f'{where}: size: expected an int >= 0, got {size!r}.')
  if not replace and size > len(sample_range):
    raise ValueError(
        f'{where}: cannot sample {size} clients without replacement from '
        f'{len(sample_range)}; sample at most {len(sample_range)} or pass '
        f'replace=True.')
  picks = state.choice(len(sample_range), size=size, replace=replace, p=p)
  return [sample_range[int(i)] for i in picks]


def build_uniform_sampling_fn(sample_range, replace: bool = False,
                              random_seed: int | None = None, *,
                              size: int | None = None):
  """TFF's `build_uniform_sampling_fn`: `sample_fn(round_num, size)`
  returns `size` elements of `sample_range` drawn uniformly. With an int
  `random_seed` the draw of each round is fixed (TFF's draws, for the
  same seed); with None it is random. `size` given here is the default
  of `sample_fn`'s `size`, so `sample_fn(round_num)` works too.

  Example:
    >>> sample = build_uniform_sampling_fn(['a', 'b', 'c', 'd'],
    ...                                    random_seed=1, size=2)
    >>> sample(0) == sample(0), len(sample(3))
    (True, 2)
  """
  _check(sample_range, replace, random_seed, 'build_uniform_sampling_fn')
  default = size

  def sample_fn(round_num: int, size: int | None = None):
    size = default if size is None else size
    if size is None:
      raise ValueError('sample_fn: size: give the number of clients, as '
                       'sample_fn(round_num, size) or '
                       'build_uniform_sampling_fn(..., size=...).')
    return _sample(_round_state(random_seed, round_num), sample_range, size,
                   replace, None, 'sample_fn')

  return sample_fn


def build_weighted_sampling_fn(sample_range, weights, replace: bool = False,
                               random_seed: int | None = None, *,
                               size: int | None = None):
  """Like `build_uniform_sampling_fn`, each element drawn with probability
  proportional to its weight (e.g. its number of examples).

  Example:
    >>> sample = build_weighted_sampling_fn(['a', 'b'], [0, 5],
    ...                                     random_seed=0, size=1)
    >>> sample(0), sample(7)
    (['b'], ['b'])
  """
  _check(sample_range, replace, random_seed, 'build_weighted_sampling_fn')
  w = np.asarray(weights, np.float64)
  if w.shape != (len(sample_range),) or not np.all(np.isfinite(w)) or np.any(
      w < 0) or w.sum() <= 0:
    raise ValueError(
        f'build_weighted_sampling_fn: weights: expected {len(sample_range)} '
        f'finite weights >= 0, not all zero; got shape {w.shape} with sum '
        f'{w.sum() if w.size else 0}.')
  p = w / w.sum()
  default = size

  def sample_fn(round_num: int, size: int | None = None):
    size = default if size is None else size
    if size is None:
      raise ValueError('sample_fn: size: give the number of clients.')
    if not replace and size > np.count_nonzero(p):
      raise ValueError(f'sample_fn: only {np.count_nonzero(p)} clients have '
                       f'a weight > 0; cannot sample {size} without '
                       f'replacement.')
    return _sample(_round_state(random_seed, round_num), sample_range, size,
                   replace, p, 'sample_fn')

  return sample_fn


def build_num_examples_sampling_fn(client_data, replace: bool = False,
                                   random_seed: int | None = None, *,
                                   size: int | None = None):
  """Samples client ids with probability proportional to their number of
  examples (`client_data.num_examples_for_client`, read once, so this
  suits populations whose counts are known cheaply).

  Example:
    >>> from federax.simulation.datasets import ClientData
    >>> cd = ClientData.from_arrays({'a': [1], 'b': [1, 2, 3]})
    >>> len(build_num_examples_sampling_fn(cd, random_seed=0, size=2)(0))
    2
  """
  ids = client_data.client_ids
  return build_weighted_sampling_fn(
      ids, [client_data.num_examples_for_client(c) for c in ids], replace,
      random_seed, size=size)
