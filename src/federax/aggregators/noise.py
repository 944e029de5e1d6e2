"""Seeded JAX PRNG keys and Gaussian noise for the private aggregators.

A private aggregator keeps a PRNG key in its state (the raw `uint32[2]`
key data, a plain tensor every backend can carry) and splits it each round,
so a run is reproducible given its seed. Without a seed, one is drawn from
the operating system when the process is created.
"""

from __future__ import annotations

import secrets

from federax.core import jax_computation


def initial_key_fn(seed: int | None):
  """A no-argument computation returning the key data for `seed`.

  Example:
    >>> from federax.aggregators import noise
    >>> print(noise.initial_key_fn(7).type_signature)
    ( -> uint32[2])
  """
  if seed is None:
    seed = secrets.randbits(32)

  def initial_key():
    import jax
    return jax.random.key_data(jax.random.key(seed))

  return jax_computation.jax_computation(initial_key)


def split(key_data):
  """`(next_key_data, subkey_data)` from key data."""
  import jax
  keys = jax.random.split(jax.random.wrap_key_data(key_data))
  return jax.random.key_data(keys[0]), jax.random.key_data(keys[1])


def gaussian_like(key_data, tree, stddev):
  """Independent N(0, stddev^2) noise shaped and typed like `tree`.

  Example:
    >>> import numpy as np
    >>> from federax.aggregators import noise
    >>> key = np.array([0, 1], np.uint32)
    >>> z = noise.gaussian_like(key, {'w': np.zeros([1000], np.float32)}, 2.0)
    >>> z['w'].shape, bool(1.8 < z['w'].std() < 2.2)
    ((1000,), True)
  """
  import jax
  import jax.numpy as jnp
  leaves, treedef = jax.tree.flatten(tree)
  key = jax.random.wrap_key_data(jnp.asarray(key_data, jnp.uint32))
  out = []
  for i, leaf in enumerate(leaves):
    leaf = jnp.asarray(leaf)
    z = jax.random.normal(jax.random.fold_in(key, i), leaf.shape,
                          jnp.float32)
    out.append((z * jnp.asarray(stddev, jnp.float32)).astype(leaf.dtype))
  return jax.tree.unflatten(treedef, out)


def add_gaussian_noise(key_data, tree, stddev):
  """`tree` plus independent N(0, stddev^2) noise on every entry."""
  import jax
  return jax.tree.map(lambda x, z: x + z, tree,
                      gaussian_like(key_data, tree, stddev))
