"""Aggregations over chunks of clients, and the chunk loop that runs them.

An aggregation is `init`, `step(acc, rows, mask)` for one chunk of clients,
and `finish(acc)`. Every aggregation pending when a server value is needed
runs in one pass over the clients (`run_pass`): a `lax.scan` over chunks
when there are several, a plain call when one chunk holds them all.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from federax.backends.jax import clients as clients_lib


def _masked(x, mask, fill):
  m = mask.reshape(mask.shape + (1,) * (x.ndim - 1))
  return jnp.where(m, x, jnp.asarray(fill, x.dtype))


def _tree(fn, *trees):
  return jax.tree_util.tree_map(fn, *trees)


def _clients_sum(weights, x, dtype):
  """`sum_i weights[i] * x[i]` over the leading (clients) axis, in `dtype`.

  Floating sums are a contraction (a matrix-vector product), not
  `sum(w * x, 0)`: XLA:CPU's fused reduction over a leading axis runs
  tens of times slower than its dot on client updates, and `HIGHEST`
  keeps float32 in float32 on GPUs (no TF32).
  """
  if not jnp.issubdtype(x.dtype, jnp.inexact):
    w = weights.astype(x.dtype).reshape(weights.shape + (1,) * (x.ndim - 1))
    return jnp.sum(x * w, 0, dtype)
  return jnp.tensordot(weights.astype(x.dtype), x, axes=(0, 0),
                       precision=jax.lax.Precision.HIGHEST).astype(dtype)


def _clients_reduce(op, x):
  """`op` (elementwise min or max) over the leading axis, by halving: XLA:CPU
  reduces a leading axis far slower than it applies `op` to halves."""
  while x.shape[0] > 1:
    half = x.shape[0] // 2
    folded = op(x[:half], x[half:2 * half])
    x = jnp.concatenate([folded, x[2 * half:]]) if x.shape[0] % 2 else folded
  return x[0]


class Aggregation:
  """How client rows fold into a server value.

  `combine(a, b)` merges two accumulators (of disjoint sets of clients);
  `secure` names the secure-sum intrinsic it stands for, if any, with its
  `bound` (bitwidth, max input or modulus).
  """

  secure: str | None = None
  bound = None

  def __init__(self, node: clients_lib.Clients):
    self.node = node

  def init(self):
    raise NotImplementedError

  def step(self, acc, rows, mask):
    raise NotImplementedError

  def combine(self, a, b):
    raise NotImplementedError

  def finish(self, acc):
    return acc


class Sum(Aggregation):

  def __init__(self, node, zeros):
    super().__init__(node)
    self.zeros = zeros

  def init(self):
    return self.zeros

  def step(self, acc, rows, mask):
    ones = mask.astype(jnp.int32)
    return _tree(lambda a, x: a + _clients_sum(ones, _masked(x, mask, 0),
                                               a.dtype), acc, rows)

  def combine(self, a, b):
    return _tree(jnp.add, a, b)


class Mean(Sum):

  def init(self):
    return self.zeros, jnp.int32(0)

  def step(self, acc, rows, mask):
    total, count = acc
    return (super().step(total, rows, mask),
            count + jnp.sum(mask, dtype=jnp.int32))

  def finish(self, acc):
    total, count = acc
    return _tree(lambda s: (s / count.astype(s.dtype)).astype(s.dtype), total)


class WeightedMean(Sum):
  """The node's rows are `(value, weight)` pairs."""

  def init(self):
    return self.zeros, _tree(lambda z: jnp.zeros((), z.dtype), self.zeros)

  def step(self, acc, rows, mask):
    total, weights = acc
    values, w = rows

    def leaf(a, x):
      return a + _clients_sum(_masked(w, mask, 0), _masked(x, mask, 0),
                              a.dtype)

    def weight(wa):
      return wa + jnp.sum(_masked(w.astype(wa.dtype), mask, 0), dtype=wa.dtype)

    return (_tree(leaf, total, values), _tree(weight, weights))

  def finish(self, acc):
    total, weights = acc
    return _tree(lambda s, w: (s / w).astype(s.dtype), total, weights)


class Extreme(Aggregation):
  """Elementwise min (`op=jnp.minimum`) or max, from the op's identity."""

  def __init__(self, node, identities, op):
    super().__init__(node)
    self.identities, self.op = identities, op

  def init(self):
    return self.identities

  def step(self, acc, rows, mask):
    return _tree(
        lambda a, x: self.op(a, _clients_reduce(self.op, _masked(x, mask, a))),
        acc, rows)

  def combine(self, a, b):
    return _tree(self.op, a, b)


