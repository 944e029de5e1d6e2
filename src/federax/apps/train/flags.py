"""The flags of `federax train`, made from `TrainConfig`'s fields.

Flags default to "not given" (`argparse.SUPPRESS`), so `config_from_args`
can layer them: `TrainConfig` defaults, then the `--config` file, then the
flags given. Importing this loads no JAX.

Example:
  >>> import argparse
  >>> parser = argparse.ArgumentParser()
  >>> add_arguments(parser)
  >>> args = parser.parse_args(['--rounds', '3', '--no-plot'])
  >>> config = config_from_args(args)
  >>> config.rounds, config.plot, config.resolved().dataset
  (3, False, 'digits')
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os

from federax.apps.train import config as config_lib

ConfigError = config_lib.ConfigError

GROUPS = {'data': 'data', 'model': 'model and training',
          'aggregation': 'aggregation and privacy',
          'run': 'seeds and outputs'}
DESCRIPTION = """\
Train a model with federated learning in simulation, from flags or a config
file, and write metrics.csv, TensorBoard events, checkpoints and plot.png
(loss and accuracy per round) into the output directory. Running the same
command again resumes from the latest checkpoint."""
EPILOG = """\
examples:
  federax train --dataset digits --rounds 20
  federax train --dataset synthetic_1_1 --algorithm fedprox \\
      --proximal-strength 0.01 --clients-per-round 10
  federax train --dataset digits --dp-noise-multiplier 0.5 --client-epochs 2
  federax train --config run.toml --rounds 50     # flags override the file
  federax train --dataset digits --print-config > run.json

config files (--config) are JSON or TOML (top level or a [train] table)
with the flags' names as keys, e.g. {"dataset": "digits", "client_lr": 0.1}.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
  """Adds every `TrainConfig` flag, `--config`, `--fresh` and
  `--print-config` to `parser`."""
  parser.add_argument(
      '--config', metavar='FILE', default=None,
      help='read settings from a JSON or TOML file; flags override them')
  groups = {key: parser.add_argument_group(title)
            for key, title in GROUPS.items()}
  for field in dataclasses.fields(config_lib.TrainConfig):
    meta = field.metadata
    kwargs = dict(dest=field.name, default=argparse.SUPPRESS)
    help_text = meta['help']
    if field.default is not None and not isinstance(field.default, bool):
      help_text += f' (default {field.default})'
    if field.type == 'bool':
      kwargs['action'] = argparse.BooleanOptionalAction
      help_text += f' (default: {"yes" if field.default else "no"})'
    else:
      kwargs['type'] = _value_type(field.type)
      if meta['choices']:
        kwargs['choices'] = meta['choices']
      else:
        kwargs['metavar'] = meta['metavar']
    groups[meta['group']].add_argument(config_lib.flag(field.name),
                                       help=help_text, **kwargs)
  run = groups['run']
  run.add_argument('--fresh', action='store_true',
                   help='delete the output directory\'s earlier run and '
                        'start over')
  run.add_argument('--print-config', action='store_true',
                   help='print the resolved settings as JSON (a config '
                        'file) and exit')


def _value_type(annotation: str):
  if annotation.startswith('int'):
    return int
  if annotation.startswith('float'):
    return float
  return str


def config_from_args(args: argparse.Namespace) -> config_lib.TrainConfig:
  """Defaults, overridden by `--config`'s file, overridden by flags."""
  values = {}
  if getattr(args, 'config', None):
    values.update(load_file(args.config))
  given = {name: getattr(args, name) for name in config_lib.field_names()
           if hasattr(args, name)}
  values.update(given)
  return config_lib.TrainConfig.from_mapping(values)


def load_file(path: str) -> dict:
  """The settings in a JSON (`.json`) or TOML (`.toml`) config file.

  A TOML file may put them at the top level or in a `[train]` table.
  """
  if not os.path.isfile(path):
    raise ConfigError(f'--config: no such file: {path}')
  try:
    if path.endswith('.toml'):
      import tomllib
      with open(path, 'rb') as f:
        values = tomllib.load(f)
      values = values.get('train', values)
    else:
      with open(path, encoding='utf-8') as f:
        values = json.load(f)
  except (ValueError, UnicodeDecodeError) as e:
    kind = 'TOML' if path.endswith('.toml') else 'JSON'
    raise ConfigError(f'--config: {path} is not valid {kind}: {e}') from None
  if not isinstance(values, dict):
    raise ConfigError(f'--config: {path} must hold a table of settings '
                      f'such as {{"rounds": 20}}, got a '
                      f'{type(values).__name__}.')
  return config_lib.checked_values(values, path)
