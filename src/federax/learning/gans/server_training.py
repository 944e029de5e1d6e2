"""What the server does in a round of federated GAN training.

It applies the aggregated discriminator delta with the server's
discriminator optimizer, then trains the generator against the new
discriminator for a few steps on noise it draws itself (TFF's order: the
generator always plays against the freshest discriminator).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from federax.learning.gans import client_training

# Folded into the server's keys so they never equal a client's.
_SERVER_TAG = 0x5EED


class GanState(NamedTuple):
  """The server state of federated GAN training."""
  generator_weights: Any
  discriminator_weights: Any
  generator_optimizer_state: Any
  discriminator_optimizer_state: Any
  aggregator: Any
  round_num: Any


def initial_state(spec, generator_optimizer, discriminator_optimizer,
                  aggregator_state=()):
  """The state before the first round (round 0)."""
  import jax.numpy as jnp
  return GanState(
      spec.initial_generator_weights, spec.initial_discriminator_weights,
      generator_optimizer.init(spec.initial_generator_weights),
      discriminator_optimizer.init(spec.initial_discriminator_weights),
      aggregator_state, jnp.int32(0))


def update_discriminator(optimizer, weights, opt_state, mean_delta):
  """`(weights, opt_state)` after the server step along `mean_delta`.

  The negated delta is the optimizer's gradient, so SGD with learning rate
  1 adds the mean delta (FedAvg). A delta that is not finite (e.g. the mean
  of zero clients) leaves both unchanged.
  """
  import jax
  import jax.numpy as jnp
  import optax
  gradient = jax.tree_util.tree_map(lambda d: -d, mean_delta)
  updates, new_state = optimizer.update(gradient, opt_state, weights)
  new_weights = optax.apply_updates(weights, updates)
  leaves = jax.tree_util.tree_leaves(mean_delta)
  finite = jnp.all(jnp.asarray([jnp.all(jnp.isfinite(x)) for x in leaves]))
  return jax.tree_util.tree_map(
      lambda a, b: jnp.where(finite, a, b), (new_weights, new_state),
      (weights, opt_state))


def train_generator(spec, loss, optimizer, generator, opt_state,
                    discriminator, key, steps: int, batch_size: int):
  """`(generator, opt_state, mean loss)` after `steps` generator steps."""
  import jax
  import jax.numpy as jnp
  import optax

  def step(carry, step_key):
    weights, state = carry

    def loss_fn(w):
      fake = spec.generator_fn(
          w, client_training.noise_batch(spec, step_key, batch_size))
      return loss.generator_loss(spec.discriminator_fn, discriminator,
                                 jnp.asarray(fake, jnp.float32))

    value, grads = jax.value_and_grad(loss_fn)(weights)
    updates, state = optimizer.update(grads, state, weights)
    return (optax.apply_updates(weights, updates), state), value

  (generator, opt_state), losses = jax.lax.scan(
      step, (generator, opt_state), jax.random.split(key, steps))
  return generator, opt_state, jnp.mean(losses)


def server_update(spec, loss, generator_optimizer, discriminator_optimizer,
                  seed: int, steps: int, batch_size: int, state, mean_delta,
                  aggregator_state):
  """`(new GanState, generator loss)`: the server's half of a round."""
  import jax
  discriminator, disc_opt = update_discriminator(
      discriminator_optimizer, state.discriminator_weights,
      state.discriminator_optimizer_state, mean_delta)
  key = jax.random.fold_in(jax.random.fold_in(
      jax.random.key(seed), _SERVER_TAG), state.round_num)
  generator, gen_opt, gen_loss = train_generator(
      spec, loss, generator_optimizer, state.generator_weights,
      state.generator_optimizer_state, discriminator, key, steps, batch_size)
  return GanState(generator, discriminator, gen_opt, disc_opt,
                  aggregator_state, state.round_num + 1), gen_loss
