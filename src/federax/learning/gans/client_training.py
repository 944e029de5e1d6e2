"""What a client does in a round of federated GAN training.

It trains its copy of the discriminator on its real examples against
examples from the broadcast generator, and sends the change in the
discriminator's weights (weighted by its number of examples).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from federax.learning import batching
from federax.learning import local_training

# Folded into an epoch's key for its shuffling (batches use their index).
_SHUFFLE_TAG = 0x7FFFFFFF


class FromServer(NamedTuple):
  """What the server broadcasts: both networks and the round number."""
  generator_weights: Any
  discriminator_weights: Any
  round_num: Any


class ClientOutput(NamedTuple):
  """A client's discriminator delta, its weight and its training totals."""
  discriminator_weights_delta: Any
  update_weight: Any
  loss_sum: Any
  num_examples: Any
  non_finite: Any


def noise_batch(spec, key, batch_size: int):
  """Generator inputs: `float32[batch_size, *spec.noise_shape]` N(0, 1)."""
  import jax
  import jax.numpy as jnp
  return jax.random.normal(key, (batch_size,) + spec.noise_shape,
                           jnp.float32)


def train_discriminator(spec, loss, optimizer, from_server, data,
                        client_spec, seed: int) -> ClientOutput:
  """Local discriminator training on one client's sequence of examples.

  Each batch of real examples (shuffled, padded, masked as the learning
  processes do) is matched by as many generated examples, drawn with a
  key derived from `seed`, the round and the client's data; the optimizer
  starts fresh each round (clients keep no state). Batches with no real
  example change nothing.

  Example:
    >>> import numpy as np, optax, federax as fx
    >>> from federax.learning import gans
    >>> from federax.learning.gans import client_training
    >>> spec = gans.GanSpec(lambda w, z: z * w, lambda w, x: x @ w,
    ...                     np.ones((), np.float32), np.zeros(2, np.float32),
    ...                     (2,), (2,))
    >>> @fx.jax_computation(fx.SequenceType((np.float32, [2])))
    ... def delta(data):
    ...   server = client_training.FromServer(
    ...       np.ones((), np.float32), np.zeros(2, np.float32), 0)
    ...   return client_training.train_discriminator(
    ...       spec, gans.nonsaturating(), optax.sgd(0.1), server, data,
    ...       fx.learning.ClientSpec(batch_size=2), 0)
    >>> out = delta(np.ones((3, 2), np.float32))
    >>> int(out.num_examples), out.discriminator_weights_delta.shape
    (3, (2,))
  """
  import jax
  import jax.numpy as jnp
  import optax
  stacked, length, size = batching.examples(data)
  key = local_training.client_key(seed, from_server.round_num, stacked,
                                  length)
  generator = from_server.generator_weights
  initial = from_server.discriminator_weights

  def step(carry, xs):
    weights, opt_state, loss_sum, n, epoch_key = carry
    (batch, mask), index = xs
    # Keys by batch index: a client's noise does not depend on how far
    # its data was padded.
    noise_key, loss_key = jax.random.split(jax.random.fold_in(epoch_key,
                                                              index))
    fake = spec.generator_fn(generator,
                             noise_batch(spec, noise_key, mask.shape[0]))
    fake = jax.lax.stop_gradient(jnp.asarray(fake, jnp.float32))
    real = jnp.asarray(batch, jnp.float32)

    def loss_fn(w):
      return loss.discriminator_loss(spec.discriminator_fn, w, real, fake,
                                     mask, loss_key)

    value, grads = jax.value_and_grad(loss_fn)(weights)
    updates, new_opt = optimizer.update(grads, opt_state, weights)
    seen = jnp.sum(mask).astype(jnp.int32)
    new = (optax.apply_updates(weights, updates), new_opt,
           loss_sum + value * seen.astype(jnp.float32), n + seen, epoch_key)
    active = seen > 0
    return jax.tree_util.tree_map(lambda a, b: jnp.where(active, a, b), new,
                                  carry), None

  def epoch(carry, epoch_num):
    epoch_key = jax.random.fold_in(key, epoch_num)
    batches = local_training.batches_of(
        stacked, length, size, client_spec,
        jax.random.fold_in(epoch_key, _SHUFFLE_TAG))
    num_batches = batches[1].shape[0]
    weights, opt_state, loss_sum, n = carry
    (weights, opt_state, loss_sum, n, _), _ = jax.lax.scan(
        step, (weights, opt_state, loss_sum, n, epoch_key),
        (batches, jnp.arange(num_batches)))
    return (weights, opt_state, loss_sum, n), None

  init = (initial, optimizer.init(initial), jnp.float32(0.0), jnp.int32(0))
  (weights, _, loss_sum, n), _ = jax.lax.scan(
      epoch, init, jnp.arange(client_spec.num_epochs))
  delta = jax.tree_util.tree_map(lambda a, b: a - b, weights, initial)
  delta, flag = local_training.zero_if_non_finite(delta)
  weight = jnp.where(flag > 0, 0.0, n.astype(jnp.float32))
  return ClientOutput(delta, weight, loss_sum, n, flag)
