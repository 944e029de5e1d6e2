"""Client work that sends the gradient of the client's loss (FedSGD's)."""

from __future__ import annotations

import collections

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


def _check_full_pass_spec(client_spec, who: str):
  """A `ClientSpec` for a full pass over the data: no `max_elements`."""
  spec = client_spec_lib.check(client_spec)
  if spec.max_elements is not None:
    raise ValueError(
        f'client_spec: {who} computes the gradient over all of a client\'s '
        f'examples, so max_elements must be None, got '
        f'{spec.max_elements!r}. Only batch_size matters here (it bounds '
        f'memory; the gradient does not depend on it).')
  return spec


def build_fed_sgd_client_work(model_fn, client_spec=None,
                              metrics_aggregator=None):
  """Clients send the gradient of their mean loss at the broadcast model.

  Each client computes, in batches of `client_spec.batch_size` (padding
  masked), the gradient of its mean loss over all its examples at the
  weights it receives, and sends it weighted by its number of examples: the
  weighted mean of the clients' gradients is the gradient of the mean loss
  over the union of their data. The state is empty; measurements are
  `<train=metrics, non_finite_updates=int32>` (a client whose gradient is
  not finite sends zeros with weight 0). `num_epochs` and `shuffle` do not
  change a full-batch gradient and are ignored; `max_elements` must be None.

  Example:
    >>> import numpy as np, federax as fx
    >>> model = fx.learning.models.FunctionalModel(
    ...     initial_weights=((np.zeros(2, np.float32),), ()),
    ...     predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...     loss_fn=fx.learning.models.mean_squared_error,
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> work = fx.learning.templates.build_fed_sgd_client_work(model)
    >>> weights = [((np.zeros(2, np.float32),), ())]  # one client
    >>> data = [(np.ones((2, 2), np.float32), np.ones(2, np.float32))]
    >>> output = work.next(work.initialize(), weights, data)
    >>> result = output.result[0]  # The one client's
    >>> result.update[0].tolist(), float(result.update_weight)
    ([-2.0, -2.0], 2.0)
  """
  model = model_lib.as_model(model_fn)
  spec = _check_full_pass_spec(client_spec, 'FedSGD')
  weights_t, data_t = parts.model_types(model)

  @jax_computation.jax_computation(weights_t, data_t)
  def client_update(weights, data):
    weights = model_weights_lib.ModelWeights(*weights)
    gradient, result = local_training.full_gradient(model, weights, data,
                                                    spec.batch_size)
    metrics = metrics_lib.unfinalized_metrics(model, result)
    gradient, weight, non_finite = parts.clean(gradient,
                                               metrics['num_examples'])
    return collections.OrderedDict(
        result=client_works.ClientResult(gradient, weight), metrics=metrics,
        non_finite=non_finite)

  aggregate_metrics = parts.metrics_aggregation(
      model, metrics_aggregator, client_update.type_signature.result.metrics)

  @federated_computation.federated_computation()
  def init_fn():
    return intrinsics.federated_value((), placements.SERVER)

  @federated_computation.federated_computation(
      init_fn.type_signature.result, types.type_at_clients(weights_t),
      types.type_at_clients(data_t))
  def next_fn(state, weights, client_data):
    outputs = intrinsics.federated_map(client_update, [weights, client_data])
    measurements = client_works.training_measurements(
        aggregate_metrics(outputs.metrics), outputs.non_finite)
    return measured_process.MeasuredProcessOutput(
        state=state, result=outputs.result, measurements=measurements)

  return client_works.ClientWorkProcess(init_fn, next_fn)
