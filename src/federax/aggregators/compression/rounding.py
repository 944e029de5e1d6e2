"""Rounding to the integer grid, as pure JAX functions (used at clients).

`stochastic_round(x, key)` rounds each coordinate up with probability equal
to its fractional part, so that `E[round(x)] = x` (unbiased). With
`beta > 0` it is conditional (Kairouz et al. 2021, "The Distributed
Discrete Gaussian Mechanism"): it draws again, up to `max_tries` times,
while the rounded vector's L2 norm exceeds a bound that holds with
probability at least `1 - beta`, which caps the norm growth that
rounding can cause at a small cost in bias.
"""

from __future__ import annotations

import math

from federax.aggregators.compression import keys as keys_lib
from federax.core import jax_support

INT32_LIMIT = 2.0**31 - 2.0**7  # The largest float32 below 2**31.


def inflated_norm_bound(norm, dim: int, beta: float):
  """A bound on `||round(x)||` for `||x|| = norm` on the unit grid, that
  holds with probability `>= 1 - beta` (always, for `beta = 0`).

  Example:
    >>> round(float(inflated_norm_bound(3.0, 4, 0.0)), 4)
    5.0
  """
  jnp = jax_support.jnp()
  norm = jnp.asarray(norm, jnp.float32)
  sqrt_dim = math.sqrt(dim)
  bound_1 = norm + sqrt_dim
  if beta <= 0:
    return bound_1
  beta_term = math.sqrt(2.0 * math.log(1.0 / beta))
  bound_2 = jnp.sqrt(norm**2 + dim / 4.0 + beta_term * (norm + sqrt_dim / 2))
  return jnp.minimum(bound_1, bound_2)


def stochastic_round(x, key, beta: float = 0.0, max_tries: int = 100):
  """`x` (float32) rounded stochastically to integers (still float32).

  With `beta = 0` the result is unbiased. With `beta > 0` draws repeat
  while the L2 norm exceeds `inflated_norm_bound`; after `max_tries` the
  last draw is kept.

  Example:
    >>> import jax, numpy as np
    >>> r = stochastic_round(np.full(1000, 0.25, np.float32),
    ...                      jax.random.key(0))
    >>> sorted(set(r.tolist())), 0.2 < float(r.mean()) < 0.3
    ([0.0, 1.0], True)
  """
  jax, jnp = jax_support.jax(), jax_support.jnp()
  x = jnp.asarray(x)
  floor = jnp.floor(x)
  frac = x - floor

  def draw(k):
    u = keys_lib.uniform(keys_lib.random_bits(k, x.size)).reshape(x.shape)
    return floor + (u < frac).astype(x.dtype)

  first = draw(key)
  if beta <= 0:
    return first
  bound = inflated_norm_bound(jnp.linalg.norm(x), x.size, beta)

  def cond(carry):
    tries, rounded = carry
    return (tries < max_tries) & (jnp.linalg.norm(rounded) > bound)

  def body(carry):
    tries, _ = carry
    return tries + 1, draw(jax.random.fold_in(key, tries))

  _, rounded = jax.lax.while_loop(cond, body, (jnp.int32(1), first))
  return rounded


def to_int32(x):
  """Integral float32 values as int32, saturating outside its range."""
  jnp = jax_support.jnp()
  return jnp.clip(x, -INT32_LIMIT, INT32_LIMIT).astype(jnp.int32)
