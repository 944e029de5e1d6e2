"""Robust statistics of stacked client values, as pure JAX functions.

Each takes `rows` (a pytree of arrays with a leading axis of slots) and
`mask` (bool per slot: which slots hold a client's value) and returns one
value shaped like a row. Coordinate-wise statistics work leaf by leaf;
Krum measures distances between whole values (all leaves together). With
no valid rows the result is NaN.
"""

from __future__ import annotations


def _sorted_valid(x, mask):
  """`x` sorted along axis 0 with invalid rows (as +inf) last."""
  import jax.numpy as jnp
  m = mask.reshape(mask.shape + (1,) * (x.ndim - 1))
  return jnp.sort(jnp.where(m, x, jnp.inf), axis=0)


def coordinate_median(rows, mask):
  """The median of each coordinate over the valid rows.

  Example:
    >>> import numpy as np
    >>> from federax.aggregators.robust import statistics
    >>> rows = np.float32([[1, 5], [2, -1], [9, 0], [0, 0]])
    >>> mask = np.array([True, True, True, False])
    >>> statistics.coordinate_median(rows, mask).tolist()
    [2.0, 0.0]
  """
  import jax
  import jax.numpy as jnp
  n = jnp.sum(mask, dtype=jnp.int32)

  def leaf(x):
    s = _sorted_valid(x, mask)
    lo = jnp.take(s, jnp.maximum(n - 1, 0) // 2, axis=0)
    hi = jnp.take(s, n // 2, axis=0)
    median = (lo + hi) / 2
    return jnp.where(n > 0, median, jnp.nan).astype(x.dtype)

  return jax.tree.map(leaf, rows)


def trimmed_mean(rows, mask, trim_fraction: float):
  """The mean of each coordinate without its `floor(trim_fraction * n)`
  smallest and largest values.

  Example:
    >>> import numpy as np
    >>> from federax.aggregators.robust import statistics
    >>> rows = np.float32([[100], [1], [2], [3], [-50]])
    >>> statistics.trimmed_mean(rows, np.ones(5, bool), 0.2).tolist()
    [2.0]
  """
  import jax
  import jax.numpy as jnp
  n = jnp.sum(mask, dtype=jnp.int32)
  cut = jnp.floor(trim_fraction * n.astype(jnp.float32)).astype(jnp.int32)
  position = jnp.arange(mask.shape[0])
  keep = (position >= cut) & (position < n - cut)
  kept = jnp.maximum(n - 2 * cut, 0)

  def leaf(x):
    s = _sorted_valid(x, mask)
    k = keep.reshape(keep.shape + (1,) * (x.ndim - 1))
    total = jnp.sum(jnp.where(k, s, 0), axis=0)
    return jnp.where(kept > 0, total / kept.astype(total.dtype),
                     jnp.nan).astype(x.dtype)

  return jax.tree.map(leaf, rows)


def _flat(rows):
  import jax
  import jax.numpy as jnp
  leaves = jax.tree.leaves(rows)
  k = leaves[0].shape[0]
  return jnp.concatenate([l.reshape(k, -1).astype(jnp.float32)
                          for l in leaves], axis=1)


def krum_scores(rows, mask, num_byzantine: int):
  """Krum's score of each row (Blanchard et al., 2017): the sum of squared
  distances to its `n - num_byzantine - 2` nearest valid rows (at least
  one); invalid rows score `inf`.

  Example:
    >>> import numpy as np
    >>> from federax.aggregators.robust import statistics
    >>> rows = np.float32([[0], [1], [2], [50]])
    >>> statistics.krum_scores(rows, np.ones(4, bool), 1).tolist()
    [1.0, 1.0, 1.0, 2304.0]
  """
  import jax.numpy as jnp
  flat = _flat(rows)
  k = flat.shape[0]
  squares = jnp.sum(flat * flat, axis=1)
  distances = jnp.maximum(
      squares[:, None] + squares[None, :] - 2 * flat @ flat.T, 0)
  pairs = mask[:, None] & mask[None, :] & ~jnp.eye(k, dtype=bool)
  nearest = jnp.sort(jnp.where(pairs, distances, jnp.inf), axis=1)
  n = jnp.sum(mask, dtype=jnp.int32)
  neighbours = jnp.clip(n - num_byzantine - 2, 1, max(k - 1, 1))
  take = jnp.arange(k)[None, :] < neighbours
  scores = jnp.sum(jnp.where(take & jnp.isfinite(nearest), nearest, 0),
                   axis=1)
  return jnp.where(mask, scores, jnp.inf)


def multi_krum(rows, mask, num_byzantine: int, num_selected: int):
  """The mean of the `num_selected` rows of best Krum score (Krum itself
  when `num_selected` is 1).

  Example:
    >>> import numpy as np
    >>> from federax.aggregators.robust import statistics
    >>> rows = np.float32([[0], [1], [2], [50]])
    >>> statistics.multi_krum(rows, np.ones(4, bool), 1, 3).tolist()
    [1.0]
  """
  import jax
  import jax.numpy as jnp
  scores = krum_scores(rows, mask, num_byzantine)
  order = jnp.argsort(scores, stable=True)
  n = jnp.sum(mask, dtype=jnp.int32)
  chosen = jnp.minimum(num_selected, n)
  selected = jnp.zeros(mask.shape, bool).at[order].set(
      jnp.arange(mask.shape[0]) < chosen)

  def leaf(x):
    s = selected.reshape(selected.shape + (1,) * (x.ndim - 1))
    total = jnp.sum(jnp.where(s, x, 0), axis=0)
    return jnp.where(chosen > 0, total / chosen.astype(total.dtype),
                     jnp.nan).astype(x.dtype)

  return jax.tree.map(leaf, rows)
