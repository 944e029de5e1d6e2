"""Gathering client values at the server in a fixed number of slots.

Aggregations that do not decompose into sums (a median, Krum, a sample)
need the client values themselves. The Federated Core has no "collect"
intrinsic and types cannot depend on the number of clients, so values are
gathered with one `fx.federated_aggregate` whose accumulator has `size`
slots: `<priorities=float32[size], rows=T[size], count=int32>`.

Each value gets a pseudo-random priority in `[0, 1)`, a pure function of
`seed` and the value's bits; a slot is free while its priority is `inf`.
Accumulating fills free slots, then replaces the slot of largest priority
when the newcomer's is smaller; merging keeps the `size` smallest of both.
So the slots hold *every* value when at most `size` clients take part, and
otherwise a uniform sample of `size` of them without replacement; the
result is the same on every backend and chunking. `count` counts all.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from federax.core import aggregation_intrinsics
from federax.core import jax_computation
from federax.core import structure
from federax.core import types

_GOLDEN = 0x9E3779B1


def stacked_type(t: types.Type, size: int) -> types.Type:
  """`t` with a leading axis of `size` on each tensor."""
  if isinstance(t, types.StructType):
    return types.StructType([(n, stacked_type(e, size)) for n, e in
                             t.elements], t.container_type)
  return types.TensorType(t.dtype, (size,) + tuple(t.shape))


def _zeros(t: types.Type):
  if isinstance(t, types.StructType):
    return structure.build(t.container_type, t.names(),
                           [_zeros(e) for e in t])
  return np.zeros(t.shape, t.dtype)


def priority(value, seed: int):
  """A value's priority: uniform in `[0, 1)`, a pure function of its bits.

  Example:
    >>> import numpy as np
    >>> from federax.aggregators import client_buffer
    >>> p = client_buffer.priority({'w': np.ones(3, np.float32)}, seed=0)
    >>> 0.0 <= float(p) < 1.0
    True
  """
  import jax
  import jax.numpy as jnp
  fingerprint = jnp.uint32(0)
  for i, leaf in enumerate(jax.tree.leaves(value)):
    leaf = jnp.ravel(jnp.asarray(leaf))
    bits = (jax.lax.bitcast_convert_type(leaf.astype(jnp.float32), jnp.uint32)
            if jnp.issubdtype(leaf.dtype, jnp.floating) else
            leaf.astype(jnp.uint32))
    weights = (jnp.arange(bits.shape[0], dtype=jnp.uint32) * 2 + 1) * \
        jnp.uint32(_GOLDEN) + jnp.uint32(i)
    fingerprint = fingerprint * jnp.uint32(_GOLDEN) + jnp.sum(
        bits * weights, dtype=jnp.uint32)
  # Murmur3's 32-bit finalizer mixes the fingerprint with the seed (cheap
  # to compile, unlike a PRNG key).
  h = fingerprint ^ jnp.uint32(seed * _GOLDEN % 2**32)
  for shift, factor in ((16, 0x85EBCA6B), (13, 0xC2B2AE35)):
    h = (h ^ (h >> shift)) * jnp.uint32(factor)
  h = h ^ (h >> 16)
  return (h >> 8).astype(jnp.float32) * jnp.float32(2.0**-24)


def _keep_smallest(acc, size):
  import jax
  import jax.numpy as jnp
  order = jnp.argsort(acc[0], stable=True)[:size]
  return (acc[0][order], jax.tree.map(lambda r: r[order], acc[1]), acc[2])


def gather(value, value_type: types.Type, size: int, seed: int,
           report: Callable, report_name: str = 'report'):
  """`report(rows, mask, count, priorities)` of up to `size` client values.

  Call while tracing: `value` is at CLIENTS; `rows` holds the kept values
  (valid rows first, in priority order), `mask` (bool[size]) which rows are
  values, `count` (int32) how many clients took part, `priorities`
  (float32[size]) each row's priority (`inf` if empty). Returns what
  `report` returns, at SERVER.

  Example:
    >>> import numpy as np, federax as fx
    >>> from federax.aggregators import client_buffer
    >>> @fx.federated_computation(fx.type_at_clients(np.float32))
    ... def largest_two(x):
    ...   def report(rows, mask, count, priorities):
    ...     import jax.numpy as jnp
    ...     return jnp.sort(jnp.where(mask, rows, -jnp.inf))[-2:], count
    ...   return client_buffer.gather(x, fx.TensorType(np.float32), 8, 0,
    ...                               report)
    >>> top, count = largest_two([3.0, 1.0, 7.0])
    >>> top.tolist(), int(count)
    ([3.0, 7.0], 3)
  """
  rows_type = stacked_type(value_type, size)
  acc_type = types.StructType([types.TensorType(np.float32, (size,)),
                               rows_type, types.TensorType(np.int32)])
  zero = (np.full((size,), np.inf, np.float32), _zeros(rows_type),
          np.int32(0))

  @jax_computation.jax_computation(acc_type, value_type)
  def accumulate(acc, row):
    import jax
    import jax.numpy as jnp
    priorities, rows, count = acc
    p = priority(row, seed)
    worst = jnp.argmax(priorities)
    take = p < priorities[worst]
    rows = jax.tree.map(lambda r, v: r.at[worst].set(
        jnp.where(take, v, r[worst])), rows, row)
    priorities = priorities.at[worst].set(jnp.where(take, p,
                                                    priorities[worst]))
    return priorities, rows, count + 1

  @jax_computation.jax_computation(acc_type, acc_type)
  def merge(a, b):
    import jax
    import jax.numpy as jnp
    both = jax.tree.map(lambda x, y: jnp.concatenate([x, y]), a[:2], b[:2])
    return _keep_smallest((both[0], both[1], a[2] + b[2]), size)

  def finish(acc):
    import jax.numpy as jnp
    priorities, rows, count = _keep_smallest(acc, size)
    return report(rows, jnp.isfinite(priorities), count, priorities)

  finish.__name__ = report_name
  return aggregation_intrinsics.federated_aggregate(
      value, zero, accumulate, merge,
      jax_computation.jax_computation(finish, acc_type))

