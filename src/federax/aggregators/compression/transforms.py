"""Random rotations as pure JAX functions on flat float32 vectors.

Both are orthogonal maps: they keep L2 norms, and their inverses undo them
up to float rounding. A rotation spreads a vector's energy evenly across
its coordinates, so that coordinate-wise quantization or clipping after it
loses less (Suresh et al. 2017, Kairouz et al. 2021).

- The randomized Hadamard transform: random signs, then the fast
  Walsh-Hadamard transform, normalized by `1/sqrt(d)`, on a vector padded
  with zeros to a power of two: `O(d log d)`.
- The randomized discrete Fourier transform: the vector (padded to an even
  length) read as `d/2` complex numbers, each turned by a random angle,
  then the FFT, normalized by `1/sqrt(d/2)`.
"""

from __future__ import annotations

import math

from federax.core import jax_support


def pow2_size(size: int) -> int:
  """The smallest power of two `>= size` (1 for 0 or 1).

  Example:
    >>> [pow2_size(n) for n in (1, 2, 3, 5, 8)]
    [1, 2, 4, 8, 8]
  """
  return 1 if size <= 1 else 1 << math.ceil(math.log2(size))


def even_size(size: int) -> int:
  """`size` rounded up to an even number (at least 2)."""
  return max(2, size + size % 2)


def pad(x, size: int):
  """The flat vector `x` padded with zeros to `size` elements."""
  jnp = jax_support.jnp()
  return jnp.concatenate([x, jnp.zeros((size - x.shape[0],), x.dtype)])


def fwht(x):
  """The fast Walsh-Hadamard transform of `x` (length a power of two),
  normalized so that it is orthogonal and its own inverse.

  Example:
    >>> import numpy as np
    >>> fwht(np.array([1.0, 0.0, 0.0, 0.0], np.float32)).tolist()
    [0.5, 0.5, 0.5, 0.5]
    >>> np.round(fwht(fwht(np.array([1.0, 2.0], np.float32))), 5).tolist()
    [1.0, 2.0]
  """
  jnp = jax_support.jnp()
  x = jnp.asarray(x)
  d = x.shape[-1]
  if d & (d - 1):
    raise ValueError(f'fwht: x: expected a length that is a power of two, '
                     f'got {d}. Pad it first (transforms.pad).')
  h = 1
  while h < d:
    y = x.reshape(x.shape[:-1] + (d // (2 * h), 2, h))
    a, b = y[..., 0, :], y[..., 1, :]
    x = jnp.stack([a + b, a - b], axis=-2).reshape(x.shape)
    h *= 2
  return x / jnp.sqrt(jnp.asarray(d, x.dtype))


def hadamard_forward(x, signs):
  """`x` (length `d`, a power of two) rotated once per row of `signs`
  (`[repeats, d]`, entries +1 or -1): multiply by the signs, then FWHT."""
  for row in signs:
    x = fwht(x * row)
  return x


def hadamard_inverse(y, signs):
  """Undoes `hadamard_forward(., signs)`."""
  for row in reversed(list(signs)):
    y = fwht(y) * row
  return y


def dft_forward(x, angles):
  """`x` (float32, even length `d`) rotated once per row of `angles`
  (`[repeats, d/2]`, radians): turn each complex pair, then the FFT."""
  jnp = jax_support.jnp()
  half = x.shape[0] // 2
  for row in angles:
    z = (x[:half] + 1j * x[half:]).astype(jnp.complex64)
    z = jnp.fft.fft(z * jnp.exp(1j * row)) / jnp.sqrt(jnp.float32(half))
    x = jnp.concatenate([jnp.real(z), jnp.imag(z)]).astype(jnp.float32)
  return x


def dft_inverse(y, angles):
  """Undoes `dft_forward(., angles)`."""
  jnp = jax_support.jnp()
  half = y.shape[0] // 2
  for row in reversed(list(angles)):
    z = (y[:half] + 1j * y[half:]).astype(jnp.complex64)
    z = jnp.fft.ifft(z * jnp.sqrt(jnp.float32(half))) * jnp.exp(-1j * row)
    y = jnp.concatenate([jnp.real(z), jnp.imag(z)]).astype(jnp.float32)
  return y
