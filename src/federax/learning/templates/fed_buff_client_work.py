"""FedBuff's clients: train from a stale model, send a down-weighted delta.

J. Nguyen, K. Malik, H. Zhan, A. Yousefpour, M. Rabbat, M. Malek,
D. Huba. "Federated Learning with Buffered Asynchronous Aggregation",
AISTATS 2022 (arXiv:2106.06639).

In FedBuff clients download the model whenever they start, train at
their own pace, and send their delta when done; meanwhile the server has
moved on by some number of steps, the update's staleness. The server
fills a buffer with `K` updates, each scaled by `s(staleness) = 1 /
sqrt(1 + staleness)`, and then takes one step with their mean. A
federated computation is synchronous, so federax simulates it: one
`next` is one server step, its `K` clients are the updates in the buffer,
each client's data carries its staleness, and the model history from
`build_model_history_distributor` supplies the stale model it trained.
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
from federax.learning.optimizers import hparams as opt_hparams
from federax.learning.templates import client_work_parts as parts
from federax.learning.templates import client_works
from federax.learning.templates import model_history_distributor
from federax.learning.templates import round_state
from federax.templates import measured_process


def polynomial_staleness_weight(staleness, exponent: float = 0.5):
  """`(1 + staleness) ** -exponent`: FedBuff's weighting (exponent 0.5).

  Example:
    >>> from federax.learning.templates import fed_buff_client_work
    >>> float(fed_buff_client_work.polynomial_staleness_weight(3.0))
    0.5
  """
  import jax.numpy as jnp
  return (1.0 + jnp.asarray(staleness, jnp.float32)) ** -exponent


def client_data_type(model) -> types.StructType:
  """`<staleness=int32,data=<example>*>`: a FedBuff client's data.

  Example:
    >>> import numpy as np, federax as fx
    >>> from federax.learning.templates import fed_buff_client_work
    >>> model = fx.learning.models.FunctionalModel(
    ...     initial_weights=((np.zeros(2, np.float32),), ()),
    ...     predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...     loss_fn=fx.learning.models.mean_squared_error,
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> print(fed_buff_client_work.client_data_type(model))
    <staleness=int32,data=<float32[2],float32>*>
  """
  return types.StructType([('staleness', types.TensorType(np.int32)),
                           ('data', parts.model_types(model)[1])],
                          collections.OrderedDict)


def build_fed_buff_client_work(model_fn, optimizer, max_staleness: int,
                               staleness_weight_fn=None, *,
                               client_spec=None, metrics_aggregator=None):
  """Clients train the model `staleness` server steps old and scale the delta.

  Each client's data is `{'staleness': s, 'data': examples}`. It receives
  the last `max_staleness + 1` global models (from
  `build_model_history_distributor`), takes the one `s` steps old (`s` is
  clipped to `[0, max_staleness]` and to the number of models so far:
  before round `s` the oldest is the initial model), trains it with
  `optimizer` (its hparams are the process's `client_work` hparams) over
  its examples as `client_spec` says, and sends `staleness_weight_fn(s) *
  (stale - trained)` with weight 1 (`staleness_weight_fn` maps a float32
  staleness to a float32 factor, default `polynomial_staleness_weight`).
  Measurements are `<train=metrics, non_finite_updates=int32,
  mean_staleness=float32>` (after clipping).

  Example:
    >>> import numpy as np, federax as fx
    >>> model = fx.learning.models.FunctionalModel(
    ...     initial_weights=((np.zeros(2, np.float32),), ()),
    ...     predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...     loss_fn=fx.learning.models.mean_squared_error,
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> work = fx.learning.templates.build_fed_buff_client_work(
    ...     model, fx.learning.optimizers.build_sgdm(0.1), max_staleness=2)
    >>> print(work.next.type_signature.parameter[1])
    {<history=<trainable=<float32[3,2]>,non_trainable=<>>,num_versions=int32>}@CLIENTS
  """
  model = model_lib.as_model(model_fn)
  optimizer = opt_hparams.as_optimizer(optimizer, 'optimizer')
  if (isinstance(max_staleness, bool) or not isinstance(max_staleness, int)
      or max_staleness < 0):
    raise ValueError(f'max_staleness: expected an int >= 0, got '
                     f'{max_staleness!r}.')
  weight_fn = staleness_weight_fn or polynomial_staleness_weight
  if not callable(weight_fn):
    raise TypeError(f'staleness_weight_fn: expected a function of a float32 '
                    f'staleness returning a float32 factor, got '
                    f'{type(weight_fn).__name__}.')
  spec = client_spec_lib.check(client_spec)
  weights_t, _ = parts.model_types(model)
  history_t = types.StructType([
      ('history', model_history_distributor.stacked_type(
          weights_t, max_staleness + 1)),
      ('num_versions', types.TensorType(np.int32))], collections.OrderedDict)
  data_t = client_data_type(model)
  initial = model_weights_lib.ModelWeights.from_model(model)
  state = round_state.build_round_state(optimizer, initial.trainable)

  @jax_computation.jax_computation(state.state_type, history_t, data_t)
  def client_update(state, history, data):
    import jax
    import jax.numpy as jnp
    staleness = jnp.clip(data['staleness'], 0,
                         jnp.maximum(history['num_versions'] - 1, 0))
    weights = model_weights_lib.ModelWeights(*jax.tree.map(
        lambda h: h[staleness], history['history']))
    examples = data['data']
    result = local_training.train(
        model, optimizer, weights, examples, spec,
        parts.shuffle_key(spec, state['round_num'], examples),
        optimizer_state=opt_hparams.set_hparams(
            optimizer.init(weights.trainable), state['hparams']))
    scale = jnp.asarray(weight_fn(staleness.astype(jnp.float32)),
                        jnp.float32)
    update = jax.tree.map(lambda w, t: (w - t) * scale.astype(w.dtype),
                          weights.trainable, result.weights.trainable)
    metrics = metrics_lib.unfinalized_metrics(model, result)
    update, weight, non_finite = parts.clean(update, 1.0)
    return collections.OrderedDict(
        result=client_works.ClientResult(update, weight), metrics=metrics,
        non_finite=non_finite, staleness=staleness.astype(jnp.float32))

  aggregate_metrics = parts.metrics_aggregation(
      model, metrics_aggregator, client_update.type_signature.result.metrics)

  @federated_computation.federated_computation(
      state.init_fn.type_signature.result, types.type_at_clients(history_t),
      types.type_at_clients(data_t))
  def next_fn(server_state, history, client_data):
    outputs = intrinsics.federated_map(client_update, [
        intrinsics.federated_broadcast(server_state), history, client_data])
    measurements = client_works.training_measurements(
        aggregate_metrics(outputs.metrics), outputs.non_finite,
        mean_staleness=aggregation_intrinsics.federated_mean(
            outputs.staleness))
    return measured_process.MeasuredProcessOutput(
        state=intrinsics.federated_map(state.next_round, server_state),
        result=outputs.result, measurements=measurements)

  return state.process(next_fn)
