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
# TFF's baseline tasks (fx.simulation.baselines): their models by id, the
# first the default.
TASKS = {
    'emnist_character': ('cnn_dropout', 'cnn', '2nn'),
    'cifar100_image': ('resnet18', 'resnet34', 'resnet50', 'resnet101',
                       'resnet152'),
    'shakespeare_character': ('lstm',),
    'stackoverflow_word': ('lstm',),
    'stackoverflow_tag': ('logistic',),
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
                      'eval_clients', 'tensorboard', 'plot', 'progress',
                      'compilation_cache'})
SYNTHETIC = re.compile(r'^synthetic(_iid|_(\d+(\.\d+)?)_(\d+(\.\d+)?))?$')


def _setting(default, help_text, group, metavar=None, choices=None):
  return dataclasses.field(default=default, metadata=dict(
      help=help_text, group=group, metavar=metavar, choices=choices))


@dataclasses.dataclass(frozen=True)
class TrainConfig:
  """The settings of one `federax train` run (see `federax train --help`)."""
  dataset: str | None = _setting(
      None, DATASET_HELP + ' (default digits)', 'data', 'NAME')
  task: str | None = _setting(
      None, 'instead of --dataset, one of TFF\'s baseline tasks: '
      + ', '.join(TASKS) + ' (model and data; see docs/cli.md)', 'data',
      'NAME')
  synthetic_data: bool = _setting(
      False, 'with --task: small stand-in clients instead of the '
      'downloaded data', 'data')
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
      'linear for synthetic); with --task, its model_id (e.g. cnn_dropout, '
      '2nn, resnet18)', 'model', 'NAME')
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
  compilation_cache: bool = _setting(
      True, 'keep compiled programs on disk (~/.cache/federax/xla) so the '
      'next run starts faster', 'run')

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
    """'digits', 'synthetic', 'emnist' (the `DATASETS` entry) or 'task'."""
    dataset = self.dataset or 'digits'
    if self.task is not None:
      return 'task'
    if dataset.startswith('synthetic'):
      return 'synthetic'
    return 'emnist' if dataset.startswith('emnist') else dataset

  def resolved(self) -> TrainConfig:
    """The config with every `None` default filled in (validated)."""
    self.validate()
    if self.task is not None:
      defaults = dict(model=TASKS[self.task][0], num_clients=None,
                      clients_per_round=10)
    else:
      defaults = DATASETS[self.dataset_kind()]
    model = self.model or defaults['model']
    name = self.task or self.dataset or 'digits'
    changes = dict(
        dataset=None if self.task else name, model=model,
        num_clients=self.num_clients or defaults['num_clients'],
        aggregator=self.aggregator or (
            'dp' if self.dp_noise_multiplier is not None else 'mean'),
        server_lr=self.server_lr if self.server_lr is not None else (
            0.1 if self.algorithm == 'fedsgd' else 1.0),
        output_dir=self.output_dir or os.path.join(
            'runs', f'{name}_{self.algorithm}_{model}'))
    if self.clients_per_round is None and self.dataset_kind() != 'digits':
      changes['clients_per_round'] = defaults['clients_per_round']
    if self.algorithm == 'fedavgm' and self.server_momentum is None:
      changes['server_momentum'] = 0.9
    return self.replace(**changes)

  def validate(self) -> None:
    """Raises `ConfigError` naming the first bad setting."""
    from federax.apps.train import checks
    checks.validate(self)


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
