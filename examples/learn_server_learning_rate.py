"""Learning FedAvg's server learning rate by gradient descent through rounds.

A FedAvg round run by the vectorized JAX backend is one JAX program, and
`fx.backends.jax.to_jax_function(process.next)` hands it over as a pure,
differentiable function. Its state holds the server optimizer's learning
rate (an optax hyperparameter), so the derivative of a validation loss
after a round with respect to that rate is one `jax.grad` away: a
hypergradient, through every client's local training, the weighted mean
and the server step.

The data is FedProx's Synthetic(1, 1) (`fx.simulation.datasets.synthetic`,
10 heterogeneous clients, 60 features, 10 classes); the model a softmax
regression. Each round:

1. the hypergradient `d validation_loss(next(state, lr)) / d log(lr)` is
   computed at the current state (a one-round lookahead);
2. `log(lr)` takes a gradient step (Adam, learning rate `--meta-lr`);
3. the round is run with the new rate.

A run with the rate fixed at its starting value is the baseline. With
the defaults the learned rate grows from 0.2 to about 4.7 and the
validation loss after 12 rounds is 0.38, against 1.27 for the fixed
rate. Run: `python examples/learn_server_learning_rate.py [--rounds 12]
[--meta-lr 0.3]`; about 20 s on a CPU, most of it compiling.
"""

from __future__ import annotations

import argparse
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax

import federax as fx

ROUNDS, META_LR, INITIAL_LR, CLIENTS = 12, 0.3, 0.2, 10


def load_data(num_clients=CLIENTS, seed=0):
  """`(client datasets, validation (x, y))` of Synthetic(1, 1)."""
  train, test = fx.simulation.datasets.synthetic(
      alpha=1.0, beta=1.0, num_clients=num_clients, seed=seed)
  clients = [train.create_dataset_for_client(c) for c in train.client_ids]
  held_out = test.create_dataset_from_all_clients().__fx_stacked__()
  return clients, (jnp.asarray(held_out['x']), jnp.asarray(held_out['y']))


def build_model():
  """Softmax regression from 60 features to 10 classes."""
  models = fx.learning.models
  return models.FunctionalModel(
      initial_weights=((np.zeros((60, 10), np.float32),
                        np.zeros(10, np.float32)), ()),
      predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0] + w[0][1],
      loss_fn=models.sparse_categorical_crossentropy,
      input_spec={'x': (np.float32, [None, 60]), 'y': (np.int32, [None])})


def validation_loss(state, validation):
  """Cross-entropy of the state's model on the held-out examples."""
  x, y = validation
  kernel, bias = state.global_model_weights.trainable
  logits = x @ kernel + bias
  return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, y))


def with_server_lr(state, learning_rate):
  """`state` with the server optimizer's learning rate replaced."""
  return state._replace(finalizer=state.finalizer._replace(
      hyperparams={'learning_rate': jnp.asarray(learning_rate, jnp.float32)}))


def build_process(seed=0):
  """FedAvg for the model, and its round as a pure JAX function."""
  process = fx.learning.algorithms.build_weighted_fed_avg(
      build_model(), fx.learning.optimizers.build_sgdm(0.05),
      fx.learning.optimizers.build_sgdm(INITIAL_LR),
      client_spec=fx.learning.ClientSpec(batch_size=32, max_elements=8,
                                         seed=seed))
  return process, fx.backends.jax.to_jax_function(process.next)


def run(process, next_fn, data, rounds=ROUNDS, meta_lr=META_LR, learn=True):
  """Trains for `rounds`; returns `(server learning rates, validation losses)`.

  `data` is `(client datasets, validation (x, y))`. With `learn=False`
  the server learning rate stays at `INITIAL_LR`.
  """
  clients, validation = data

  def lookahead_loss(log_lr, state):
    new_state, _ = next_fn(with_server_lr(state, jnp.exp(log_lr)), clients)
    return validation_loss(new_state, validation)

  hypergradient = jax.jit(jax.grad(lookahead_loss))
  meta = optax.adam(meta_lr)
  log_lr = jnp.log(jnp.float32(INITIAL_LR))
  meta_state = meta.init(log_lr)
  state = process.initialize()
  rates, losses = [], []
  for round_num in range(1, rounds + 1):
    if learn:
      updates, meta_state = meta.update(hypergradient(log_lr, state),
                                        meta_state)
      log_lr = optax.apply_updates(log_lr, updates)
    state, _ = next_fn(with_server_lr(state, jnp.exp(log_lr)), clients)
    rates.append(float(jnp.exp(log_lr)))
    losses.append(float(validation_loss(state, validation)))
    print(f'{"learned" if learn else "fixed  "} round {round_num:2d}  '
          f'server lr {rates[-1]:.3f}  validation loss {losses[-1]:.4f}',
          flush=True)
  return rates, losses


def main(argv=()):
  """Runs the baseline and the learned rate; returns both runs' results."""
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--rounds', type=int, default=ROUNDS)
  parser.add_argument('--meta-lr', type=float, default=META_LR)
  args = parser.parse_args(argv)
  process, next_fn = build_process()
  data = load_data()
  fixed = run(process, next_fn, data, args.rounds, learn=False)
  learned = run(process, next_fn, data, args.rounds, args.meta_lr)
  print(f'final validation loss: fixed lr {fixed[1][-1]:.4f}, learned lr '
        f'{learned[1][-1]:.4f} (server lr {learned[0][-1]:.3f})')
  return {'fixed': fixed, 'learned': learned}


if __name__ == '__main__':
  main(sys.argv[1:])
