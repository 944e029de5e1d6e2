"""`SecureSumFactory`: a sum through `fx.federated_secure_sum_bitwidth`.

Clients clip their values to the bounds and encode them as non-negative
integers: integers shifted by the lower bound; floats shifted and scaled
to 32-bit integers (deterministic rounding), sent as two 16-bit halves so
that `int32` sums hold up to 32767 clients. One secure sum carries the
encoded value with the count of clients and of clipped values; the server
decodes the total.
"""

from __future__ import annotations

import collections

import numpy as np

from federax.aggregators import factory
from federax.aggregators import secure_bounds
from federax.core import aggregation_intrinsics
from federax.core import dtypes as dtypes_lib
from federax.core import federated_computation
from federax.core import intrinsics
from federax.core import jax_computation
from federax.core import types
from federax.templates import aggregation_process
from federax.templates import measured_process

_HALF = 16  # Bits in each half of a quantized float.
_LEVELS = 2**32 - 1


def _leaves(t):
  if isinstance(t, types.StructType):
    return [leaf for e in t for leaf in _leaves(e)]
  return [t]


def _bitwidths(t, bits):
  """A struct of `bits` shaped like the value type `t` (as Python tuples)."""
  if isinstance(t, types.StructType):
    return tuple(_bitwidths(e, bits) for e in t)
  return bits


class SecureSumFactory(factory.UnweightedAggregationFactory):
  """Sums values clipped to bounds, with `fx.federated_secure_sum_bitwidth`.

  Integer bounds sum integer values exactly (after clipping); float bounds,
  or `fx.templates.EstimationProcess`es that adapt them between rounds,
  sum floating values quantized to 32 bits. Given only
  `upper_bound_threshold`, the lower bound is its negative. All tensors of
  the value must share one dtype. The state is `<>` (constant bounds) or the
  estimation processes' state; the measurements are TFF's
  `<secure_upper_clipped_count, secure_lower_clipped_count,
  secure_upper_threshold, secure_lower_threshold>` (a client counts as
  clipped when any of its elements is).

  Example:
    >>> import numpy as np, federax as fx
    >>> process = fx.aggregators.SecureSumFactory(10).create(
    ...     fx.TensorType(np.int32, [2]))
    >>> output = process.next(process.initialize(), [[1, 2], [30, -4]])
    >>> output.result.tolist(), int(output.measurements[
    ...     'secure_upper_clipped_count'])
    ([11, -2], 1)
  """

  def __init__(self, upper_bound_threshold, lower_bound_threshold=None):
    self._bounds = secure_bounds.Bounds(upper_bound_threshold,
                                        lower_bound_threshold,
                                        'SecureSumFactory')
    if self._bounds.kind == 'int':
      lower, upper = self._bounds.constants
      self._bits = int(upper - lower).bit_length()

  def create(self, value_type) -> aggregation_process.AggregationProcess:
    who = 'SecureSumFactory.create'
    value_type = factory.value_type_of(value_type, who)
    dtypes = {np.dtype(leaf.dtype) for leaf in _leaves(value_type)}
    if len(dtypes) != 1:
      raise TypeError(f'{who}: value_type: expected tensors of one dtype, got '
                      f'{value_type}. Cast them to one dtype, or aggregate '
                      f'each part with its own factory.')
    dtype = dtypes.pop()
    is_int = self._bounds.kind == 'int'
    if is_int and not dtypes_lib.is_integer(dtype):
      raise TypeError(f'{who}: value_type: integer bounds need integer '
                      f'values, got {value_type}. Give float bounds (e.g. '
                      f'10.0) to sum floats.')
    if not is_int and not dtypes_lib.is_floating(dtype):
      raise TypeError(f'{who}: value_type: float or estimated bounds need '
                      f'floating values, got {value_type}. Give int bounds '
                      f'(e.g. 10) to sum integers.')
    if is_int:
      wide = np.dtype(np.int64 if dtype.itemsize == 8 else np.int32)
      limit = np.iinfo(wide).bits - 1
      if self._bits > limit:
        raise ValueError(
            f'{who}: bounds: the range {self._bounds.constants} needs '
            f'{self._bits} bits per value, more than the {limit} that '
            f'{wide.name} sums hold. Narrow the bounds.')
      value_bits = _bitwidths(value_type, self._bits)
    else:
      half = _bitwidths(value_type, _HALF)
      value_bits = (half, half)
    bitwidths = (value_bits, 1, 1, 1)
    encode, decode, extremes = _codecs(value_type, dtype, is_int)
    bounds = self._bounds
    init_fn = bounds.initialize()

    @federated_computation.federated_computation(
        init_fn.type_signature.result, types.type_at_clients(value_type))
    def next_fn(state, value):
      upper, lower = bounds.report(state, dtype)
      smallest_largest = intrinsics.federated_map(extremes, value)
      new_state = bounds.update(state, smallest_largest[0],
                                smallest_largest[1])
      encoded = intrinsics.federated_map(encode, [
          value, intrinsics.federated_broadcast(upper),
          intrinsics.federated_broadcast(lower)])
      summed = aggregation_intrinsics.federated_secure_sum_bitwidth(
          encoded, bitwidths)
      decoded = intrinsics.federated_map(decode, [summed, upper, lower])
      measurements = intrinsics.federated_zip(collections.OrderedDict(
          secure_upper_clipped_count=decoded[1],
          secure_lower_clipped_count=decoded[2],
          secure_upper_threshold=upper, secure_lower_threshold=lower))
      return measured_process.MeasuredProcessOutput(
          state=new_state, result=decoded[0], measurements=measurements)

    return aggregation_process.AggregationProcess(init_fn, next_fn)


