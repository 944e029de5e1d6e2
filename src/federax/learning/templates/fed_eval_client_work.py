"""Client work that evaluates the model on each client's data (FedEval's)."""

from __future__ import annotations

import collections

from federax.core import aggregation_intrinsics
from federax.core import federated_computation
from federax.core import intrinsics
from federax.core import jax_computation
from federax.core import placements
from federax.core import types
from federax.learning import client_spec as client_spec_lib
from federax.learning import local_training
from federax.learning import metrics as metrics_lib
from federax.learning.models import model as model_lib
from federax.learning.models import model_weights as model_weights_lib
from federax.learning.templates import client_work_parts as parts
from federax.learning.templates import client_works
from federax.templates import measured_process


def build_fed_eval_client_work(model_fn, metrics_aggregator=None,
                               client_spec=None):
  """Clients evaluate the weights they receive; nothing is trained.

  Each client runs the model (`training=False`) over all its examples in
  batches of `client_spec.batch_size` and reports its unfinalized metrics
  (the model's, plus `loss`, `num_examples`, `num_batches`). Measurements
  are `<eval=<current_round_metrics, total_rounds_metrics>>`, as TFF's:
  this round's metrics (aggregated by `metrics_aggregator`,
  `sum_then_finalize` by default), and the metrics of all rounds so far
  (the state is the sum of every round's unfinalized metrics; they are
  finalized with the model's finalizers). The client result is empty (no
  update); `num_epochs`, `shuffle` and `max_elements` do not apply.

  Example:
    >>> import numpy as np, federax as fx
    >>> model = fx.learning.models.FunctionalModel(
    ...     initial_weights=((np.zeros(2, np.float32),), ()),
    ...     predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...     loss_fn=fx.learning.models.mean_squared_error,
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> work = fx.learning.templates.build_fed_eval_client_work(model)
    >>> weights = [((np.zeros(2, np.float32),), ())]  # one client
    >>> data = [(np.ones((2, 2), np.float32), np.full(2, 3.0, np.float32))]
    >>> output = work.next(work.initialize(), weights, data)
    >>> float(output.measurements['eval']['current_round_metrics']['loss'])
    9.0
  """
  model = model_lib.as_model(model_fn)
  spec = client_spec_lib.check(client_spec)
  weights_t, data_t = parts.model_types(model)

  @jax_computation.jax_computation(weights_t, data_t)
  def client_eval(weights, data):
    weights = model_weights_lib.ModelWeights(*weights)
    result = local_training.evaluate(model, weights, data, spec.batch_size)
    return metrics_lib.unfinalized_metrics(model, result)

  return evaluation_work(model, client_eval, metrics_aggregator, weights_t,
                         data_t)


def evaluation_work(model, client_eval, metrics_aggregator, weights_t,
                    data_t) -> client_works.ClientWorkProcess:
  """The evaluation client work around `client_eval(weights, data) ->
  unfinalized metrics` (a `jax_computation`): its state sums every round's
  metrics, finalized with `model`'s finalizers as `total_rounds_metrics`
  beside this round's `current_round_metrics`; the client result is empty.
  FedEval's and Federated Reconstruction's evaluations share it.
  """
  metrics_t = client_eval.type_signature.result
  aggregate_metrics = parts.metrics_aggregation(model, metrics_aggregator,
                                                metrics_t)
  zeros = parts.zeros_like_type(metrics_t)
  finalize = jax_computation.jax_computation(
      metrics_lib.finalizers_of(model), metrics_t)

  @jax_computation.jax_computation(metrics_t, metrics_t)
  def add(total, current):
    import jax
    return jax.tree.map(lambda a, b: a + b, total, current)

  @federated_computation.federated_computation()
  def init_fn():
    return intrinsics.federated_value(zeros, placements.SERVER)

  @federated_computation.federated_computation(
      init_fn.type_signature.result, types.type_at_clients(weights_t),
      types.type_at_clients(data_t))
  def next_fn(state, weights, client_data):
    metrics = intrinsics.federated_map(client_eval, [weights, client_data])
    total = intrinsics.federated_map(
        add, [state, aggregation_intrinsics.federated_sum(metrics)])
    measurements = intrinsics.federated_zip(collections.OrderedDict(
        eval=intrinsics.federated_zip(collections.OrderedDict(
            current_round_metrics=aggregate_metrics(metrics),
            total_rounds_metrics=intrinsics.federated_map(finalize, total)))))
    return measured_process.MeasuredProcessOutput(
        state=total, result=intrinsics.federated_value(
            client_works.ClientResult((), ()), placements.CLIENTS),
        measurements=measurements)

  return client_works.ClientWorkProcess(init_fn, next_fn)
