"""`finalize_then_sample`: each client's own finalized metrics, sampled.

Every client finalizes its metrics; the server keeps a uniform random
sample of `sample_size` clients' (TFF's reservoir sampling). Here the
sample is the `sample_size` clients of smallest priority, a priority being
a uniform number drawn from a key folded with a fingerprint of the
client's metrics: a uniform sample without replacement that is mergeable
(one `fx.federated_aggregate` with `sample_size` slots) and a pure
function of the inputs, so every backend and chunking draws the same.
"""

from __future__ import annotations

import collections

import numpy as np

from federax.core import aggregation_intrinsics
from federax.core import federated_computation
from federax.core import intrinsics
from federax.core import jax_computation
from federax.core import jax_support
from federax.core import types
from federax.learning import batching
from federax.learning.metrics import metric_types

NUM_SAMPLES = 'num_samples'
_WHO = 'finalize_then_sample'


def priority(key, unfinalized_leaves):
  """A client's uniform priority in `[0, 1)`, from `key` and its metrics.

  Example:
    >>> import jax, numpy as np
    >>> key = jax.random.key(0)
    >>> p = priority(key, [np.float32(2.0), np.int32(3)])
    >>> 0.0 <= float(p) < 1.0, bool(p == priority(key, [np.float32(2.0),
    ...                                                 np.int32(3)]))
    (True, True)
  """
  jax, jnp = jax_support.jax(), jax_support.jnp()
  flat = jnp.concatenate([jnp.ravel(jnp.asarray(x)).astype(jnp.float32)
                          for x in unfinalized_leaves])
  fingerprint = batching.fingerprint(flat[None, :], jnp.int32(1))
  # The folded key's data are already uniform bits: one hash, not two
  # (jax.random.uniform would hash again, and threefry is slow to compile).
  bits = jax.random.key_data(jax.random.fold_in(key, fingerprint)).ravel()[0]
  return (bits >> 8).astype(jnp.float32) * jnp.float32(2.0**-24)


def _keep_smallest(priorities, values, k: int):
  """The `k` entries of smallest priority (ties: the earlier first)."""
  jax, jnp = jax_support.jax(), jax_support.jnp()
  order = jnp.argsort(priorities, stable=True)[:k]
  return priorities[order], jax.tree_util.tree_map(lambda v: v[order], values)


def _stacked(t: types.Type, k: int) -> types.Type:
  """`t` with a leading axis of `k` added to each tensor."""
  if isinstance(t, types.StructType):
    return types.StructType([(n, _stacked(e, k)) for n, e in t.elements],
                            t.container_type)
  return types.TensorType(t.dtype, (k,) + tuple(t.shape))


def _check_sample_size(sample_size):
  if not isinstance(sample_size, (int, np.integer)) or isinstance(
      sample_size, bool):
    raise TypeError(f'{_WHO}: sample_size: expected a positive int, got '
                    f'{type(sample_size).__name__}.')
  if sample_size <= 0:
    raise ValueError(f'{_WHO}: sample_size: expected a positive int, got '
                     f'{sample_size}. Pass the number of clients to keep.')
  return int(sample_size)


def finalize_then_sample(metric_finalizers, local_unfinalized_metrics_type,
                         sample_size: int = 100, *, seed: int = 0):
  """Each client finalizes its metrics; the server gets a sample of clients.

  As TFF's: a uniform sample of `sample_size` clients (all of them when
  fewer take part), each contributing all its finalized metrics. Every
  metric comes back with a leading axis of `sample_size` rows, row `i` of
  every metric from the same client, in a random order; the result also
  holds `num_samples` (int32), `min(sample_size, clients)`: rows from
  `num_samples` on are padding (zeros). TFF returns lists of exactly
  `num_samples` values; a federated computation's types cannot depend on
  the number of clients, so federax pads (take `m[:num_samples]`). The
  sample is a pure function of `seed` and the clients' metrics (clients
  with identical metrics are both in or both out).

  Example:
    >>> import numpy as np, federax as fx
    >>> aggregate = fx.learning.metrics.finalize_then_sample(
    ...     {'accuracy': lambda v: v[0] / v[1]},
    ...     {'accuracy': (np.float32, [2])}, sample_size=3)
    >>> result = aggregate([{'accuracy': [3.0, 4.0]}, {'accuracy': [1.0, 4.0]}])
    >>> n = int(result['num_samples'])
    >>> n, sorted(result['accuracy'][:n].tolist()), result['accuracy'][n:]
    (2, [0.25, 0.75], array([0.], dtype=float32))
  """
  t = metric_types.metrics_type(local_unfinalized_metrics_type, _WHO)
  finalize = metric_types.finalize_fn(metric_finalizers, t, _WHO)
  k = _check_sample_size(sample_size)
  if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
    raise TypeError(f'{_WHO}: seed: expected an int, got '
                    f'{type(seed).__name__}.')

  def finalized_dict(unfinalized):
    elements = metric_types.named_result(finalize(unfinalized), _WHO)
    if any(n == NUM_SAMPLES for n, _ in elements):
      raise ValueError(f'{_WHO}: metric_finalizers: a finalized metric is '
                       f'named {NUM_SAMPLES!r}, the name of the sample '
                       f'count; rename the metric.')
    return collections.OrderedDict(elements)

  @jax_computation.jax_computation(t)
  def prepare(unfinalized):
    jax = jax_support.jax()
    key = jax.random.key(seed)
    return (priority(key, metric_types.flatten(unfinalized, t)),
            finalized_dict(unfinalized))

  row_t = prepare.type_signature.result
  slots_t = _stacked(row_t[1], k)
  acc_t = types.StructType([types.TensorType(np.float32, (k,)), slots_t])
  zero = (np.full((k,), np.inf, np.float32), metric_types.unflatten(
      [np.zeros(leaf.shape, leaf.dtype)
       for _, leaf in metric_types.leaf_types(slots_t)], slots_t))

  @jax_computation.jax_computation(acc_t, row_t)
  def accumulate(acc, row):
    jax, jnp = jax_support.jax(), jax_support.jnp()
    (priorities, slots), (p, values) = acc, row
    worst = jnp.argmax(priorities)
    take = p < priorities[worst]
    new = priorities.at[worst].set(jnp.where(take, p, priorities[worst]))
    slots = jax.tree_util.tree_map(
        lambda s, v: s.at[worst].set(jnp.where(take, v, s[worst])),
        slots, values)
    return new, slots

  @jax_computation.jax_computation(acc_t, acc_t)
  def merge(a, b):
    jax, jnp = jax_support.jax(), jax_support.jnp()
    both = jax.tree_util.tree_map(lambda x, y: jnp.concatenate([x, y]), a, b)
    return _keep_smallest(both[0], both[1], k)

  @jax_computation.jax_computation(acc_t)
  def report(acc):
    jnp = jax_support.jnp()
    priorities, slots = _keep_smallest(acc[0], acc[1], k)
    samples = collections.OrderedDict(slots)
    samples[NUM_SAMPLES] = jnp.sum(jnp.isfinite(priorities), dtype=jnp.int32)
    return samples

  @federated_computation.federated_computation(types.type_at_clients(t))
  def aggregate(unfinalized):
    rows = intrinsics.federated_map(prepare, unfinalized)
    return aggregation_intrinsics.federated_aggregate(rows, zero, accumulate,
                                                      merge, report)

  return aggregate