def _codecs(value_type, dtype, is_int):
  """The client's encoding, the server's decoding, and the client extremes."""
  import jax
  import jax.numpy as jnp
  scalar = types.TensorType(dtype)
  wide = jnp.int64 if dtype.itemsize == 8 else jnp.int32
  calc = jnp.float64 if dtype == np.float64 else jnp.float32
  # The largest quantized level the float type holds below 2**32.
  top = float(np.nextafter(np.float32(2**32), 0)) if calc == jnp.float32 \
      else float(_LEVELS)

  def flags(value, upper, lower):
    leaves = jax.tree.leaves(value)
    largest = jnp.max(jnp.stack([jnp.max(x) for x in leaves]))
    smallest = jnp.min(jnp.stack([jnp.min(x) for x in leaves]))
    return ((largest > upper).astype(jnp.int32),
            (smallest < lower).astype(jnp.int32))

  @jax_computation.jax_computation(value_type, scalar, scalar)
  def encode(value, upper, lower):
    up, low = flags(value, upper, lower)
    one = jnp.int32(1)
    if is_int:
      shifted = jax.tree.map(lambda x: jnp.clip(x, lower, upper).astype(
          wide) - lower.astype(wide), value)
      return shifted, one, up, low
    scale = calc(_LEVELS) / (upper.astype(calc) - lower.astype(calc))

    def quantize(x):
      x = jnp.clip(x, lower, upper).astype(calc) - lower.astype(calc)
      q = jnp.clip(jnp.round(x * scale), 0, top).astype(jnp.uint32)
      return q

    q = jax.tree.map(quantize, value)
    high = jax.tree.map(lambda x: (x >> _HALF).astype(jnp.int32), q)
    low_half = jax.tree.map(lambda x: (x & (2**_HALF - 1)).astype(jnp.int32), q)
    return (high, low_half), one, up, low

  summed_type = encode.type_signature.result

  @jax_computation.jax_computation(summed_type, scalar, scalar)
  def decode(summed, upper, lower):
    values, count, up, low = summed
    if is_int:
      total = jax.tree.map(lambda s: (s + lower.astype(wide) * count).astype(
          dtype), values)
      return total, up, low
    high, low_half = values
    span = upper.astype(calc) - lower.astype(calc)

    def dequantize(h, l):
      levels = h.astype(calc) * calc(2**_HALF) + l.astype(calc)
      return (levels * (span / calc(_LEVELS)) +
              lower.astype(calc) * count.astype(calc)).astype(dtype)

    return jax.tree.map(dequantize, high, low_half), up, low

  @jax_computation.jax_computation(value_type)
  def extremes(value):
    leaves = jax.tree.leaves(value)
    smallest = jnp.min(jnp.stack([jnp.min(x) for x in leaves]))
    largest = jnp.max(jnp.stack([jnp.max(x) for x in leaves]))
    return smallest.astype(jnp.float32), largest.astype(jnp.float32)

  return encode, decode, extremes
