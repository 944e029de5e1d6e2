"""FedNova's parts: clients send normalized updates; the server rescales.

J. Wang, Q. Liu, H. Liang, G. Joshi, H. V. Poor. "Tackling the Objective
Inconsistency Problem in Heterogeneous Federated Optimization", NeurIPS
2020 (arXiv:2007.07481).

Clients that take different numbers of local steps `tau_i` (different
data sizes, epochs or step caps) pull FedAvg's average towards the
optima of the clients that step most. FedNova divides each client's
delta `d_i` by `a_i`, the sum of the weights its local solver gave its
gradients (`tau_i` for SGD; `(tau_i - rho (1 - rho^tau_i) / (1 - rho)) /
(1 - rho)` for SGD with heavy-ball momentum `rho`), and the server moves
by `tau_eff * sum_i p_i d_i / a_i` with `tau_eff = sum_i p_i a_i`.
"""

from __future__ import annotations

import collections

import numpy as np

from federax.core import federated_computation
from federax.core import intrinsics
from federax.core import jax_computation
from federax.core import types
from federax.learning import client_spec as client_spec_lib
from federax.learning import client_weighting as weighting_lib
from federax.learning import local_training
from federax.learning import metrics as metrics_lib
from federax.learning.models import model as model_lib
from federax.learning.models import model_weights as model_weights_lib
from federax.learning.optimizers import builders
from federax.learning.optimizers import hparams as opt_hparams
from federax.learning.templates import apply_optimizer_finalizer
from federax.learning.templates import client_work_parts as parts
from federax.learning.templates import client_works
from federax.learning.templates import finalizers
from federax.learning.templates import round_state
from federax.learning.templates import scaffold_client_work
from federax.templates import measured_process


def check_momentum(value, argument: str) -> float:
  """`value` as a float in [0, 1), or an error naming `argument`.

  Example:
    >>> from federax.learning.templates import fed_nova_client_work
    >>> fed_nova_client_work.check_momentum(1.0, 'server_momentum')
    Traceback (most recent call last):
      ...
    ValueError: server_momentum: expected a float in [0, 1), got 1.0. Momentum 1 never forgets (use e.g. 0.9).
  """
  if isinstance(value, bool) or not isinstance(
      value, (int, float, np.floating, np.integer)):
    raise TypeError(f'{argument}: expected a float in [0, 1), got '
                    f'{type(value).__name__} {value!r}.')
  if not 0.0 <= value < 1.0:
    raise ValueError(f'{argument}: expected a float in [0, 1), got '
                     f'{value!r}. Momentum 1 never forgets (use e.g. 0.9).')
  return float(value)


def solver_weight(num_steps, momentum=0.0):
  """`a_i`: the summed weights of a client's gradients after its local steps.

  `num_steps` for SGD; `(tau - rho (1 - rho^tau) / (1 - rho)) / (1 - rho)`
  for heavy-ball momentum `rho` (optax's `sgd(lr, momentum)`).

  Example:
    >>> from federax.learning.templates import fed_nova_client_work
    >>> float(fed_nova_client_work.solver_weight(3.0))
    3.0
    >>> round(float(fed_nova_client_work.solver_weight(2.0, 0.5)), 4)  # 2 + rho
    2.5
  """
  import jax.numpy as jnp
  tau = jnp.asarray(num_steps, jnp.float32)
  rho = jnp.asarray(momentum, jnp.float32)
  return (tau - rho * (1.0 - rho ** tau) / (1.0 - rho)) / (1.0 - rho)


