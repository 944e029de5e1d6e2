"""Global norms of pytrees of tensors, and clipping by them (pure JAX).

A value to aggregate is a pytree of tensors; its *global* norm is the norm
of all its entries taken together, computed in float32 whatever the dtypes
(a mix of float16 and float32 is fine).
"""

from __future__ import annotations

import math

NORM_ORDERS = (1.0, 2.0, math.inf)


def global_norm(value, order: float = 2.0):
  """The L1, L2 or L-infinity norm of all the tensors of `value` together.

  Example:
    >>> import numpy as np
    >>> from federax.aggregators import norms
    >>> value = {'a': np.array([3.0, 0.0]), 'b': np.array(-4.0)}
    >>> [float(norms.global_norm(value, p)) for p in (1.0, 2.0, np.inf)]
    [7.0, 5.0, 4.0]
  """
  import jax
  import jax.numpy as jnp
  leaves = [jnp.asarray(x, jnp.float32) for x in jax.tree.leaves(value)]
  if not leaves:
    return jnp.float32(0.0)
  if order == 1.0:
    return sum(jnp.sum(jnp.abs(x)) for x in leaves)
  if order == 2.0:
    return jnp.sqrt(sum(jnp.sum(jnp.square(x)) for x in leaves))
  if math.isinf(order):
    return jnp.max(jnp.stack([jnp.max(jnp.abs(x), initial=0.0)
                              for x in leaves]))
  raise ValueError(f'global_norm: order: expected one of 1.0, 2.0 or inf, '
                   f'got {order}.')


def clip_by_global_l2_norm(value, clip):
  """`(clipped, norm)`: `value` scaled down to L2 norm `clip` if above it.

  Values whose global L2 norm is at most `clip` are returned unchanged;
  the others are multiplied by `clip / norm`, so their norm becomes `clip`.

  Example:
    >>> import numpy as np
    >>> from federax.aggregators import norms
    >>> clipped, norm = norms.clip_by_global_l2_norm(np.array([3.0, 4.0]), 1.0)
    >>> print(clipped, float(norm))
    [0.6 0.8] 5.0
  """
  import jax
  import jax.numpy as jnp
  norm = global_norm(value, 2.0)
  clip = jnp.asarray(clip, jnp.float32)
  scale = jnp.where(norm > clip, clip / jnp.where(norm > clip, norm, 1.0),
                    1.0)
  clipped = jax.tree.map(
      lambda x: jnp.asarray(x) * scale.astype(jnp.asarray(x).dtype), value)
  return clipped, norm
