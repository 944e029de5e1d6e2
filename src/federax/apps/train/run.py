"""`train(config)`: one `federax train` run, from settings to files.

The output directory gets `config.json` (the resolved settings),
`metrics.csv` (one row per round: training metrics, `evaluation/*`, the
round's time and, with DP, `epsilon`), `tensorboard/` (event files, when
tensorboardX is installed), `checkpoints/` (the state every
`rounds_per_checkpoint` rounds) and `plot.png` (loss and accuracy per
round, when matplotlib is installed). Running the same settings again
resumes from the latest checkpoint; a larger `rounds` trains further.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
import time
from typing import NamedTuple

from federax.apps.train import algorithms
from federax.apps.train import config as config_lib
from federax.apps.train import data as data_lib
from federax.apps.train import models
from federax.apps.train import plot as plot_lib

ConfigError = config_lib.ConfigError


class TrainSummary(NamedTuple):
  """Where a run's files are and how it ended (None where absent)."""
  output_dir: str
  metrics_path: str
  plot_path: str | None
  events_dir: str | None
  checkpoint_dir: str
  first_round: int       # The first round this call trained (1 if fresh).
  last_round: int        # The round the model is at.
  test_metric: str | None  # Its accuracy (or first metric): the name,
  test_accuracy: float | None  # and the value, after the last evaluation.
  test_loss: float | None
  epsilon: float | None
  seconds: float


def train(config: config_lib.TrainConfig, *, fresh: bool = False,
          out=None) -> TrainSummary:
  """Trains as `config` says; prints a header and a summary to `out`."""
  out = out or sys.stdout
  cohort_given = config.clients_per_round is not None
  config = config.resolved()
  start = time.perf_counter()
  root = config.output_dir
  paths = dict(config=os.path.join(root, 'config.json'),
               metrics=os.path.join(root, 'metrics.csv'),
               events=os.path.join(root, 'tensorboard'),
               checkpoints=os.path.join(root, 'checkpoints'),
               plot=os.path.join(root, 'plot.png'))
  resumed_from = _prepare_output_dir(config, paths, fresh)
  if config.compilation_cache:
    from federax.backends.jax import compilation_cache
    compilation_cache.enable_compilation_cache()
  data = data_lib.load(config)
  population = len(data.client_ids)
  cohort = config.clients_per_round or population
  if cohort > population and not cohort_given:  # A default: all there are.
    cohort = population
    config = config.replace(clients_per_round=None)
  if cohort > population:
    raise ConfigError(f'{config_lib.flag("clients_per_round")}: expected at '
                      f'most the {population} clients of '
                      f'{config.task or config.dataset}, got {cohort}.')
  if data.model_fn is not None:
    model = data.model_fn()
  else:
    model = models.build_model(config.model, data.input_shape,
                               data.num_classes, seed=config.seed)
  process, aggregator = algorithms.build_process(config, model, cohort)
  privacy_fn = algorithms.build_privacy_fn(aggregator, config, population)
  from federax import learning, program, simulation
  eval_fn = simulation.build_evaluation_fn(
      model, data.eval_data, client_spec=learning.ClientSpec(batch_size=256))
  managers = [program.CSVFileReleaseManager(paths['metrics'])]
  notes = []
  events_dir = None
  if config.tensorboard:
    if importlib.util.find_spec('tensorboardX') is None:
      notes.append("tensorboard: skipped (pip install 'federax[tensorboard]')")
    else:
      events_dir = paths['events']
      managers.append(program.TensorBoardReleaseManager(events_dir))
  print(_header(config, data, cohort, model), file=out, flush=True)
  if resumed_from:
    print(f'resuming from the checkpoint of round {resumed_from}',
          file=out, flush=True)
  if resumed_from < config.rounds:
    simulation.train_model(
        process, data_lib.build_selection_fn(data, config.clients_per_round,
                                             config.seed),
        config.rounds, eval_fn, rounds_per_eval=config.rounds_per_eval,
        checkpoint_dir=paths['checkpoints'],
        rounds_per_checkpoint=config.rounds_per_checkpoint,
        keep_checkpoints=config.keep_checkpoints,
        metrics_managers=managers, privacy_fn=privacy_fn,
        progress=config.progress)
  rows = plot_lib.read_metrics(paths['metrics'])
  plot_path = None
  if config.plot:
    if importlib.util.find_spec('matplotlib') is None:
      notes.append("plot: skipped (pip install 'federax[plot]')")
    else:
      plot_path = plot_lib.plot_metrics(rows, paths['plot'],
                                        _title(config, data))

  def last(column):
    return (plot_lib.series(rows, column)[1] or [None])[-1]

  last_round = max(resumed_from, config.rounds)
  metric = plot_lib.metric_column(rows, plot_lib.TEST)
  summary = TrainSummary(
      root, paths['metrics'], plot_path, events_dir, paths['checkpoints'],
      resumed_from + 1, last_round,
      metric and metric[len(plot_lib.TEST):], metric and last(metric),
      last(plot_lib.TEST_LOSS), last(plot_lib.EPSILON),
      time.perf_counter() - start)
  print(_report(summary, resumed_from, config, notes), file=out, flush=True)
  return summary


