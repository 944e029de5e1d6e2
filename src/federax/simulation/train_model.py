"""`train_model`: the training loop with checkpoints, metrics and a
progress bar, in one call.

It is `run_training_process` with friendlier arguments: client data per
round from a function of the round number (or the same data every round),
evaluation of the model weights (not the state) by a function returning a
dict, a checkpoint directory instead of a state manager, and a progress
bar on stderr. `build_evaluation_fn` makes such a function from a model
and evaluation data with `build_fed_eval`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from federax.program import file_program_state_manager
from federax.program import memory_release_manager
from federax.program import release_manager as release_manager_lib
from federax.simulation import progress as progress_lib
from federax.simulation import training_loop


class TrainResult(NamedTuple):
  """What `train_model` returns.

  `state` is the process's final state, `model_weights` its model weights
  (`process.get_model_weights(state)`), `metrics` the metrics released in
  this call by round (round 0 is the initial evaluation of a fresh run).
  """
  state: Any
  model_weights: Any
  metrics: dict


def build_evaluation_fn(model, client_data, *, client_spec=None):
  """`eval_fn(model_weights) -> metrics` of `model` on `client_data`.

  `client_data` is a process's client data (a list with one entry per
  client, or a single client's stacked examples as a one-element list);
  the metrics are `build_fed_eval`'s `current_round_metrics` (loss,
  num_examples, num_batches and the model's metrics), as Python numbers.

  Example:
    >>> import numpy as np, federax as fx
    >>> model = fx.learning.models.FunctionalModel(
    ...     initial_weights=((np.zeros(2, np.float32),), ()),
    ...     predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...     loss_fn=fx.learning.models.mean_squared_error,
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> x = np.ones((3, 2), np.float32)
    >>> evaluate = fx.simulation.build_evaluation_fn(model, [(x, 2 * x[:, 0])])
    >>> weights = fx.learning.models.ModelWeights(
    ...     trainable=(np.ones(2, np.float32),), non_trainable=())
    >>> evaluate(weights)
    {'loss': 0.0, 'num_examples': 3, 'num_batches': 1}
  """
  from federax.learning.algorithms import fed_eval
  evaluation = fed_eval.build_fed_eval(model, client_spec=client_spec)
  initial = evaluation.initialize()

  def eval_fn(model_weights) -> dict:
    state = evaluation.set_model_weights(initial, model_weights)
    _, metrics = evaluation.next(state, client_data)
    current = metrics['client_work']['eval']['current_round_metrics']
    return {k: getattr(v, 'item', lambda v=v: v)() for k, v in
            current.items()}

  return eval_fn


def train_model(process, train_data_fn: Callable[[int], Any] | Any,
                rounds: int, eval_fn: Callable[[Any], Mapping] | None = None,
                *, rounds_per_eval: int = 1, checkpoint_dir=None,
                rounds_per_checkpoint: int = 1, keep_checkpoints: int = 5,
                metrics_managers: Iterable[
                    release_manager_lib.ReleaseManager] | None = None,
                privacy_fn: Callable[[int], Any] | None = None,
                progress: bool = True) -> TrainResult:
  """Trains `process` for `rounds` rounds and returns a `TrainResult`.

  `train_data_fn(round_num)` returns the client data of a round (make it
  a pure function of the round number, e.g. with
  `build_uniform_sampling_fn(..., random_seed=...)`, so a resumed run sees
  the same clients); a list instead is the client data of every round.
  `eval_fn(model_weights)` returns a dict of metrics, released under
  `evaluation/` every `rounds_per_eval` rounds and before round 1
  (`build_evaluation_fn` makes one). With `checkpoint_dir`, the state is
  saved every `rounds_per_checkpoint` rounds (the last `keep_checkpoints`
  and the first are kept) and a call that finds checkpoints there resumes
  from the latest. `privacy_fn(round_num)` reports epsilon (see
  `run_training_process`); `metrics_managers` receive each round's
  metrics (e.g. `fx.program.CSVFileReleaseManager`); `progress` shows a
  progress bar on stderr.

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
    >>> result = fx.simulation.train_model(
    ...     process, [(x, x[:, 0])], rounds=3, progress=False)
    >>> sorted(result.metrics)
    [1, 2, 3]
    >>> result.model_weights.trainable[0].round(3)
    array([0.392, 0.392], dtype=float32)
  """
  for name, value, minimum in (('rounds', rounds, 0),
                               ('rounds_per_eval', rounds_per_eval, 1),
                               ('rounds_per_checkpoint', rounds_per_checkpoint,
                                1)):
    training_loop.check_rounds(value, name, minimum, 'train_model')
  if callable(train_data_fn):
    selection_fn = train_data_fn
  else:
    selection_fn = lambda round_num: train_data_fn  # noqa: E731
  evaluation_fn = evaluation_selection_fn = None
  get_weights = getattr(process, 'get_model_weights', None)
  weights_of = get_weights if get_weights is not None else (lambda s: s)
  if eval_fn is not None:
    if not callable(eval_fn):
      raise TypeError(f'train_model: eval_fn: expected a function of the '
                      f'model weights returning a dict of metrics, got '
                      f'{eval_fn!r}.')
    evaluation_fn = lambda state, _: eval_fn(weights_of(state))  # noqa: E731
    evaluation_selection_fn = lambda round_num: None  # noqa: E731
  state_manager = None
  if checkpoint_dir is not None:
    state_manager = file_program_state_manager.FileProgramStateManager(
        checkpoint_dir, keep_total=keep_checkpoints)
  memory = memory_release_manager.MemoryReleaseManager()
  managers = list(metrics_managers or []) + [memory]
  bar = progress_lib.ProgressBar(rounds) if progress else None
  if bar is not None:
    managers.append(bar)
  try:
    state = training_loop.run_training_process(
        process, selection_fn, rounds, evaluation_fn,
        evaluation_selection_fn, rounds_per_evaluation=rounds_per_eval,
        program_state_manager=state_manager,
        rounds_per_saving_program_state=rounds_per_checkpoint,
        metrics_managers=managers, privacy_fn=privacy_fn)
  finally:
    if bar is not None:
      bar.close()
  return TrainResult(state, weights_of(state), memory.values())
