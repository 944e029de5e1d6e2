"""Fixed-point encoding of clipped values for secure summation.

A secure sum adds integers of a known bit width. A value in a range
`[lower, upper]` is clipped to it, shifted to start at 0 and, if it is a
float, scaled to an integer `q` in `[0, 2**32)`: `q = round((v - lower) *
scale)` with `scale = floor((2**32 - 1) / (upper - lower))` when that is at
least 1 (so the default range `[0, 2**20 - 1]` has `scale = 4096`, and
integer-valued floats and multiples of 1/4096 encode exactly), else
`(2**32 - 1) / (upper - lower)`. Integers need no scaling (`q = v - lower`;
their range must span fewer than 2**32 values).

Without 64-bit JAX there is no 64-bit integer to sum a 32-bit `q` in, so
`q` travels as two 16-bit limbs in int32 (`q = hi * 2**16 + lo`), each
summed on its own: exact for up to 32767 clients. The server decodes
`sum(q) / scale + num_clients * lower`.

These are pure functions on JAX arrays, for use inside `jax_computation`s.
"""

from __future__ import annotations

import math

import numpy as np

from federax.core import dtypes as dtypes_lib
from federax.core import jax_support

LIMB_BITS = 16
_LIMB = 2**LIMB_BITS
# The largest float32 below 2**32: a float q never exceeds it.
_Q_MAX = 2.0**32 - 2.0**8


def scale_of(lower, upper, dtype) -> float:
  """The factor that maps `[lower, upper]` onto integers (1 for integers).

  Example:
    >>> import numpy as np
    >>> scale_of(0.0, 2**20 - 1, np.float32), scale_of(0, 10, np.int32)
    (4096.0, 1.0)
  """
  if not dtypes_lib.is_floating(np.dtype(dtype)):
    return 1.0
  scale = (2.0**32 - 1) / (float(upper) - float(lower))
  return float(math.floor(scale)) if scale >= 1 else scale


def _float_dtype(dtype):
  jnp = jax_support.jnp()
  return jnp.float64 if np.dtype(dtype).itemsize == 8 else jnp.float32


def encode(value, lower, upper):
  """`(hi, lo)` int32 limbs of `value` clipped to `[lower, upper]`.

  Example:
    >>> import numpy as np
    >>> hi, lo = encode(np.array([1.5, -3.0, 2e6], np.float32), 0.0, 2**20 - 1)
    >>> hi.tolist(), lo.tolist()
    ([0, 0, 65535], [6144, 0, 61440])
  """
  jax, jnp = jax_support.jax(), jax_support.jnp()
  value = jnp.asarray(value)
  dtype = value.dtype
  if dtypes_lib.is_floating(np.dtype(dtype)):
    f = _float_dtype(dtype)
    x = jnp.clip(value.astype(f), lower, upper)
    q = jnp.floor((x - f(lower)) * f(scale_of(lower, upper, dtype)) + 0.5)
    q = jnp.clip(jnp.where(jnp.isnan(q), 0, q), 0, _Q_MAX)
    hi = jnp.floor(q / _LIMB)
    return hi.astype(jnp.int32), (q - hi * _LIMB).astype(jnp.int32)
  x = jnp.clip(value, jnp.asarray(lower, dtype), jnp.asarray(upper, dtype))
  # Modulo 2**32 the shift is exact whatever the dtype, and the shifted
  # value is below 2**32.
  q = x.astype(jnp.uint32) - jnp.uint32(int(lower) % 2**32)
  del jax
  return ((q >> LIMB_BITS).astype(jnp.int32),
          (q & jnp.uint32(_LIMB - 1)).astype(jnp.int32))


def decode(hi_sum, lo_sum, num_clients, lower, upper, dtype):
  """The sum of the clipped values from the sums of their limbs.

  Example:
    >>> import numpy as np
    >>> hi, lo = encode(np.array([1.5, 2.25], np.float32), 0.0, 2**20 - 1)
    >>> float(decode(hi.sum(), lo.sum(), 2, 0.0, 2**20 - 1, np.float32))
    3.75
  """
  jax, jnp = jax_support.jax(), jax_support.jnp()
  dtype = np.dtype(dtype)
  if dtypes_lib.is_floating(dtype):
    f = _float_dtype(dtype)
    total = hi_sum.astype(f) * _LIMB + lo_sum.astype(f)
    scale = f(scale_of(lower, upper, dtype))
    value = total / scale + jnp.asarray(num_clients, f) * f(lower)
    return value.astype(dtype)
  if dtype.itemsize == 8:
    wide = jnp.uint64 if dtype.kind == 'u' else jnp.int64
    total = (hi_sum.astype(wide) * _LIMB + lo_sum.astype(wide) +
             jnp.asarray(num_clients, wide) * wide(lower))
    return total.astype(dtype)
  # Modulo 2**32: exact whenever the true sum fits the dtype; it wraps
  # around as an integer federated_sum would otherwise.
  u32 = jnp.uint32
  total = (hi_sum.astype(u32) * u32(_LIMB) + lo_sum.astype(u32) +
           jnp.asarray(num_clients, u32) * u32(int(lower) % 2**32))
  if dtype.itemsize == 4:
    return jax.lax.bitcast_convert_type(total, dtype)
  return total.astype(dtype)
