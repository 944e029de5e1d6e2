"""A federated GAN on handwritten digits, optionally differentially private.

The data is scikit-learn's bundled 8x8 digits (`fx.simulation.datasets.
digits`, no download), split IID over `--clients` clients. The generator
and the discriminator are small MLPs written as plain JAX functions:

- generator: noise[16] -> dense 128 -> relu -> dense 64 -> sigmoid ->
  image[8, 8] (pixels in [0, 1]);
- discriminator: image[8, 8] -> dense 128 -> leaky relu -> dense 1 (logit).

`fx.learning.gans.build_gan_training_process` runs the DP-FedAvg-GAN
pattern: each round every client trains the discriminator on its real
digits against generated ones and sends the change of its weights; the
server averages the changes (with `--noise-multiplier > 0`, through
`fx.aggregators.DifferentiallyPrivateFactory.gaussian_fixed`: each change
is clipped to `--clip` and Gaussian noise is added to the sum), applies the
average, and trains the generator against the new discriminator. At the
end a grid of 64 generated digits is written as a PNG to `--output`
(default: `federated_gan_samples.png` in the system's temporary
directory), and with DP, the epsilon spent (delta 1e-5, each round
treated as sampling `--clients` of a population of `--population`).

Run: `python examples/federated_gan.py [--rounds 300] [--clients 10]
[--noise-multiplier 0.0] [--output PATH]`. The defaults take about 30 s of
CPU time; the digits become recognizable after about 100 rounds.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import jax
import numpy as np
import optax

import federax as fx
from federax.learning import gans

NOISE_DIM, HIDDEN = 16, 128
ROUNDS, CLIENTS, SEED = 300, 10, 0


def _dense(rng, fan_in, fan_out):
  scale = np.sqrt(2.0 / fan_in)
  return (rng.normal(0.0, scale, (fan_in, fan_out)).astype(np.float32),
          np.zeros(fan_out, np.float32))


def generator_fn(weights, noise):
  """Images `float32[B, 8, 8]` in [0, 1] from noise `float32[B, 16]`."""
  (w1, b1), (w2, b2) = weights
  hidden = jax.nn.relu(noise @ w1 + b1)
  return jax.nn.sigmoid(hidden @ w2 + b2).reshape(-1, 8, 8)


def discriminator_fn(weights, images):
  """One logit per image of `float32[B, 8, 8]`."""
  (w1, b1), (w2, b2) = weights
  hidden = jax.nn.leaky_relu(images.reshape(images.shape[0], -1) @ w1 + b1,
                             0.2)
  return (hidden @ w2 + b2)[:, 0]


def gan_spec(seed=SEED) -> gans.GanSpec:
  """The two MLPs with He-initialized weights."""
  rng = np.random.default_rng(seed)
  return gans.GanSpec(
      generator_fn=generator_fn, discriminator_fn=discriminator_fn,
      initial_generator_weights=(_dense(rng, NOISE_DIM, HIDDEN),
                                 _dense(rng, HIDDEN, 64)),
      initial_discriminator_weights=(_dense(rng, 64, HIDDEN),
                                     _dense(rng, HIDDEN, 1)),
      noise_shape=(NOISE_DIM,), data_shape=(8, 8))


def load_clients(num_clients=CLIENTS, seed=SEED):
  """A list of `float32[n_i, 8, 8]` arrays: each client's training digits."""
  train, _ = fx.simulation.datasets.digits(num_clients, 'iid', seed=seed)
  return [np.stack([e['pixels'] for e in train.create_dataset_for_client(c)])
          for c in train.client_ids]


def build_process(spec, num_clients=CLIENTS, noise_multiplier=0.0, clip=0.5,
                  seed=SEED):
  """`(process, aggregator)`: private when `noise_multiplier > 0`."""
  aggregator = None
  if noise_multiplier > 0:
    aggregator = fx.aggregators.DifferentiallyPrivateFactory.gaussian_fixed(
        noise_multiplier, clients_per_round=num_clients, clip=clip,
        noise_seed=seed)
  process = gans.build_gan_training_process(
      spec, client_discriminator_optimizer=optax.sgd(0.05),
      generator_optimizer=optax.adam(2e-3, b1=0.5),
      discriminator_aggregator=aggregator,
      client_spec=fx.learning.ClientSpec(batch_size=32, seed=seed),
      generator_steps=4, generator_batch_size=64, seed=seed)
  return process, aggregator


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('--rounds', type=int, default=ROUNDS)
  parser.add_argument('--clients', type=int, default=CLIENTS)
  parser.add_argument('--noise-multiplier', type=float, default=0.0)
  parser.add_argument('--clip', type=float, default=0.5)
  parser.add_argument('--population', type=int, default=1000)
  parser.add_argument('--seed', type=int, default=SEED)
  parser.add_argument('--output', default=os.path.join(
      tempfile.gettempdir(), 'federated_gan_samples.png'))
  args = parser.parse_args(argv)

  clients = load_clients(args.clients, args.seed)
  spec = gan_spec(args.seed)
  process, aggregator = build_process(spec, args.clients,
                                      args.noise_multiplier, args.clip,
                                      args.seed)
  state = process.initialize()
  start = time.time()
  for round_num in range(1, args.rounds + 1):
    state, metrics = process.next(state, clients)
    if round_num % 25 == 0 or round_num == args.rounds:
      print(f'round {round_num}: discriminator loss '
            f'{float(metrics["discriminator_loss"]):.3f}, generator loss '
            f'{float(metrics["generator_loss"]):.3f} '
            f'({time.time() - start:.1f} s)')
  samples = gans.generate(spec, state.generator_weights, 64,
                          seed=args.seed)
  gans.save_image_grid(args.output, samples, columns=8, scale=4)
  print(f'wrote 64 samples to {args.output}')
  if aggregator is not None:
    epsilon = fx.aggregators.compute_epsilon(
        aggregator, args.rounds, delta=1e-5,
        population_size=max(args.population, args.clients))
    print(f'epsilon {epsilon:.2f} at delta 1e-5')
  return state, args.output


if __name__ == '__main__':
  main()
