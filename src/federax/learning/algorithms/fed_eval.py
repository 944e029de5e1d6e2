"""Federated evaluation as a `LearningProcess` (TFF's `build_fed_eval`)."""

from __future__ import annotations

from federax.aggregators import sum_factory
from federax.core import federated_computation
from federax.core import intrinsics
from federax.core import placements
from federax.core import types
from federax.learning.algorithms import common
from federax.learning.models import model as model_lib
from federax.learning.templates import composers
from federax.learning.templates import fed_eval_client_work
from federax.learning.templates import finalizers
from federax.templates import measured_process


def _identity_finalizer(weights_t, update_t) -> finalizers.FinalizerProcess:
  """A stateless finalizer that keeps the weights as they are."""

  @federated_computation.federated_computation()
  def init_fn():
    return intrinsics.federated_value((), placements.SERVER)

  @federated_computation.federated_computation(
      init_fn.type_signature.result, types.type_at_server(weights_t),
      types.type_at_server(update_t))
  def next_fn(state, weights, update):
    del update
    return measured_process.MeasuredProcessOutput(
        state=state, result=weights,
        measurements=intrinsics.federated_value((), placements.SERVER))

  return finalizers.FinalizerProcess(init_fn, next_fn)


def build_fed_eval(model_fn, model_distributor=None, metrics_aggregator=None,
                   *, client_spec=None):
  """A `LearningProcess` that evaluates its model weights on clients' data.

  `next(state, client_data)` evaluates the state's weights on every
  client's data (`training=False`) and leaves them unchanged; its metrics
  are TFF's: `metrics['client_work']['eval']` holds
  `current_round_metrics` (this round's clients) and
  `total_rounds_metrics` (every example seen since `initialize`, summed
  in the state). Evaluate given weights, e.g. a training process's, with
  `set_model_weights(state, weights)`. `client_spec` sets only the batch
  size (memory; results do not depend on it). The aggregator and the
  finalizer have nothing to do and report `<>`.

  Example:
    >>> import numpy as np, federax as fx
    >>> model = fx.learning.models.FunctionalModel(
    ...     initial_weights=((np.zeros(2, np.float32),), ()),
    ...     predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...     loss_fn=fx.learning.models.mean_squared_error,
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> evaluation = fx.learning.algorithms.build_fed_eval(model)
    >>> state = evaluation.initialize()
    >>> weights = fx.learning.models.ModelWeights(
    ...     trainable=(np.ones(2, np.float32),), non_trainable=())
    >>> state = evaluation.set_model_weights(state, weights)
    >>> x = np.ones((3, 2), np.float32)
    >>> state, metrics = evaluation.next(state, [(x, np.zeros(3, np.float32))])
    >>> float(metrics['client_work']['eval']['current_round_metrics']['loss'])
    4.0
  """
  model = model_lib.as_model(model_fn)
  weights_t = common.weights_type(model)
  work = fed_eval_client_work.build_fed_eval_client_work(
      model, metrics_aggregator=metrics_aggregator, client_spec=client_spec)
  update_t = work.result_type.member.update
  return composers.compose_learning_process(
      common.initial_weights_fn(model),
      common.distributor(model_distributor, weights_t), work,
      sum_factory.SumFactory().create(update_t),
      _identity_finalizer(weights_t, update_t))
