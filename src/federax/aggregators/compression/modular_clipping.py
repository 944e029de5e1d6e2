"""`ModularClippingSumFactory`: integers wrapped into `[lower, upper)`.

Each client maps every coordinate `v` of its int32 value to the one value of
`[clip_range_lower, clip_range_upper)` congruent to it modulo the range's
width `w`; the clipped values are summed and the sum is wrapped into the
same range again (TFF's semantics). The sum is exact modulo `w`: if the
true sum lies in the range, it comes back unchanged. Each coordinate then
needs `ceil(log2(w))` bits, which is what `bits_per_client` reports.

Without `inner_agg_factory`, clients send `v mod w` and the server sums
with `fx.federated_secure_modular_sum(., w)`, so no count of clients is
needed to wrap the result. (The simulation backends add the residues in
int32 before reducing them modulo `w`: exact while `n * (w - 1) < 2**31`,
or for any `n` when `w` is a power of two.) With an inner factory the
clipped values go to it, as in TFF.
"""

from __future__ import annotations

import collections
import math

import numpy as np

from federax.aggregators import factory
from federax.aggregators.compression import common
from federax.core import aggregation_intrinsics
from federax.core import federated_computation
from federax.core import intrinsics
from federax.core import jax_computation
from federax.core import jax_support
from federax.core import placements
from federax.core import types
from federax.templates import aggregation_process
from federax.templates import measured_process

_WHO = 'ModularClippingSumFactory'
_INT32_MAX = 2**31 - 1


def modular_clip(value, lower: int, upper: int):
  """Each int32 coordinate of `value` wrapped into `[lower, upper)`.

  Example:
    >>> import numpy as np
    >>> modular_clip(np.array([20, 5, -15, 10], np.int32), -5, 10).tolist()
    [5, 5, 0, -5]
  """
  jax, jnp = jax_support.jax(), jax_support.jnp()
  width = jnp.int32(upper - lower)
  offset = jnp.remainder(jnp.int32(lower), width)

  def clip(v):
    # Both remainders lie in [0, w): their difference cannot overflow.
    r = jnp.remainder(jnp.remainder(v, width) - offset, width)
    return (jnp.int32(lower) + r).astype(v.dtype)

  return jax.tree_util.tree_map(clip, value)


def estimate_wrapped_gaussian_stddev(value, lower: int, upper: int):
  """The standard deviation of `value`'s coordinates, assumed wrapped
  normal on `[lower, upper)` and centred (Mardia's circular estimate).

  Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> s = np.round(rng.normal(0, 10, 4000)).astype(np.int32)
    >>> 9.0 < float(estimate_wrapped_gaussian_stddev(s, -100, 100)) < 11.0
    True
  """
  jax, jnp = jax_support.jax(), jax_support.jnp()
  samples = jnp.concatenate([jnp.ravel(x).astype(jnp.float32)
                             for x in jax.tree_util.tree_leaves(value)])
  width = jnp.float32(upper - lower)
  angles = samples / width * jnp.float32(2 * math.pi)
  r = jnp.abs(jnp.mean(jnp.exp(1j * angles.astype(jnp.complex64))))
  return jnp.sqrt(-2.0 * jnp.log(r)) / jnp.float32(2 * math.pi) * width


def _check_range(lower, upper):
  for name, v in (('clip_range_lower', lower), ('clip_range_upper', upper)):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
      raise TypeError(f'{_WHO}: {name}: expected an int, got '
                      f'{type(v).__name__} ({v!r}).')
  lower, upper = int(lower), int(upper)
  if lower >= upper:
    raise ValueError(f'{_WHO}: clip_range_lower must be < clip_range_upper, '
                     f'got {lower} >= {upper}. Swap them, or widen the '
                     f'range.')
  if lower < -2**31 or upper > _INT32_MAX or upper - lower > _INT32_MAX:
    raise ValueError(f'{_WHO}: expected a range inside int32 of width at '
                     f'most 2**31 - 1, got [{lower}, {upper}) (width '
                     f'{upper - lower}). Narrow the range.')
  return lower, upper


