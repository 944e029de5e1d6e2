"""What a client computes: local training, evaluation and full gradients.

Pure JAX functions over a model (`fx.learning.models.Model`), used inside
the client work's `jax_computation`s; the vectorized backend vmaps them
over clients. Loops are `lax.scan`s over epochs and batches; a batch with
no real example (the padding of a client with fewer examples than the
largest) changes nothing, so results equal an unpadded loop.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

from federax.core import jax_support
from federax.learning import batching
from federax.learning.client_spec import ClientSpec
from federax.learning.models import model_weights as model_weights_lib


class LocalResult(NamedTuple):
  """What local training returns for one client."""
  weights: Any            # ModelWeights after training
  local_variables: Any    # the model's metric accumulators
  loss_sum: Any           # sum over examples seen of the loss
  num_examples: Any       # int32, examples seen (all epochs)
  num_batches: Any        # int32, batches trained on


def _select(flag, new, old):
  jax, jnp = jax_support.jax(), jax_support.jnp()
  return jax.tree_util.tree_map(lambda a, b: jnp.where(flag, a, b), new, old)


def client_key(seed, round_num, stacked, length):
  """The PRNG key of one client in one round."""
  jax = jax_support.jax()
  key = jax.random.fold_in(jax.random.key(seed), round_num)
  return jax.random.fold_in(key, batching.fingerprint(stacked, length))


def train(model, optimizer, weights, data, spec: ClientSpec, key,
          grad_fn: Callable | None = None,
          optimizer_state=None, update_optimizer_state: bool = True
          ) -> LocalResult:
  """Trains `weights` on a client's `data` (an `fx.Sequence` of examples).

  `grad_fn(grads, trainable)` may adjust each gradient (FedProx's
  proximal term, SCAFFOLD's correction). `optimizer_state` starts the
  optimizer from a given state (Mime Lite passes the server's);
  `update_optimizer_state=False` keeps it fixed during the round.
  """
  jax, jnp = jax_support.jax(), jax_support.jnp()
  import optax
  stacked, length, size = batching.examples(data)
  opt_state = (optimizer.init(weights.trainable) if optimizer_state is None
               else optimizer_state)
  max_steps = spec.max_elements

  def step(carry, xs):
    trainable, non_trainable, opt, local, loss_sum, n, steps = carry
    batch, mask = xs
    active = jnp.sum(mask) > 0
    if max_steps is not None:
      active = active & (steps < max_steps)

    def loss_fn(t):
      out, new_nt = model.forward_pass(
          model_weights_lib.ModelWeights(t, non_trainable), batch,
          training=True, sample_weight=mask)
      return out.loss, (out, new_nt)

    (_, (out, new_nt)), grads = jax.value_and_grad(loss_fn, has_aux=True)(
        trainable)
    if grad_fn is not None:
      grads = grad_fn(grads, trainable)
    updates, new_opt = optimizer.update(grads, opt, trainable)
    new_trainable = optax.apply_updates(trainable, updates)
    if not update_optimizer_state:
      new_opt = opt
    new_local = model.update_local_metrics(local, batch, out, mask)
    seen = jnp.asarray(out.num_examples, jnp.int32)
    new = (new_trainable, new_nt, new_opt, new_local,
           loss_sum + out.loss * seen.astype(loss_sum.dtype), n + seen,
           steps + 1)
    return _select(active, new, carry), None

  def epoch(carry, epoch_key):
    shuffled = batches_of(stacked, length, size, spec, epoch_key)
    carry, _ = jax.lax.scan(step, carry, shuffled)
    return carry, None

  keys = jax.random.split(key, spec.num_epochs)
  init = (weights.trainable, weights.non_trainable, opt_state,
          model.local_variables, jnp.float32(0.0), jnp.int32(0),
          jnp.int32(0))
  (trainable, non_trainable, _, local, loss_sum, n, steps), _ = jax.lax.scan(
      epoch, init, keys)
  return LocalResult(model_weights_lib.ModelWeights(trainable, non_trainable),
                     local, loss_sum, n, steps)


def batches_of(stacked, length, size, spec: ClientSpec, key):
  return batching.batches(stacked, length, size, spec.batch_size,
                          key if spec.shuffle else None)


def evaluate(model, weights, data, batch_size: int) -> LocalResult:
  """The model's metrics and loss on a client's data (no training)."""
  jax, jnp = jax_support.jax(), jax_support.jnp()
  stacked, length, size = batching.examples(data)

  def step(carry, xs):
    local, loss_sum, n, steps = carry
    batch, mask = xs
    out, _ = model.forward_pass(weights, batch, training=False,
                                sample_weight=mask)
    seen = jnp.asarray(out.num_examples, jnp.int32)
    new = (model.update_local_metrics(local, batch, out, mask),
           loss_sum + out.loss * seen.astype(loss_sum.dtype), n + seen,
           steps + 1)
    return _select(jnp.sum(mask) > 0, new, carry), None

  (local, loss_sum, n, steps), _ = jax.lax.scan(
      step, (model.local_variables, jnp.float32(0.0), jnp.int32(0),
             jnp.int32(0)),
      batching.batches(stacked, length, size, batch_size))
  return LocalResult(weights, local, loss_sum, n, steps)


def full_gradient(model, weights, data, batch_size: int):
  """`(gradient of the mean loss over all examples, LocalResult)`."""
  jax, jnp = jax_support.jax(), jax_support.jnp()
  stacked, length, size = batching.examples(data)
  zeros = jax.tree_util.tree_map(jnp.zeros_like, weights.trainable)

  def step(carry, xs):
    grad_sum, local, loss_sum, n, steps = carry
    batch, mask = xs

    def loss_fn(t):
      out, _ = model.forward_pass(
          model_weights_lib.ModelWeights(t, weights.non_trainable), batch,
          training=True, sample_weight=mask)
      return out.loss, out

    (_, out), grads = jax.value_and_grad(loss_fn, has_aux=True)(
        weights.trainable)
    seen = jnp.asarray(out.num_examples, jnp.int32)
    scale = seen.astype(jnp.float32)
    new = (jax.tree_util.tree_map(lambda s, g: s + g * scale.astype(g.dtype),
                                  grad_sum, grads),
           model.update_local_metrics(local, batch, out, mask),
           loss_sum + out.loss * scale, n + seen, steps + 1)
    return _select(jnp.sum(mask) > 0, new, carry), None

  (grad_sum, local, loss_sum, n, steps), _ = jax.lax.scan(
      step, (zeros, model.local_variables, jnp.float32(0.0), jnp.int32(0),
             jnp.int32(0)),
      batching.batches(stacked, length, size, batch_size))
  denominator = jnp.maximum(n, 1).astype(jnp.float32)
  gradient = jax.tree_util.tree_map(
      lambda g: g / denominator.astype(g.dtype), grad_sum)
  return gradient, LocalResult(weights, local, loss_sum, n, steps)


def zero_if_non_finite(update):
  """`(update or zeros, 1 if any value was non-finite else 0)`."""
  jax, jnp = jax_support.jax(), jax_support.jnp()
  leaves = jax.tree_util.tree_leaves(update)
  finite = jnp.all(jnp.asarray([jnp.all(jnp.isfinite(x)) for x in leaves])
                   ) if leaves else jnp.bool_(True)
  cleaned = jax.tree_util.tree_map(
      lambda x: jnp.where(finite, x, jnp.zeros_like(x)), update)
  return cleaned, jnp.where(finite, 0, 1).astype(jnp.int32)
