"""q-FedAvg's clients (Li, Sanjabi, Beirami and Smith, 2020: q-FFL).

T. Li, M. Sanjabi, A. Beirami, V. Smith. "Fair Resource Allocation in
Federated Learning", ICLR 2020 (arXiv:1905.10497).

q-FFL minimizes `sum_k F_k(w)^(q+1) / (q+1)`, which weighs clients with a
high loss more as `q` grows (q = 0 is FedAvg's objective). Client `k`
evaluates its loss `F_k` at the broadcast model `w`, trains to `w_k`, and
with `L` an estimate of the Lipschitz constant of the gradient (the paper
uses `1 / client_learning_rate`) forms

    dw_k = L (w - w_k),   Delta_k = F_k^q dw_k,
    h_k = q F_k^(q-1) ||dw_k||^2 + L F_k^q;

the server sets `w = w - sum_k Delta_k / sum_k h_k`. Here each client
sends `Delta_k / h_k` with weight `h_k`, so a weighted mean is exactly
that ratio of sums. As in the authors' code, `F_k` is offset by 1e-10.
"""

from __future__ import annotations

import collections

import numpy as np

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
from federax.learning.templates import scaffold_client_work
from federax.templates import measured_process

LOSS_OFFSET = 1e-10


def check_q(value) -> float:
  """`q` as a finite float >= 0, or an error naming it.

  Example:
    >>> from federax.learning.templates import q_fed_avg_client_work
    >>> q_fed_avg_client_work.check_q(-1)
    Traceback (most recent call last):
      ...
    ValueError: q: expected a finite float >= 0 (0 is FedAvg's objective), got -1.
  """
  if isinstance(value, bool) or not isinstance(
      value, (int, float, np.floating, np.integer)):
    raise TypeError(f'q: expected a float >= 0, got {type(value).__name__} '
                    f'{value!r}.')
  if not np.isfinite(value) or value < 0:
    raise ValueError(f'q: expected a finite float >= 0 (0 is FedAvg\'s '
                     f'objective), got {value!r}.')
  return float(value)


def build_q_fed_avg_client_work(model_fn, q: float,
                                client_learning_rate: float, *,
                                lipschitz_constant: float | None = None,
                                client_spec=None, metrics_aggregator=None):
  """q-FedAvg's clients: the update `Delta_k / h_k` with weight `h_k`.

  Each client evaluates its mean loss `F_k` at the broadcast weights (in
  batches of `client_spec.batch_size`, `training=False`), trains them with
  SGD at `client_learning_rate` (the process's `client_work` hparam) over
  its data as `client_spec` says, and sends the update and weight of the
  module docstring; `lipschitz_constant` is `L` (None: the current
  learning rate's inverse). A client without examples, or whose values
  are not finite, sends zeros with weight 0. Measurements are
  `<train=metrics, non_finite_updates=int32>`.

  Example:
    >>> import numpy as np, federax as fx
    >>> model = fx.learning.models.FunctionalModel(
    ...     initial_weights=((np.zeros(2, np.float32),), ()),
    ...     predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...     loss_fn=fx.learning.models.mean_squared_error,
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> work = fx.learning.templates.build_q_fed_avg_client_work(
    ...     model, q=1.0, client_learning_rate=0.1)
    >>> print(work.result_type)
    {<update=<float32[2]>,update_weight=float32>}@CLIENTS
  """
  model = model_lib.as_model(model_fn)
  q = check_q(q)
  rate = scaffold_client_work.check_learning_rate(client_learning_rate,
                                                  'client_learning_rate')
  if lipschitz_constant is not None:
    lipschitz_constant = scaffold_client_work.check_learning_rate(
        lipschitz_constant, 'lipschitz_constant')
  spec = client_spec_lib.check(client_spec)
  optimizer = builders.build_sgdm(rate)
  weights_t, data_t = parts.model_types(model)
  initial = model_weights_lib.ModelWeights.from_model(model)
  state = round_state.build_round_state(optimizer, initial.trainable)

  @jax_computation.jax_computation(state.state_type, weights_t, data_t)
  def client_update(state, weights, data):
    import jax
    import jax.numpy as jnp
    weights = model_weights_lib.ModelWeights(*weights)
    hparams = state['hparams']
    start = local_training.evaluate(model, weights, data, spec.batch_size)
    loss = start.loss_sum / jnp.maximum(start.num_examples, 1).astype(
        jnp.float32) + LOSS_OFFSET
    result = local_training.train(
        model, optimizer, weights, data, spec,
        parts.shuffle_key(spec, state['round_num'], data),
        optimizer_state=opt_hparams.set_hparams(
            optimizer.init(weights.trainable), hparams))
    lipschitz = (jnp.float32(lipschitz_constant) if lipschitz_constant
                 else 1.0 / hparams['learning_rate'])
    dw = jax.tree.map(lambda w, t: lipschitz * (w - t), weights.trainable,
                      result.weights.trainable)
    squared_norm = sum(jnp.sum(jnp.square(x)) for x in jax.tree.leaves(dw))
    h = (q * loss ** (q - 1.0) * squared_norm if q else 0.0) + (
        lipschitz * loss ** q)
    h = jnp.where(start.num_examples > 0, h, 0.0)
    scale = loss ** q / jnp.maximum(h, 1e-30)
    update = jax.tree.map(lambda x: x * scale.astype(x.dtype), dw)
    metrics = metrics_lib.unfinalized_metrics(model, result)
    update, weight, non_finite = parts.clean(update, h)
    return collections.OrderedDict(
        result=client_works.ClientResult(update, weight), metrics=metrics,
        non_finite=non_finite)

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
