"""`TrainConfig`: every setting of `federax train`, with its flag and help.

One dataclass field per setting; its metadata holds the help text, so the
flags (`flags.py`), config files (`load_file`) and errors share names:
field `client_lr` is flag `--client-lr` and key `client_lr` (or
`client-lr`) in a JSON or TOML config file (`flags.load_file`). `None`
means "the dataset's or algorithm's default", filled in by `resolved()`.

Example:
  >>> config = TrainConfig.from_mapping({'dataset': 'synthetic_iid',
  ...                                    'client-lr': 0.05})
  >>> config.resolved().model, config.resolved().num_clients
  ('linear', 30)
  >>> TrainConfig(rounds=-1).validate()
  Traceback (most recent call last):
  ...
  federax.apps.train.config.ConfigError: --rounds: expected an integer >= 0,
  got -1.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
from typing import Any


class ConfigError(ValueError):
  """A bad setting; the message names its flag and says how to fix it."""


# Per dataset: the default model, population, clients per round (None: all),
# and the models that fit its examples.
DATASETS = {
    'digits': dict(model='mlp', num_clients=25, clients_per_round=None,
                   models=('mlp', 'cnn', 'linear')),
    'synthetic': dict(model='linear', num_clients=30, clients_per_round=10,
                      models=('linear', 'mlp')),
    'emnist': dict(model='cnn', num_clients=None, clients_per_round=10,
                   models=('cnn', 'mlp', 'linear')),
}
DATASET_HELP = ('digits (scikit-learn\'s 8x8 digits, offline), synthetic_A_B '
                '/ synthetic_iid (FedProx\'s Synthetic(A, B), generated), '
                'emnist (EMNIST digits) or emnist62 (all 62 classes; both '
                'downloaded once)')
ALGORITHMS = ('fedavg', 'fedavgm', 'fedprox', 'fedsgd', 'mime', 'scaffold')
OPTIMIZERS = ('sgd', 'adam', 'adamw', 'adagrad', 'yogi', 'rmsprop')
AGGREGATORS = ('mean', 'dp', 'compression', 'secure', 'robust', 'median',
               'trimmed_mean')
PARTITIONERS = ('dirichlet', 'iid', 'shards')
# Settings that do not change what is trained: a run may resume with others.
RUN_ONLY = frozenset({'rounds', 'output_dir', 'cache_dir', 'rounds_per_eval',
                      'rounds_per_checkpoint', 'keep_checkpoints',
                      'eval_clients', 'tensorboard', 'plot', 'progress'})
_SYNTHETIC = re.compile(r'^synthetic(_iid|_(\d+(\.\d+)?)_(\d+(\.\d+)?))?$')


def _setting(default, help_text, group, metavar=None, choices=None):
  return dataclasses.field(default=default, metadata=dict(
      help=help_text, group=group, metavar=metavar, choices=choices))


@dataclasses.dataclass(frozen=True)
class TrainConfig:
  """The settings of one `federax train` run (see `federax train --help`)."""
  dataset: str = _setting('digits', DATASET_HELP, 'data', 'NAME')
  num_clients: int | None = _setting(
      None, 'clients to split digits (25) or synthetic (30) into; EMNIST '
      'has its writers', 'data', 'N')
  partitioner: str = _setting('dirichlet', 'how digits are split among '
                              'clients', 'data', choices=PARTITIONERS)
  alpha: float = _setting(0.5, 'Dirichlet concentration of the digits '
                          'split: smaller is more non-IID', 'data', 'A')
  cache_dir: str | None = _setting(
      None, 'where downloaded datasets are cached (default '
      '$FEDERAX_DATASETS_DIR or ~/.cache/federax/datasets)', 'data', 'DIR')
  eval_clients: int | None = _setting(
      None, 'evaluate on the test data of this many clients (default all)',
      'data', 'N')
  model: str | None = _setting(
      None, 'mlp, cnn or linear (default: mlp for digits, cnn for emnist, '
      'linear for synthetic)', 'model', 'NAME')
  algorithm: str = _setting(
      'fedavg', 'fedavg, fedavgm (server momentum, default 0.9), fedprox, '
      'fedsgd, mime (Mime Lite) or scaffold', 'model', 'NAME')
  rounds: int = _setting(20, 'total rounds (a resumed run trains up to '
                         'it)', 'model', 'N')
  clients_per_round: int | None = _setting(
      None, 'clients sampled each round (default: all for digits, 10 '
      'otherwise)', 'model', 'N')
  client_epochs: int = _setting(1, 'local epochs per round', 'model', 'N')
  batch_size: int = _setting(16, 'client batch size', 'model', 'N')
  client_optimizer: str = _setting('sgd', 'client optimizer', 'model',
                                   choices=OPTIMIZERS)
  client_lr: float = _setting(0.1, 'client learning rate', 'model', 'LR')
  client_momentum: float | None = _setting(
      None, 'client SGD momentum (sgd only)', 'model', 'M')
  server_optimizer: str = _setting('sgd', 'server optimizer', 'model',
                                   choices=OPTIMIZERS)
  server_lr: float | None = _setting(
      None, 'server learning rate (default 1.0; 0.1 for fedsgd)', 'model',
      'LR')
  server_momentum: float | None = _setting(
      None, 'server SGD momentum (sgd only; fedavgm: default 0.9)', 'model',
      'M')
  proximal_strength: float = _setting(0.01, 'fedprox: mu of the proximal '
                                      'term', 'model', 'MU')
  aggregator: str | None = _setting(
      None, 'how client updates are combined (default mean; dp when '
      '--dp-noise-multiplier is given)', 'aggregation', choices=AGGREGATORS)
  dp_noise_multiplier: float | None = _setting(
      None, 'DP-FedAvg noise (adaptive clipping); epsilon is reported each '
      'round', 'aggregation', 'Z')
  dp_delta: float = _setting(1e-5, 'delta of the reported (epsilon, '
                             'delta)', 'aggregation', 'D')
  seed: int = _setting(0, 'seed of data split, model, sampling, shuffling '
                       'and noise', 'run', 'S')
  output_dir: str | None = _setting(
      None, 'where metrics, events, checkpoints and the plot go (default '
      'runs/DATASET_ALGORITHM_MODEL)', 'run', 'DIR')
  rounds_per_eval: int = _setting(1, 'evaluate every N rounds', 'run', 'N')
  rounds_per_checkpoint: int = _setting(1, 'checkpoint every N rounds',
                                        'run', 'N')
  keep_checkpoints: int = _setting(3, 'checkpoints kept (and the first)',
                                   'run', 'N')
  tensorboard: bool = _setting(True, 'write TensorBoard events', 'run')
  plot: bool = _setting(True, 'draw plot.png (needs matplotlib)', 'run')
  progress: bool = _setting(True, 'show a progress bar', 'run')

  @classmethod
  def from_mapping(cls, values, source: str = 'config') -> TrainConfig:
    """A config from `{name: value}` (dashes or underscores in names)."""
    return cls(**checked_values(values, source))

  def replace(self, **changes) -> TrainConfig:
    """A copy with `changes` applied."""
    return dataclasses.replace(self, **changes)

  def to_dict(self) -> dict:
    return dataclasses.asdict(self)

  def dataset_kind(self) -> str:
    """'digits', 'synthetic' or 'emnist': the `DATASETS` entry."""
    if self.dataset.startswith('synthetic'):
      return 'synthetic'
    return 'emnist' if self.dataset.startswith('emnist') else self.dataset

  def resolved(self) -> TrainConfig:
    """The config with every `None` default filled in (validated)."""
    self.validate()
    defaults = DATASETS[self.dataset_kind()]
    model = self.model or defaults['model']
    changes = dict(
        model=model,
        num_clients=self.num_clients or defaults['num_clients'],
        aggregator=self.aggregator or (
            'dp' if self.dp_noise_multiplier is not None else 'mean'),
        server_lr=self.server_lr if self.server_lr is not None else (
            0.1 if self.algorithm == 'fedsgd' else 1.0),
        output_dir=self.output_dir or os.path.join(
            'runs', f'{self.dataset}_{self.algorithm}_{model}'))
    if self.clients_per_round is None and self.dataset_kind() != 'digits':
      changes['clients_per_round'] = defaults['clients_per_round']
    if self.algorithm == 'fedavgm' and self.server_momentum is None:
      changes['server_momentum'] = 0.9
    return self.replace(**changes)

  def validate(self) -> None:
    """Raises `ConfigError` naming the first bad setting."""
    _check_dataset(self.dataset)
    for name in ('num_clients', 'eval_clients', 'clients_per_round',
                 'client_epochs', 'batch_size', 'rounds_per_eval',
                 'rounds_per_checkpoint', 'keep_checkpoints', 'rounds'):
      value = getattr(self, name)
      low = 0 if name == 'rounds' else 1
      if value is not None and not (_is_int(value) and value >= low):
        raise ConfigError(f'{flag(name)}: expected an integer >= {low}, '
                          f'got {value!r}.')
    if self.num_clients is not None and self.dataset_kind() == 'emnist':
      raise ConfigError(f'{flag("num_clients")}: EMNIST\'s clients are its '
                        f'writers; drop the flag (use '
                        f'{flag("clients_per_round")}).')
    for name in ('client_lr', 'server_lr', 'alpha', 'dp_delta'):
      value = getattr(self, name)
      if value is not None and not (_is_number(value) and value > 0):
        raise ConfigError(f'{flag(name)}: expected a number > 0, got '
                          f'{value!r}.')
    for name in ('client_momentum', 'server_momentum', 'proximal_strength',
                 'dp_noise_multiplier'):
      value = getattr(self, name)
      if value is not None and not (_is_number(value) and value >= 0):
        raise ConfigError(f'{flag(name)}: expected a number >= 0, got '
                          f'{value!r}.')
    if not _is_int(self.seed):
      raise ConfigError(f'{flag("seed")}: expected an integer, got '
                        f'{self.seed!r}.')
    _check_choice('algorithm', self.algorithm, ALGORITHMS)
    for name, choices in (('client_optimizer', OPTIMIZERS),
                          ('server_optimizer', OPTIMIZERS),
                          ('partitioner', PARTITIONERS),
                          ('aggregator', AGGREGATORS)):
      if getattr(self, name) is not None:
        _check_choice(name, getattr(self, name), choices)
    models = DATASETS[self.dataset_kind()]['models']
    if self.model is not None:
      _check_choice('model', self.model, models,
                    f' (the models for {self.dataset})')
    for side in ('client', 'server'):
      momentum = getattr(self, f'{side}_momentum')
      optimizer = getattr(self, f'{side}_optimizer')
      if momentum is not None and optimizer != 'sgd':
        raise ConfigError(f'{flag(side + "_momentum")}: only sgd has '
                          f'momentum, and {flag(side + "_optimizer")} is '
                          f'{optimizer}; drop one of them.')
    if self.dp_noise_multiplier is not None and self.aggregator not in (
        None, 'dp'):
      raise ConfigError(f'{flag("dp_noise_multiplier")}: it sets up the dp '
                        f'aggregator, but {flag("aggregator")} is '
                        f'{self.aggregator}; drop one of them.')
    if self.aggregator == 'dp' and self.dp_noise_multiplier is None:
      raise ConfigError(f'{flag("aggregator")} dp needs '
                        f'{flag("dp_noise_multiplier")}, e.g. 1.0.')
    if self.algorithm == 'scaffold':
      for name in ('client_optimizer', 'server_optimizer'):
        if getattr(self, name) != 'sgd':
          raise ConfigError(f'{flag(name)}: scaffold uses plain SGD; got '
                            f'{getattr(self, name)}. Use sgd.')
      for name in ('client_momentum', 'server_momentum'):
        if getattr(self, name):
          raise ConfigError(f'{flag(name)}: scaffold uses plain SGD, '
                            f'without momentum; drop the flag.')
    for name in ('tensorboard', 'plot', 'progress'):
      if not isinstance(getattr(self, name), bool):
        raise ConfigError(f'{flag(name)}: expected true or false, got '
                          f'{getattr(self, name)!r}.')


def flag(name: str) -> str:
  """The command-line flag of setting `name`.

  >>> flag('client_lr')
  '--client-lr'
  """
  return '--' + name.replace('_', '-')


def field_names() -> tuple:
  return tuple(f.name for f in dataclasses.fields(TrainConfig))


def checked_values(values, source: str) -> dict:
  """`values` with names normalized to fields; unknown names are errors."""
  names = field_names()
  result = {}
  for key, value in values.items():
    name = str(key).replace('-', '_')
    if name not in names:
      close = difflib.get_close_matches(name, names, n=1)
      hint = f' Did you mean {close[0]!r}?' if close else (
          f' Known: {", ".join(names)}.')
      raise ConfigError(f'{source}: unknown setting {key!r}.{hint}')
    result[name] = value
  return result


def _check_dataset(name) -> None:
  if name in ('digits', 'emnist', 'emnist62') or (
      isinstance(name, str) and _SYNTHETIC.match(name)):
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