def _prepare_output_dir(config, paths, fresh: bool) -> int:
  """Checks the output directory; the round of its latest checkpoint."""
  root = config.output_dir
  ours = os.path.exists(paths['config'])
  if os.path.isdir(root) and os.listdir(root) and not ours:
    raise ConfigError(
        f'--output-dir: {root} holds files that are not a federax train '
        f'run (no config.json); choose a new or empty directory.')
  if os.path.exists(root) and not os.path.isdir(root):
    raise ConfigError(f'--output-dir: {root} is a file; choose a directory.')
  if fresh and ours:
    shutil.rmtree(root)
    ours = False
  latest = 0
  if ours:
    from federax import program
    versions = program.FileProgramStateManager(
        paths['checkpoints']).get_versions() or [0]
    latest = max(versions)
    with open(paths['config'], encoding='utf-8') as f:
      saved = json.load(f)
    changed = [k for k, v in config.to_dict().items()
               if k not in config_lib.RUN_ONLY and saved.get(k) != v]
    if latest and changed:
      diffs = '; '.join(f'{config_lib.flag(k)} {saved.get(k)!r} there, '
                        f'{getattr(config, k)!r} here' for k in changed)
      raise ConfigError(
          f'--output-dir: {root} holds a run (at round {latest}) with other '
          f'settings: {diffs}. Resume it with its settings, start over with '
          f'--fresh, or choose another --output-dir.')
  os.makedirs(root, exist_ok=True)
  with open(paths['config'], 'w', encoding='utf-8') as f:
    json.dump(config.to_dict(), f, indent=2)
    f.write('\n')
  return latest


def _header(config, data, cohort: int, model) -> str:
  import jax
  import numpy as np
  name = algorithms.NAMES[config.algorithm]
  weights = sum(int(np.size(a)) for a in jax.tree.leaves(
      model.trainable_variables))
  every = ('all clients' if cohort == len(data.client_ids) else
           f'{cohort} clients')
  lines = [f'federax train: {name} on {data.description}',
           f'  model {config.model} ({weights:,} weights); {every} per '
           f'round, {config.client_epochs} local epoch(s) of batch '
           f'{config.batch_size}; {config.rounds} rounds',
           f'  client {config.client_optimizer} lr {config.client_lr}'
           + _momentum(config.client_momentum) +
           f', server {config.server_optimizer} lr {config.server_lr}'
           + _momentum(config.server_momentum) +
           f'; aggregator {config.aggregator}'
           + (f' (noise multiplier {config.dp_noise_multiplier}, delta '
              f'{config.dp_delta})' if config.aggregator == 'dp' else '')]
  return '\n'.join(lines)


def _momentum(value) -> str:
  return f' momentum {value}' if value else ''


def _title(config, data) -> str:
  return (f'{algorithms.NAMES[config.algorithm]}, {config.model} on '
          f'{data.description}')


def _report(summary: TrainSummary, resumed_from: int, config, notes) -> str:
  if resumed_from >= config.rounds:
    lines = [f'the checkpoint is at round {resumed_from} already (--rounds '
             f'{config.rounds}): nothing to train. Give --rounds more than '
             f'{resumed_from} to train further, or --fresh to start over.']
  else:
    lines = [f'trained rounds {resumed_from + 1}-{config.rounds} in '
             f'{summary.seconds:.1f}s']
  result = []
  if summary.test_accuracy is not None:
    result.append(f'test {summary.test_metric} {summary.test_accuracy:.4f}')
  if summary.test_loss is not None:
    result.append(f'test loss {summary.test_loss:.4f}')
  if summary.epsilon is not None:
    result.append(f'epsilon {summary.epsilon:.3g} (delta {config.dp_delta})')
  if result:
    lines.append(f'round {summary.last_round}: ' + ', '.join(result))
  lines.append(f'metrics:     {summary.metrics_path}')
  if summary.plot_path:
    lines.append(f'plot:        {summary.plot_path}')
  if summary.events_dir:
    lines.append(f'tensorboard: tensorboard --logdir {summary.events_dir}')
  lines.append(f'checkpoints: {summary.checkpoint_dir} (the same command '
               f'resumes; --rounds N trains further)')
  return '\n'.join(lines + notes)
