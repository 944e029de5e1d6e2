"""`BaselineTask`: a model and the data it trains on (TFF's)."""

from __future__ import annotations

from typing import Callable

from federax.simulation.baselines import task_data


class BaselineTask:
  """A baseline learning simulation: datasets plus a model function.

  TFF's `tff.simulation.baselines.BaselineTask(datasets, model_fn)`.
  `model_fn()` returns an `fx.learning.models.Model` whose `example_type`
  (its `input_spec` without the batch dimension) accepts
  `datasets.element_type_structure`; the constructor builds one model to
  check. `client_spec` and `eval_client_spec` are the
  `fx.learning.ClientSpec`s to build processes with (federax: TFF bakes
  them into the preprocessing).

  Example:
    >>> import numpy as np, federax as fx
    >>> from federax.simulation import baselines, datasets
    >>> train = datasets.ClientData.from_arrays({
    ...     'a': {'x': np.ones((3, 2), np.float32), 'y': np.ones(3, np.float32)}})
    >>> task = baselines.BaselineTask(
    ...     baselines.BaselineTaskDatasets(
    ...         train, train, train_preprocess_fn=lambda ds: ds,
    ...         train_client_spec=baselines.ClientSpec(1, batch_size=2)),
    ...     lambda: fx.learning.models.FunctionalModel(
    ...         initial_weights=((np.zeros(2, np.float32),), ()),
    ...         predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...         loss_fn=fx.learning.models.mean_squared_error,
    ...         input_spec={'x': (np.float32, [None, 2]), 'y': (np.float32, [None])}))
    >>> task.client_spec.batch_size
    2
  """

  def __init__(self, datasets: task_data.BaselineTaskDatasets,
               model_fn: Callable):
    if not isinstance(datasets, task_data.BaselineTaskDatasets):
      raise TypeError(
          f'BaselineTask: datasets: expected an '
          f'fx.simulation.baselines.BaselineTaskDatasets, got '
          f'{type(datasets).__name__}.')
    if not callable(model_fn):
      raise TypeError(
          f'BaselineTask: model_fn: expected a function of no arguments '
          f'returning an fx.learning.models.Model, got '
          f'{type(model_fn).__name__}.')
    from federax.learning.models import input_spec
    from federax.learning.models import model as model_lib
    model = model_fn()
    if not isinstance(model, model_lib.Model):
      raise TypeError(
          f'BaselineTask: model_fn: expected it to return an '
          f'fx.learning.models.Model, got {type(model).__name__}.')
    example = input_spec.example_type(model)
    element = datasets.element_type_structure
    if not example.is_assignable_from(element):
      raise ValueError(
          f'BaselineTask: the preprocessed training examples are {element}, '
          f'but the model takes examples of type {example} (its input_spec '
          f'{input_spec.batch_type(model)} without the batch dimension). '
          f'Make train_preprocess_fn produce the model\'s input format.')
    self._datasets = datasets
    self._model_fn = model_fn

  @property
  def datasets(self) -> task_data.BaselineTaskDatasets:
    """The task's `BaselineTaskDatasets`."""
    return self._datasets

  @property
  def model_fn(self) -> Callable:
    """A function of no arguments returning the task's model."""
    return self._model_fn

  @property
  def client_spec(self):
    """The `fx.learning.ClientSpec` clients train with (federax)."""
    return self._datasets.train_client_spec

  @property
  def eval_client_spec(self):
    """The `fx.learning.ClientSpec` for evaluation (federax)."""
    return self._datasets.eval_client_spec

  def __repr__(self):
    return (f'<BaselineTask: examples {self._datasets.element_type_structure}'
            f', {len(self._datasets.train_data.client_ids)} train clients>')