def build_fed_nova_client_work(model_fn, client_learning_rate: float,
                               client_momentum: float | None = None, *,
                               client_weighting=None, client_spec=None,
                               metrics_aggregator=None):
  """FedNova's clients: local SGD(M), the delta sent normalized.

  Each client trains the broadcast weights with SGD at
  `client_learning_rate` (heavy-ball momentum `client_momentum` if given;
  both are the process's `client_work` hparams) over its data as
  `client_spec` says, counts its local steps `tau_i`, and sends
  `<normalized_update=d_i / a_i, local_steps=a_i>` (see `solver_weight`)
  weighted by `client_weighting` (number of examples by default: the
  paper's `p_i`). Averaging both fields with the same weights gives the
  server `sum p_i d_i / a_i` and `tau_eff = sum p_i a_i`;
  `build_fed_nova_finalizer` multiplies them. Measurements are
  `<train=metrics, non_finite_updates=int32>`.

  Example:
    >>> import numpy as np, federax as fx
    >>> model = fx.learning.models.FunctionalModel(
    ...     initial_weights=((np.zeros(2, np.float32),), ()),
    ...     predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...     loss_fn=fx.learning.models.mean_squared_error,
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> work = fx.learning.templates.build_fed_nova_client_work(model, 0.1)
    >>> print(work.result_type.member.update)
    <normalized_update=<float32[2]>,local_steps=float32>
  """
  model = model_lib.as_model(model_fn)
  rate = scaffold_client_work.check_learning_rate(client_learning_rate,
                                                  'client_learning_rate')
  if client_momentum is not None:
    client_momentum = check_momentum(client_momentum, 'client_momentum')
  spec = client_spec_lib.check(client_spec)
  weighting = weighting_lib.check(client_weighting)
  optimizer = builders.build_sgdm(rate, client_momentum)
  weights_t, data_t = parts.model_types(model)
  initial = model_weights_lib.ModelWeights.from_model(model)
  state = round_state.build_round_state(optimizer, initial.trainable)

  @jax_computation.jax_computation(state.state_type, weights_t, data_t)
  def client_update(state, weights, data):
    import jax
    import jax.numpy as jnp
    weights = model_weights_lib.ModelWeights(*weights)
    hparams = state['hparams']
    opt_state = opt_hparams.set_hparams(optimizer.init(weights.trainable),
                                        hparams)
    result = local_training.train(
        model, optimizer, weights, data, spec,
        parts.shuffle_key(spec, state['round_num'], data),
        optimizer_state=opt_state)
    a = solver_weight(result.num_batches, hparams.get('momentum', 0.0))
    scale = jnp.where(a > 0, 1.0 / jnp.maximum(a, 1e-30), 0.0)
    normalized = jax.tree.map(lambda w, t: (w - t) * scale.astype(w.dtype),
                              weights.trainable, result.weights.trainable)
    metrics = metrics_lib.unfinalized_metrics(model, result)
    update, weight, non_finite = parts.clean(
        collections.OrderedDict(normalized_update=normalized, local_steps=a),
        weighting_lib.weight_of(weighting, metrics))
    return collections.OrderedDict(
        result=client_works.ClientResult(update, weight),
        metrics=metrics, non_finite=non_finite)

  aggregate_metrics = parts.metrics_aggregation(
      model, metrics_aggregator, client_update.type_signature.result.metrics)

  @federated_computation.federated_computation(
      state.init_fn.type_signature.result, types.type_at_clients(weights_t),
      types.type_at_clients(data_t))
  def next_fn(server_state, weights, client_data):
    outputs = intrinsics.federated_map(client_update, [
        intrinsics.federated_broadcast(server_state), weights, client_data])
    measurements = client_works.training_measurements(
        aggregate_metrics(outputs.metrics), outputs.non_finite)
    return measured_process.MeasuredProcessOutput(
        state=intrinsics.federated_map(state.next_round, server_state),
        result=outputs.result, measurements=measurements)

  return state.process(next_fn)


def build_fed_nova_finalizer(server_optimizer, model_weights_type):
  """FedNova's server: applies `tau_eff * mean normalized update`.

  Takes the mean of the clients' `<normalized_update, local_steps>` (see
  `build_fed_nova_client_work`), multiplies the two and applies the
  product with `server_optimizer` as `build_apply_optimizer_finalizer`
  does (SGD with learning rate 1 gives the paper's rule). Measurements
  are `<update_non_finite=int32, effective_steps=float32>` (`tau_eff`).

  Example:
    >>> import numpy as np, federax as fx
    >>> weights = fx.learning.models.ModelWeights(
    ...     trainable=np.zeros(2, np.float32), non_trainable=())
    >>> finalizer = fx.learning.templates.build_fed_nova_finalizer(
    ...     fx.learning.optimizers.build_sgdm(1.0), fx.infer_type(weights))
    >>> output = finalizer.next(finalizer.initialize(), weights, {
    ...     'normalized_update': np.array([0.5, -1.0], np.float32),
    ...     'local_steps': np.float32(2.0)})
    >>> output.result.trainable.tolist(), float(
    ...     output.measurements['effective_steps'])
    ([-1.0, 2.0], 2.0)
  """
  inner = apply_optimizer_finalizer.build_apply_optimizer_finalizer(
      server_optimizer, model_weights_type)
  weights_t = inner.result_type.member
  update_t = types.StructType([
      ('normalized_update', weights_t[0]),
      ('local_steps', types.TensorType(np.float32))], collections.OrderedDict)

  @jax_computation.jax_computation(update_t)
  def rescale(update):
    import jax
    steps = update['local_steps']
    return jax.tree.map(lambda x: x * steps.astype(x.dtype),
                        update['normalized_update'])

  steps_of = jax_computation.jax_computation(lambda u: u['local_steps'],
                                             update_t)

  @federated_computation.federated_computation(
      inner.state_type, inner.result_type, types.type_at_server(update_t))
  def next_fn(state, weights, update):
    out = inner.next(state, weights, intrinsics.federated_map(rescale,
                                                              update))
    return measured_process.MeasuredProcessOutput(
        state=out.state, result=out.result,
        measurements=intrinsics.federated_zip(collections.OrderedDict(
            update_non_finite=out.measurements.update_non_finite,
            effective_steps=intrinsics.federated_map(steps_of, update))))

  return finalizers.FinalizerProcess(
      inner.initialize, next_fn, get_hparams_fn=inner.get_hparams,
      set_hparams_fn=inner.set_hparams)
