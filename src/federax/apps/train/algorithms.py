"""Optimizers, aggregator presets and learning processes for `federax train`.

`build_process(config, model, cohort_size)` returns `(process,
aggregator)`: the `fx.learning.algorithms` process `config.algorithm`
names, with the optimizers, local epochs, batch size and aggregator it
asks for; `aggregator` is the model-update factory (None for the
algorithm's default mean). `build_privacy_fn` reports epsilon when the
aggregator adds DP noise.

Example:
  >>> from federax.apps.train import config as config_lib, models
  >>> config = config_lib.TrainConfig(algorithm='fedprox').resolved()
  >>> model = models.build_model('linear', (4,), 3)
  >>> process, aggregator = build_process(config, model, cohort_size=5)
  >>> sorted(process.get_hparams(process.initialize()))
  ['client_work', 'finalizer']
  >>> aggregator is None
  True
"""

from __future__ import annotations

import logging
import math

from federax.apps.train.config import ConfigError, flag

NAMES = {'fedavg': 'FedAvg', 'fedavgm': 'FedAvgM', 'fedprox': 'FedProx',
         'fedsgd': 'FedSGD', 'mime': 'Mime Lite', 'scaffold': 'SCAFFOLD'}


def build_optimizer(kind: str, learning_rate: float, momentum, side: str):
  """The optax optimizer of `--{side}-optimizer kind`."""
  from federax.learning import optimizers
  if kind == 'sgd':
    return optimizers.build_sgdm(learning_rate, momentum=momentum or None)
  builder = getattr(optimizers, f'build_{kind}', None)
  if builder is None:
    raise ConfigError(f'{flag(side + "_optimizer")}: unknown optimizer '
                      f'{kind!r}.')
  return builder(learning_rate)


def build_aggregator(config, cohort_size: int):
  """The model-update aggregation factory of `config.aggregator`."""
  from federax import aggregators
  kind = config.aggregator
  if kind == 'mean':
    return None
  if kind == 'dp':
    z = config.dp_noise_multiplier
    if z >= 0.1 * cohort_size:  # TFF's adaptive clipping needs n > 10 z.
      raise ConfigError(
          f'{flag("dp_noise_multiplier")} {z}: the adaptive clipping also '
          f'noises how many of the {cohort_size} clients per round were '
          f'clipped, which needs more than 10 x the noise multiplier '
          f'clients per round; give {flag("clients_per_round")} '
          f'{math.floor(10 * z) + 1} or more, or a multiplier below '
          f'{0.1 * cohort_size:g}.')
    return aggregators.dp_aggregator(z, cohort_size, noise_seed=config.seed)
  if kind == 'compression':
    return aggregators.compression_aggregator(seed=config.seed)
  if kind == 'secure':
    return aggregators.secure_aggregator()
  if kind == 'robust':
    return aggregators.robust_aggregator()
  if kind in ('median', 'trimmed_mean'):
    return aggregators.robust_aggregator(estimator=kind)
  raise ConfigError(f'{flag("aggregator")}: unknown aggregator {kind!r}.')


def build_process(config, model, cohort_size: int):
  """`(learning process, aggregator)` for a resolved `config`."""
  from federax import learning
  algorithms = learning.algorithms
  aggregator = build_aggregator(config, cohort_size)
  spec = learning.ClientSpec(num_epochs=config.client_epochs,
                             batch_size=config.batch_size, seed=config.seed)
  client = build_optimizer(config.client_optimizer, config.client_lr,
                           config.client_momentum, 'client')
  server = build_optimizer(config.server_optimizer, config.server_lr,
                           config.server_momentum, 'server')
  common = dict(model_aggregator=aggregator, client_spec=spec)
  name = config.algorithm
  if name in ('fedavg', 'fedavgm'):
    process = algorithms.build_weighted_fed_avg(model, client, server,
                                                **common)
  elif name == 'fedprox':
    process = algorithms.build_weighted_fed_prox(
        model, config.proximal_strength, client, server, **common)
  elif name == 'fedsgd':
    process = algorithms.build_fed_sgd(model, server, **common)
  elif name == 'mime':
    process = algorithms.build_weighted_mime_lite(model, client, server,
                                                  **common)
  elif name == 'scaffold':
    process = algorithms.build_scaffold(
        model, config.client_lr, config.server_lr, **common)
  else:
    raise ConfigError(f'{flag("algorithm")}: unknown algorithm {name!r}.')
  return process, aggregator


def build_privacy_fn(aggregator, config, population: int):
  """`round_num -> {'epsilon', 'delta'}` for a DP aggregator, else None.

  Epsilon is accounted with RDP for `round_num` rounds, each sampling
  the cohort from `population` clients (`fx.aggregators.compute_epsilon`).
  """
  if config.aggregator != 'dp' or aggregator is None:
    return None
  from federax import aggregators

  def privacy_fn(round_num: int) -> dict:
    # dp_accounting warns (through absl) about every RDP order it drops;
    # the epsilon is right without them, so keep the progress bar clean.
    absl = logging.getLogger('absl')
    level = absl.level
    absl.setLevel(logging.ERROR)
    try:
      epsilon = aggregators.compute_epsilon(
          aggregator, round_num, delta=config.dp_delta,
          population_size=population)
    finally:
      absl.setLevel(level)
    return {'epsilon': epsilon, 'delta': config.dp_delta}

  return privacy_fn
