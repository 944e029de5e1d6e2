"""Seeded randomness for compression: a JAX PRNG key in the process state.

A compression process keeps one key (`uint32[2]`, threefry key data) in its
SERVER state, made from the factory's `seed`, and moves it on every round:
rounds are reproducible and never reuse randomness. Randomness shared by
all clients (the signs of a rotation) comes from the round key itself;
randomness private to a client (stochastic rounding noise) comes from the
round key folded with a fingerprint of that client's value, since clients
carry no identity inside a federated computation. Two clients with equal
values therefore draw equal noise; any difference in their values (one
bit) gives independent draws.
"""

from __future__ import annotations

import numpy as np

from federax.core import jax_support
from federax.core import types

KEY_TYPE = types.TensorType(np.uint32, [2])
_IMPL = 'threefry2x32'
_NEXT_ROUND = 0x5EED


def initial_key(seed: int) -> np.ndarray:
  """The key data of `seed`, as `jax.random.key(seed)` makes it.

  Example:
    >>> initial_key(7).tolist()
    [0, 7]
  """
  jax = jax_support.jax()
  return np.asarray(jax.random.key_data(jax.random.key(seed, impl=_IMPL)))


def wrap(key_data):
  """A typed JAX key from `uint32[2]` key data (inside JAX code)."""
  return jax_support.jax().random.wrap_key_data(key_data, impl=_IMPL)


def next_round(key_data):
  """The key data of the next round (inside JAX code).

  Example:
    >>> k = initial_key(0)
    >>> bool((next_round(k) != k).any())
    True
  """
  jax = jax_support.jax()
  return jax.random.key_data(jax.random.fold_in(wrap(key_data), _NEXT_ROUND))


def fingerprint(value):
  """A 32-bit hash of a pytree of arrays (inside JAX code).

  Every element counts, with a weight that depends on its position, so a
  change of one bit anywhere changes the result (up to hash collisions).

  Example:
    >>> import numpy as np
    >>> a = fingerprint({'w': np.zeros(3, np.float32)})
    >>> b = fingerprint({'w': np.array([0.0, 0.0, 1e-30], np.float32)})
    >>> bool(a != b)
    True
  """
  jax, jnp = jax_support.jax(), jax_support.jnp()
  total = jnp.uint32(len(jax.tree_util.tree_leaves(value)))
  for leaf in jax.tree_util.tree_leaves(value):
    x = jnp.ravel(jnp.asarray(leaf))
    if jnp.issubdtype(x.dtype, jnp.complexfloating):
      x = jnp.concatenate([jnp.real(x), jnp.imag(x)])
    if jnp.issubdtype(x.dtype, jnp.floating):
      bits = jax.lax.bitcast_convert_type(x.astype(jnp.float32), jnp.uint32)
    else:
      bits = x.astype(jnp.uint32)
    weights = (jnp.arange(1, bits.shape[0] + 1, dtype=jnp.uint32) *
               jnp.uint32(0x9E3779B1)) | jnp.uint32(1)
    mixed = bits * weights
    total = total * jnp.uint32(0x01000193) + jnp.sum(
        mixed ^ (mixed >> 15), dtype=jnp.uint32)
  return total


def client_key(key_data, value):
  """A typed key private to the client holding `value` (inside JAX code)."""
  return jax_support.jax().random.fold_in(wrap(key_data), fingerprint(value))


def shared_key(key_data, *tags: int):
  """A typed key every client derives alike, folded with `tags`."""
  jax = jax_support.jax()
  key = wrap(key_data)
  for tag in tags:
    key = jax.random.fold_in(key, tag)
  return key


def random_bits(key, size: int):
  """`size` random uint32 words from `key`: one draw of threefry, however
  many tensors they are split among (each draw adds to compile time).

  Example:
    >>> import jax
    >>> random_bits(jax.random.key(0), 3).shape
    (3,)
  """
  jax, jnp = jax_support.jax(), jax_support.jnp()
  return jax.random.bits(key, (size,), jnp.uint32)


def uniform(bits):
  """Floats uniform in `[0, 1)` from random uint32 words (24 bits each)."""
  jnp = jax_support.jnp()
  return (bits >> 8).astype(jnp.float32) * jnp.float32(2.0**-24)


def signs(bits):
  """Random +1.0 or -1.0 (float32) from random uint32 words."""
  jnp = jax_support.jnp()
  return 1.0 - 2.0 * (bits & 1).astype(jnp.float32)
