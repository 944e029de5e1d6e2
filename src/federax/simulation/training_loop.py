"""The training loop of simulations (TFF's `run_training_process`).

Round 0 is the initial state: when a run starts fresh it is evaluated
(if there is an evaluation) and saved as program state version 0. Rounds
1 to `total_rounds` train; after each round the metrics are released and,
every `rounds_per_saving_program_state` rounds, the state is saved with
the round number as version. A run that finds saved program state starts
after its latest version. Selection functions take the round number, so a
run that resumes sees the same clients as one that did not stop.
"""

from __future__ import annotations

import collections
import logging
import numbers
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from federax.core import context_stack
from federax.program import program_state_manager as psm_lib
from federax.program import release_manager as release_manager_lib

ROUND_NUMBER_KEY = 'round_number'
ROUND_TIME_KEY = 'round_time_in_seconds'
TRAINING_TIME_KEY = 'training_time_in_seconds'
EVALUATION_METRICS_PREFIX = 'evaluation/'
EVALUATION_TIME_KEY = 'evaluation_time_in_seconds'
EPSILON_KEY = 'epsilon'
EXECUTION_KEY = 'execution'

_LOGGER = logging.getLogger('federax.simulation')


def check_rounds(value, name: str, minimum: int,
                 where: str = 'run_training_process') -> int:
  """`value` as an int, if it is an int >= `minimum` (else ValueError)."""
  if isinstance(value, bool) or not isinstance(value, numbers.Integral) or (
      value < minimum):
    raise ValueError(f'{where}: {name}: expected an int >= {minimum}, got '
                     f'{value!r}.')
  return int(value)


def _evaluate(evaluation_fn, evaluation_selection_fn, state, round_num):
  start = time.time()
  data = evaluation_selection_fn(round_num)
  metrics = evaluation_fn(state, data)
  if not isinstance(metrics, Mapping):
    raise TypeError(f'run_training_process: evaluation_fn: expected it to '
                    f'return a mapping of metrics, got '
                    f'{type(metrics).__name__}.')
  result = {EVALUATION_METRICS_PREFIX + str(k): v for k, v in metrics.items()}
  result[EVALUATION_METRICS_PREFIX + EVALUATION_TIME_KEY] = time.time() - start
  return result


def _privacy_metrics(privacy_fn, round_num) -> dict:
  spent = privacy_fn(round_num)
  if isinstance(spent, numbers.Real):
    return {EPSILON_KEY: float(spent)}
  if not isinstance(spent, Mapping):
    raise TypeError(f'run_training_process: privacy_fn: expected it to return '
                    f'epsilon (a number) or a mapping such as {{"epsilon": '
                    f'...}}, got {type(spent).__name__}.')
  return dict(spent)


def _release(managers, value, key):
  for manager in managers:
    manager.release(value, key)


