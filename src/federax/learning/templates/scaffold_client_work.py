"""SCAFFOLD's client work (Karimireddy et al., 2020), stateless clients.

SCAFFOLD corrects each local gradient by `c - c_i`: the server's control
variate `c` minus the client's `c_i`, estimates of the global and the
client's gradient. The paper keeps `c_i` on each client between rounds;
federated computations have stateless clients (as in TFF: a client may
never be sampled twice, and cross-device clients keep nothing), so here
both are computed afresh in each round at the broadcast model: `c_i` is
the client's full-batch gradient there (the paper's "option I"), `c` the
weighted mean of the `c_i`. This costs one extra pass over each client's
data per round, and gives control variates that are exact at the round's
starting point instead of stale by however many rounds the client sat out.
"""

from __future__ import annotations

import collections

import numpy as np

from federax.core import aggregation_intrinsics
from federax.core import federated_computation
from federax.core import intrinsics
from federax.core import jax_computation
from federax.core import types
from federax.learning import client_spec as client_spec_lib
from federax.learning import local_training
from federax.learning import metrics as metrics_lib
from federax.learning.models import model as model_lib
from federax.learning.models import model_weights as model_weights_lib
from federax.learning.optimizers import builders
from federax.learning.optimizers import hparams as opt_hparams
from federax.learning.templates import client_work_parts as parts
from federax.learning.templates import client_works
from federax.learning.templates import round_state
from federax.templates import measured_process


def check_learning_rate(value, argument: str) -> float:
  """`value` as a float > 0, or an error naming `argument`.

  Example:
    >>> from federax.learning.templates import scaffold_client_work
    >>> scaffold_client_work.check_learning_rate(-1.0, 'client_learning_rate')
    Traceback (most recent call last):
      ...
    ValueError: client_learning_rate: expected a finite float > 0, got -1.0.
  """
  if isinstance(value, bool) or not isinstance(value, (int, float,
                                                       np.floating,
                                                       np.integer)):
    raise TypeError(f'{argument}: expected a float > 0, got '
                    f'{type(value).__name__} {value!r}.')
  if not np.isfinite(value) or value <= 0:
    raise ValueError(f'{argument}: expected a finite float > 0, got '
                     f'{value!r}.')
  return float(value)


def build_scaffold_client_work(model_fn, client_learning_rate: float,
                               client_spec=None, metrics_aggregator=None):
  """SCAFFOLD's clients: local SGD on gradients corrected by control variates.

  In one `next`: every client computes `c_i`, the full-batch gradient of
  its mean loss at the broadcast weights `x`, in batches of
  `client_spec.batch_size`; the server averages them, weighted by number of
  examples, into `c` and broadcasts it; every client then trains from `x`
  with SGD at `client_learning_rate` over its data (`client_spec`: epochs,
  batch size, shuffling, `max_elements`) on the corrected gradient
  `g(y) - c_i + c`, and sends `x - y_i` weighted by its number of
  examples. The state holds the learning rate (the hparams) and the round
  number. Measurements are `<train=metrics, non_finite_updates=int32>`.
  See the module docstring for why control variates are refreshed every
  round.

  Example:
    >>> import numpy as np, federax as fx
    >>> model = fx.learning.models.FunctionalModel(
    ...     initial_weights=((np.zeros(2, np.float32),), ()),
    ...     predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...     loss_fn=fx.learning.models.mean_squared_error,
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> work = fx.learning.templates.build_scaffold_client_work(model, 0.1)
    >>> print(work.state_type)
    <hparams=<learning_rate=float32>,round_num=int32>@SERVER
  """
  model = model_lib.as_model(model_fn)
  rate = check_learning_rate(client_learning_rate, 'client_learning_rate')
  spec = client_spec_lib.check(client_spec)
  optimizer = builders.build_sgdm(rate)
  weights_t, data_t = parts.model_types(model)
  trainable_t = weights_t[0]
  initial = model_weights_lib.ModelWeights.from_model(model)
  rounds = round_state.build_round_state(optimizer, initial.trainable)
  state_t = rounds.state_type

  @jax_computation.jax_computation(weights_t, data_t)
  def control_variate(weights, data):
    weights = model_weights_lib.ModelWeights(*weights)
    gradient, result = local_training.full_gradient(model, weights, data,
                                                    spec.batch_size)
    gradient, weight, non_finite = parts.clean(gradient, result.num_examples)
    return collections.OrderedDict(control=gradient, weight=weight,
                                   non_finite=non_finite)

  control_t = control_variate.type_signature.result

  @jax_computation.jax_computation(state_t, weights_t, data_t, control_t,
                                   trainable_t)
  def client_update(state, weights, data, local, server_control):
    import jax
    import jax.numpy as jnp
    weights = model_weights_lib.ModelWeights(*weights)
    opt_state = opt_hparams.set_hparams(optimizer.init(weights.trainable),
                                        state['hparams'])
    correction = jax.tree.map(jnp.subtract, server_control, local['control'])

    def corrected(grads, trainable):
      del trainable
      return jax.tree.map(jnp.add, grads, correction)

    result = local_training.train(
        model, optimizer, weights, data, spec,
        parts.shuffle_key(spec, state['round_num'], data),
        grad_fn=corrected, optimizer_state=opt_state)
    update = jax.tree.map(jnp.subtract, weights.trainable,
                          result.weights.trainable)
    metrics = metrics_lib.unfinalized_metrics(model, result)
    update, weight, non_finite = parts.clean(update, local['weight'],
                                             local['non_finite'])
    return collections.OrderedDict(
        result=client_works.ClientResult(update, weight), metrics=metrics,
        non_finite=non_finite)

  aggregate_metrics = parts.metrics_aggregation(
      model, metrics_aggregator, client_update.type_signature.result.metrics)

  @federated_computation.federated_computation(
      rounds.init_fn.type_signature.result,
      types.type_at_clients(weights_t),
      types.type_at_clients(data_t))
  def next_fn(state, weights, client_data):
    local = intrinsics.federated_map(control_variate, [weights, client_data])
    server_control = aggregation_intrinsics.federated_mean(
        local.control, weight=local.weight)
    outputs = intrinsics.federated_map(client_update, [
        intrinsics.federated_broadcast(state), weights, client_data, local,
        intrinsics.federated_broadcast(server_control)])
    measurements = client_works.training_measurements(
        aggregate_metrics(outputs.metrics), outputs.non_finite)
    return measured_process.MeasuredProcessOutput(
        state=intrinsics.federated_map(rounds.next_round, state),
        result=outputs.result, measurements=measurements)

  return rounds.process(next_fn)