class ModularClippingSumFactory(factory.UnweightedAggregationFactory):
  """Sums int32 values modulo the range `[clip_range_lower, clip_range_upper)`.

  Clients wrap each coordinate into the range (`20` in `[-5, 10)` becomes
  `5`), the values are summed and the sum is wrapped again. Without
  `inner_agg_factory` the sum is `fx.federated_secure_modular_sum` of the
  residues modulo the width; with one, the wrapped values go to it (as in
  TFF; its sum may overflow int32 with many clients and a wide range). The
  state is the inner process's (`<>` without one); measurements `<modclip,
  estimated_stddev (with estimate_stddev=True: of the wrapped sum, assumed
  centred wrapped normal), bits_per_client, compression_ratio>`, with
  `ceil(log2(upper - lower))` bits per coordinate.

  Example:
    >>> import numpy as np, federax as fx
    >>> process = fx.aggregators.ModularClippingSumFactory(-5, 10).create(
    ...     fx.TensorType(np.int32, [4]))
    >>> output = process.next(process.initialize(),
    ...                       [[20, 5, -15, 10], [0, 8, 2, 3]])
    >>> output.result.tolist(), float(output.measurements['bits_per_client'])
    ([5, -2, 2, -2], 16.0)
  """

  def __init__(self, clip_range_lower: int, clip_range_upper: int,
               inner_agg_factory=None, estimate_stddev: bool = False):
    self._lower, self._upper = _check_range(clip_range_lower,
                                            clip_range_upper)
    self._inner = common.check_optional_inner(inner_agg_factory, _WHO,
                                              'inner_agg_factory')
    if not isinstance(estimate_stddev, bool):
      raise TypeError(f'{_WHO}: estimate_stddev: expected a bool, got '
                      f'{type(estimate_stddev).__name__}.')
    self._estimate_stddev = estimate_stddev

  def create(self, value_type) -> aggregation_process.AggregationProcess:
    who = f'{_WHO}.create'
    value_type = common.value_type_of(value_type, who, 'int')
    wrong = [t for t in common.leaf_types(value_type)
             if t.dtype != np.int32]
    if wrong:
      raise TypeError(f'{who}: value_type: expected int32 tensors, got '
                      f'{value_type}. Cast the values to int32 first.')
    dim = common.num_elements(value_type)
    if self._estimate_stddev and dim <= 1:
      raise ValueError(f'{who}: estimate_stddev needs values with more than '
                       f'one element, got {value_type}. Pass '
                       f'estimate_stddev=False.')
    lower, upper = self._lower, self._upper
    width = upper - lower
    clip = jax_computation.jax_computation(
        lambda v: modular_clip(v, lower, upper), value_type)
    residue = jax_computation.jax_computation(
        lambda v: modular_clip(v, 0, width), value_type)
    stddev = jax_computation.jax_computation(
        lambda v: estimate_wrapped_gaussian_stddev(v, lower, upper),
        value_type)
    inner = self._inner.create(value_type) if self._inner else None
    bits = common.index_bits(width) * dim

    @federated_computation.federated_computation()
    def init_fn():
      if inner is not None:
        return inner.initialize()
      return intrinsics.federated_value((), placements.SERVER)

    @federated_computation.federated_computation(
        init_fn.type_signature.result, types.type_at_clients(value_type))
    def next_fn(state, value):
      if inner is not None:
        inner_output = inner.next(state, intrinsics.federated_map(clip, value))
        total, new_state = inner_output.result, inner_output.state
        inner_measurements = inner_output.measurements
      else:
        total = aggregation_intrinsics.federated_secure_modular_sum(
            intrinsics.federated_map(residue, value), np.int32(width))
        new_state = state
        inner_measurements = intrinsics.federated_value(
            (), placements.SERVER)
      result = intrinsics.federated_map(clip, total)
      measurements = collections.OrderedDict(modclip=inner_measurements)
      if self._estimate_stddev:
        measurements['estimated_stddev'] = intrinsics.federated_map(stddev,
                                                                    result)
      measurements.update(common.bits_measurements(bits, value_type))
      return measured_process.MeasuredProcessOutput(
          state=new_state, result=result,
          measurements=intrinsics.federated_zip(measurements))

    return aggregation_process.AggregationProcess(init_fn, next_fn)