def run_training_process(
    training_process, training_selection_fn: Callable[[int], Any],
    total_rounds: int, evaluation_fn: Callable[[Any, Any], Mapping] | None =
    None, evaluation_selection_fn: Callable[[int], Any] | None = None,
    rounds_per_evaluation: int = 1,
    program_state_manager: psm_lib.ProgramStateManager | None = None,
    rounds_per_saving_program_state: int = 1,
    metrics_managers: Iterable[release_manager_lib.ReleaseManager] | None =
    None, *, privacy_fn: Callable[[int], Any] | None = None):
  """Runs `training_process` for `total_rounds` rounds; the final state.

  Each round `r` calls `training_process.next(state,
  training_selection_fn(r))`. Its metrics, plus `round_number`,
  `training_time_in_seconds` (selection and `next`) and
  `round_time_in_seconds` (the whole round, evaluation included), are
  released to each of `metrics_managers` with key `r`. Every
  `rounds_per_evaluation` rounds, `evaluation_fn(state,
  evaluation_selection_fn(r))` adds its metrics with the prefix
  `evaluation/` (and `evaluation/evaluation_time_in_seconds`). With
  `privacy_fn` (a federax extension), `privacy_fn(r)` returns the privacy
  spent after round `r`, epsilon or a mapping such as `{'epsilon': ...}`
  (e.g. from `fx.aggregators.compute_epsilon`), added to the metrics.
  When the round ran on a context that reports on its calls (the Ray
  backend's `last_report`: clients dropped, shares retried, workers lost),
  that report is added as `execution`.

  With a `program_state_manager`, the state is saved every
  `rounds_per_saving_program_state` rounds with the round as version, and
  a run that finds saved state resumes after its latest version (loading
  it with `training_process.initialize()` as the structure).

  Example:
    >>> import numpy as np, federax as fx
    >>> model = fx.learning.models.FunctionalModel(
    ...     initial_weights=((np.zeros(2, np.float32),), ()),
    ...     predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...     loss_fn=fx.learning.models.mean_squared_error,
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> process = fx.learning.algorithms.build_weighted_fed_avg(
    ...     model, fx.learning.optimizers.build_sgdm(0.1))
    >>> x = np.ones((4, 2), np.float32)
    >>> memory = fx.program.MemoryReleaseManager()
    >>> state = fx.simulation.run_training_process(
    ...     process, lambda round_num: [(x, x[:, 0])], total_rounds=2,
    ...     metrics_managers=[memory])
    >>> sorted(memory.values())
    [1, 2]
    >>> metrics = memory.values()[2]
    >>> metrics['round_number'], 'round_time_in_seconds' in metrics
    (2, True)
  """
  if not callable(training_selection_fn):
    raise TypeError(f'run_training_process: training_selection_fn: expected '
                    f'a function of the round number returning the client '
                    f'data, got {training_selection_fn!r}.')
  total_rounds = check_rounds(total_rounds, 'total_rounds', 0)
  rounds_per_evaluation = check_rounds(rounds_per_evaluation,
                                        'rounds_per_evaluation', 1)
  rounds_per_saving_program_state = check_rounds(
      rounds_per_saving_program_state, 'rounds_per_saving_program_state', 1)
  if (evaluation_fn is None) != (evaluation_selection_fn is None):
    raise ValueError('run_training_process: evaluation_fn and '
                     'evaluation_selection_fn: give both or neither.')
  if program_state_manager is not None and not isinstance(
      program_state_manager, psm_lib.ProgramStateManager):
    raise TypeError(f'run_training_process: program_state_manager: expected '
                    f'a fx.program.ProgramStateManager, got '
                    f'{type(program_state_manager).__name__}.')
  managers = list(metrics_managers or [])
  for i, manager in enumerate(managers):
    if not isinstance(manager, release_manager_lib.ReleaseManager):
      raise TypeError(f'run_training_process: metrics_managers[{i}]: '
                      f'expected a fx.program.ReleaseManager, got '
                      f'{type(manager).__name__}.')

  initial_state = training_process.initialize()
  state, version = None, 0
  if program_state_manager is not None:
    state, version = program_state_manager.load_latest(initial_state)
  if state is not None:
    _LOGGER.info('Resuming from program state version %d', version)
    start_round = version + 1
  else:
    state, start_round = initial_state, 1
    if evaluation_fn is not None:
      _release(managers, _evaluate(evaluation_fn, evaluation_selection_fn,
                                   state, 0), 0)
    if program_state_manager is not None:
      program_state_manager.save(state, 0)

  for round_num in range(start_round, total_rounds + 1):
    round_start = time.time()
    data = training_selection_fn(round_num)
    context = context_stack.current()
    before = getattr(context, 'last_report', None)
    state, metrics = training_process.next(state, data)
    metrics = collections.OrderedDict(
        metrics if isinstance(metrics, Mapping) else {'metrics': metrics})
    report = getattr(context, 'last_report', None)
    if report is not before and hasattr(report, 'as_metrics'):
      metrics[EXECUTION_KEY] = report.as_metrics()
    metrics[TRAINING_TIME_KEY] = time.time() - round_start
    metrics[ROUND_NUMBER_KEY] = round_num
    if evaluation_fn is not None and round_num % rounds_per_evaluation == 0:
      metrics.update(_evaluate(evaluation_fn, evaluation_selection_fn, state,
                               round_num))
    if privacy_fn is not None:
      metrics.update(_privacy_metrics(privacy_fn, round_num))
    metrics[ROUND_TIME_KEY] = time.time() - round_start
    _release(managers, metrics, round_num)
    if program_state_manager is not None and (
        round_num % rounds_per_saving_program_state == 0):
      program_state_manager.save(state, round_num)
  return state