class Fold(Aggregation):
  """`federated_aggregate`: each chunk is folded from `zero` with
  `accumulate`, and chunk results are combined with `merge`."""

  def __init__(self, node, zero, accumulate: Callable, merge: Callable,
               report: Callable):
    super().__init__(node)
    self.zero, self.accumulate = zero, accumulate
    self.merge, self.report = merge, report

  def init(self):
    return self.zero

  def step(self, acc, rows, mask):
    def one(carry, row_and_valid):
      row, valid = row_and_valid
      new = self.accumulate((carry, row))
      return _tree(lambda n, c: jnp.where(valid, n, c), new, carry), None

    partial, _ = jax.lax.scan(one, self.zero, (rows, mask))
    return self.merge((acc, partial))

  def combine(self, a, b):
    return self.merge((a, b))

  def finish(self, acc):
    return self.report(acc)


@dataclasses.dataclass(frozen=True)
class Plan:
  """How the clients of a call are laid out: `devices` shards of `per_device`
  clients each (the last padded), processed `chunk` per device at a time."""

  num_clients: int
  devices: int
  per_device: int
  chunk: int
  mesh: object = None

  @property
  def num_chunks(self) -> int:
    return -(-self.per_device // self.chunk) if self.chunk else 0

  @property
  def exact(self) -> bool:
    """Whether every row of every chunk is a client: no padding, no overlap."""
    return (self.num_chunks * self.chunk == self.per_device and
            self.devices * self.per_device == self.num_clients)

  def constrain(self, tree):
    if self.devices == 1:
      return tree
    from jax.sharding import NamedSharding, PartitionSpec
    sharding = NamedSharding(self.mesh, PartitionSpec('clients'))
    return _tree(lambda x: jax.lax.with_sharding_constraint(x, sharding)
                 if getattr(x, 'ndim', 0) >= 1 else x, tree)


def _slice_chunk(plan: Plan, inputs, i):
  """Rows of chunk `i` (the last chunk overlaps the one before) and its mask."""
  c, m = plan.chunk, plan.per_device
  first_new = i * c
  start = jnp.minimum(first_new, m - c)

  def cut(x):
    x = jax.lax.dynamic_slice_in_dim(x, start, c, axis=1)
    return x.reshape((plan.devices * c,) + x.shape[2:])

  rows = plan.constrain(_tree(cut, inputs))
  if plan.exact:  # A constant mask: XLA drops the masking altogether.
    return rows, jnp.ones((plan.devices * c,), bool)
  local = start + jnp.arange(c)
  device = jnp.arange(plan.devices)[:, None]
  mask = (local[None, :] >= first_new) & (device * m + local[None, :] <
                                          plan.num_clients)
  return rows, mask.reshape(-1)


def run_pass(plan: Plan, inputs, aggregations, outputs):
  """One pass over all clients: results of `aggregations`, the rows of the
  `outputs` nodes (`[num_clients, ...]`), and the checks raised on the way."""
  accs = [a.init() for a in aggregations]
  if plan.num_clients == 0:
    return [a.finish(acc) for a, acc in zip(aggregations, accs)], [
        None for _ in outputs], []
  messages = []

  def body(accs, i):
    rows, mask = _slice_chunk(plan, inputs, i)
    chunk = clients_lib.Chunk(rows, mask, plan.devices * plan.chunk,
                              plan.constrain)
    accs = [a.step(acc, a.node.compute(chunk), mask)
            for a, acc in zip(aggregations, accs)]
    outs = [o.compute(chunk) for o in outputs]
    messages[:] = [msg for _, msg in chunk.checks]
    return accs, (outs, [flag for flag, _ in chunk.checks])

  if plan.num_chunks == 1:
    accs, (outs, flags) = body(accs, 0)
    outs = [_tree(lambda x: x[None], o) for o in outs]
    flags = [f[None] for f in flags]
  else:
    accs, (outs, flags) = jax.lax.scan(body, accs,
                                       jnp.arange(plan.num_chunks))
  results = [a.finish(acc) for a, acc in zip(aggregations, accs)]
  rows = [_tree(lambda x: _assemble(plan, x), o) for o in outs]
  checks = [(jnp.any(f), msg) for f, msg in zip(flags, messages)]
  return results, rows, checks


def _assemble(plan: Plan, stacked):
  """`[num_chunks, devices * chunk, ...]` chunk rows to `[num_clients, ...]`."""
  k, c, m, d = plan.num_chunks, plan.chunk, plan.per_device, plan.devices
  x = stacked.reshape((k, d, c) + stacked.shape[2:])
  x = jnp.moveaxis(x, 0, 1)  # [d, k, c, ...]
  full = x[:, :-1].reshape((d, (k - 1) * c) + x.shape[3:])
  last = x[:, -1, c - (m - (k - 1) * c):]
  x = jnp.concatenate([full, last], axis=1).reshape((d * m,) + x.shape[3:])
  return x[:plan.num_clients]


def identity_of(dtype, for_min: bool):
  """The identity of elementwise min (largest value) or max (smallest)."""
  dtype = np.dtype(dtype)
  if dtype.kind in 'iu':
    info = np.iinfo(dtype)
    return info.max if for_min else info.min
  return np.inf if for_min else -np.inf
