"""32-bit hashes of byte strings in JAX (MurmurHash3's mixing, vectorized).

Keys are `uint8[..., L]` arrays; a hash is a `uint32[...]`. Only `uint32`
multiplications, rotations and xors are used, so the hashes are the same
on every backend and device, inside a client's computation and on the
server that decodes.
"""

from __future__ import annotations

_C1, _C2 = 0xCC9E2D51, 0x1B873593


def _rotl(x, r: int):
  import jax.numpy as jnp
  return (x << jnp.uint32(r)) | (x >> jnp.uint32(32 - r))


def fmix32(h):
  """MurmurHash3's finalizer: every input bit affects every output bit."""
  import jax.numpy as jnp
  h = h ^ (h >> jnp.uint32(16))
  h = h * jnp.uint32(0x85EBCA6B)
  h = h ^ (h >> jnp.uint32(13))
  h = h * jnp.uint32(0xC2B2AE35)
  return h ^ (h >> jnp.uint32(16))


def hash_bytes(keys, seed):
  """`uint32[...]` hashes of the byte strings `keys` (`uint8[..., L]`).

  Example:
    >>> import numpy as np
    >>> from federax.analytics import hashing
    >>> keys = np.array([[1, 2, 3], [1, 2, 4]], np.uint8)
    >>> a = hashing.hash_bytes(keys, 0)
    >>> b = hashing.hash_bytes(keys, 1)
    >>> a.dtype, bool(a[0] != a[1]), bool(a[0] != b[0])
    (dtype('uint32'), True, True)
  """
  import jax.numpy as jnp
  keys = jnp.asarray(keys, jnp.uint8)
  length = keys.shape[-1]
  words = -(-length // 4)
  padded = jnp.pad(keys, [(0, 0)] * (keys.ndim - 1) +
                   [(0, 4 * words - length)]).astype(jnp.uint32)
  padded = padded.reshape(keys.shape[:-1] + (words, 4))
  packed = (padded[..., 0] | (padded[..., 1] << jnp.uint32(8)) |
            (padded[..., 2] << jnp.uint32(16)) |
            (padded[..., 3] << jnp.uint32(24)))
  h = jnp.full(keys.shape[:-1], jnp.asarray(seed, jnp.uint32), jnp.uint32)
  for i in range(words):
    k = packed[..., i] * jnp.uint32(_C1)
    k = _rotl(k, 15) * jnp.uint32(_C2)
    h = _rotl(h ^ k, 13) * jnp.uint32(5) + jnp.uint32(0xE6546B64)
  return fmix32(h ^ jnp.uint32(length))


def derive_seed(seed: int, index: int) -> int:
  """A 32-bit seed for the `index`-th hash function of `seed`.

  Example:
    >>> from federax.analytics import hashing
    >>> hashing.derive_seed(0, 1) != hashing.derive_seed(0, 2)
    True
  """
  x = (int(seed) * 0x9E3779B1 + int(index) * 0x85EBCA77 + 0x165667B1)
  x &= 0xFFFFFFFF
  x ^= x >> 16
  x = (x * 0x85EBCA6B) & 0xFFFFFFFF
  x ^= x >> 13
  x = (x * 0xC2B2AE35) & 0xFFFFFFFF
  return x ^ (x >> 16)
