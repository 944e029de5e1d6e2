"""Validation of `TrainConfig`s: every error names the flag, what was
expected, what was given, and the fix.

Example:
  >>> from federax.apps.train import config as config_lib
  >>> validate(config_lib.TrainConfig(client_optimizer='adam',
  ...                                 client_momentum=0.9))
  Traceback (most recent call last):
  ...
  federax.apps.train.config.ConfigError: --client-momentum: only sgd has
  momentum, and --client-optimizer is adam; drop one of them.
"""

from __future__ import annotations

from typing import Any

from federax.apps.train.config import (AGGREGATORS, ALGORITHMS, DATASETS,
                                       DATASET_HELP, OPTIMIZERS,
                                       PARTITIONERS, SYNTHETIC, TASKS,
                                       ConfigError, flag)


def validate(config) -> None:
  """Raises `ConfigError` naming the first bad setting of `config`."""
  if config.task is not None:
    _check_choice('task', config.task, tuple(TASKS))
    if config.dataset is not None:
      raise ConfigError(f'{flag("task")} brings its own data; drop '
                        f'{flag("dataset")} {config.dataset}.')
  else:
    _check_dataset(config.dataset or 'digits')
  for name in ('num_clients', 'eval_clients', 'clients_per_round',
               'client_epochs', 'batch_size', 'rounds_per_eval',
               'rounds_per_checkpoint', 'keep_checkpoints', 'rounds'):
    value = getattr(config, name)
    low = 0 if name == 'rounds' else 1
    if value is not None and not (_is_int(value) and value >= low):
      raise ConfigError(f'{flag(name)}: expected an integer >= {low}, '
                        f'got {value!r}.')
  if (config.num_clients is not None and
      config.dataset_kind() in ('emnist', 'task')):
    raise ConfigError(f'{flag("num_clients")}: the clients of '
                      f'{config.task or "EMNIST"} are given (its writers, '
                      f'characters or users); drop the flag (use '
                      f'{flag("clients_per_round")}).')
  if config.synthetic_data and config.task is None:
    raise ConfigError(f'{flag("synthetic_data")} applies to '
                      f'{flag("task")} only.')
  for name in ('client_lr', 'server_lr', 'alpha', 'dp_delta'):
    value = getattr(config, name)
    if value is not None and not (_is_number(value) and value > 0):
      raise ConfigError(f'{flag(name)}: expected a number > 0, got '
                        f'{value!r}.')
  for name in ('client_momentum', 'server_momentum', 'proximal_strength',
               'dp_noise_multiplier'):
    value = getattr(config, name)
    if value is not None and not (_is_number(value) and value >= 0):
      raise ConfigError(f'{flag(name)}: expected a number >= 0, got '
                        f'{value!r}.')
  if not _is_int(config.seed):
    raise ConfigError(f'{flag("seed")}: expected an integer, got '
                      f'{config.seed!r}.')
  _check_choice('algorithm', config.algorithm, ALGORITHMS)
  for name, choices in (('client_optimizer', OPTIMIZERS),
                        ('server_optimizer', OPTIMIZERS),
                        ('partitioner', PARTITIONERS),
                        ('aggregator', AGGREGATORS)):
    if getattr(config, name) is not None:
      _check_choice(name, getattr(config, name), choices)
  models = (TASKS[config.task] if config.task else
            DATASETS[config.dataset_kind()]['models'])
  if config.model is not None:
    what = config.task or config.dataset or 'digits'
    _check_choice('model', config.model, models, f' (the models for {what})')
  for side in ('client', 'server'):
    momentum = getattr(config, f'{side}_momentum')
    optimizer = getattr(config, f'{side}_optimizer')
    if momentum is not None and optimizer != 'sgd':
      raise ConfigError(f'{flag(side + "_momentum")}: only sgd has '
                        f'momentum, and {flag(side + "_optimizer")} is '
                        f'{optimizer}; drop one of them.')
  if config.dp_noise_multiplier is not None and config.aggregator not in (
      None, 'dp'):
    raise ConfigError(f'{flag("dp_noise_multiplier")}: it sets up the dp '
                      f'aggregator, but {flag("aggregator")} is '
                      f'{config.aggregator}; drop one of them.')
  if config.aggregator == 'dp' and config.dp_noise_multiplier is None:
    raise ConfigError(f'{flag("aggregator")} dp needs '
                      f'{flag("dp_noise_multiplier")}, e.g. 1.0.')
  if config.algorithm == 'scaffold':
    for name in ('client_optimizer', 'server_optimizer'):
      if getattr(config, name) != 'sgd':
        raise ConfigError(f'{flag(name)}: scaffold uses plain SGD; got '
                          f'{getattr(config, name)}. Use sgd.')
    for name in ('client_momentum', 'server_momentum'):
      if getattr(config, name):
        raise ConfigError(f'{flag(name)}: scaffold uses plain SGD, '
                          f'without momentum; drop the flag.')
  for name in ('tensorboard', 'plot', 'progress', 'synthetic_data'):
    if not isinstance(getattr(config, name), bool):
      raise ConfigError(f'{flag(name)}: expected true or false, got '
                        f'{getattr(config, name)!r}.')


def _check_dataset(name) -> None:
  if name in ('digits', 'emnist', 'emnist62') or (
      isinstance(name, str) and SYNTHETIC.match(name)):
    return
  raise ConfigError(f'{flag("dataset")}: expected {DATASET_HELP}; got '
                    f'{name!r}.')


def _check_choice(name, value, choices, where='') -> None:
  if value not in choices:
    raise ConfigError(f'{flag(name)}: expected one of '
                      f'{", ".join(choices)}{where}; got {value!r}.')


def _is_int(value: Any) -> bool:
  return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
  return isinstance(value, (int, float)) and not isinstance(value, bool)
