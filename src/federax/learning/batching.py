"""Batches with padding masks, taken from a client's sequence of examples.

Inside a JAX computation a client's data is an `fx.Sequence`: its examples
stacked along a padded leading axis, with the true length beside it. These
pure functions shuffle the real examples (padding stays last), cut them
into fixed-size batches and return a mask marking real examples, so every
client compiles to the same program whatever its number of examples.
"""

from __future__ import annotations

from federax.core import jax_support
from federax.core import sequence as sequence_lib


def examples(data: sequence_lib.Sequence):
  """`(stacked examples, length, padded size)` of a client's sequence."""
  jax, jnp = jax_support.jax(), jax_support.jnp()
  if not data.is_stacked:
    raise TypeError(f'client_data: the examples of this {data.element_type}* '
                    f'sequence differ in shape; a client\'s examples must '
                    f'all have the model\'s example shape.')
  stacked = jax_support.internal_to_python(data.data, data.element_type)
  size = jax.tree_util.tree_leaves(data.data)[0].shape[0]
  return stacked, jnp.asarray(data.length, jnp.int32), size


def fingerprint(stacked, length):
  """A deterministic 32-bit number derived from a client's examples.

  Clients carry no identity inside a federated computation; their data
  does. Mixing this into the round's key gives every client its own
  shuffling while keeping a round a pure function of its inputs.
  """
  jax, jnp = jax_support.jax(), jax_support.jnp()
  leaf = jax.tree_util.tree_leaves(stacked)[0]
  bits = jax.lax.bitcast_convert_type(leaf.astype(jnp.float32),
                                       jnp.uint32).reshape(leaf.shape[0], -1)
  weights = jnp.arange(1, bits.shape[1] + 1, dtype=jnp.uint32)
  per_example = jnp.sum(bits * weights, axis=1, dtype=jnp.uint32)
  rows = jnp.arange(leaf.shape[0])
  mixed = jnp.where(rows < length, per_example * (rows + 1).astype(
      jnp.uint32), jnp.uint32(0))
  return jnp.sum(mixed, dtype=jnp.uint32) ^ length.astype(jnp.uint32)


def batches(stacked, length, size: int, batch_size: int, key=None):
  """`(batched examples [nb, B, ...], mask float32 [nb, B])`.

  With a `key` the real examples are shuffled first; padding examples are
  always last and masked.
  """
  jax, jnp = jax_support.jax(), jax_support.jnp()
  num_batches = -(-size // batch_size)  # size >= 1: sequences pad to 1.
  extra = num_batches * batch_size - size  # Rows filling the last batch.
  mask = (jnp.arange(num_batches * batch_size) < length).astype(jnp.float32)
  if key is None:  # In order: a reshape, no gather (copies of row 0 fill).
    def take(x):
      x = jnp.concatenate([x, jnp.broadcast_to(x[:1], (extra,) + x.shape[1:])
                           ]) if extra else x
      return x.reshape((num_batches, batch_size) + x.shape[1:])
  else:
    order = jnp.arange(size)
    scores = jnp.where(order < length, jax.random.uniform(key, (size,)), 2.0)
    order = jnp.concatenate([jnp.argsort(scores),
                             jnp.zeros(extra, order.dtype)])

    def take(x):
      return x[order].reshape((num_batches, batch_size) + x.shape[1:])

  return (jax.tree_util.tree_map(take, stacked),
          mask.reshape(num_batches, batch_size))
