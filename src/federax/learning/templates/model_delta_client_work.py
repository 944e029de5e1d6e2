"""Client work that trains locally and sends the model delta (FedAvg's)."""

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
from federax.learning.optimizers import hparams as opt_hparams
from federax.learning.templates import client_work_parts
from federax.learning.templates import client_works
from federax.learning.templates import round_state
from federax.templates import measured_process


def build_model_delta_client_work(model_fn, optimizer, client_weighting=None,
                                  client_spec=None, metrics_aggregator=None,
                                  proximal_strength: float = 0.0,
                                  learning_rate_fn=None):
  """Clients train the model locally and send `initial - trained` weights.

  Each client starts from the broadcast weights, trains with `optimizer`
  (any optax `GradientTransformation`; its hyperparameters are the
  process's hparams) over its data as `client_spec` says, and returns the
  change of its trainable weights as the update, weighted by
  `client_weighting`. A client whose update is not finite sends zeros with
  weight 0 and is counted in the `non_finite_updates` measurement. With
  `proximal_strength` > 0 the loss gains FedProx's `mu/2 ||w - w0||^2`.
  With `learning_rate_fn` the optimizer is `optimizer(learning_rate_fn(
  round_num))` (a per-round schedule). Measurements are
  `<train=metrics, non_finite_updates=int32>`.

  Example:
    >>> import numpy as np, federax as fx
    >>> model = fx.learning.models.FunctionalModel(
    ...     initial_weights=((np.zeros(2, np.float32),), ()),
    ...     predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...     loss_fn=fx.learning.models.mean_squared_error,
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> work = fx.learning.templates.build_model_delta_client_work(
    ...     model, fx.learning.optimizers.build_sgdm(0.1))
    >>> print(work.next.type_signature.parameter[2])
    {<float32[2],float32>*}@CLIENTS
  """
  model = model_lib.as_model(model_fn)
  spec = client_spec_lib.check(client_spec)
  weighting = weighting_lib.check(client_weighting)
  if not isinstance(proximal_strength, (int, float)) or proximal_strength < 0:
    raise ValueError(f'proximal_strength: expected a number >= 0, got '
                     f'{proximal_strength!r}.')
  if learning_rate_fn is None:
    optimizer = opt_hparams.as_optimizer(optimizer, 'optimizer')
    make_optimizer = lambda round_num: optimizer
  else:
    if not callable(learning_rate_fn) or not callable(optimizer):
      raise TypeError('learning_rate_fn, optimizer: expected a function of '
                      'the round number returning a learning rate, and a '
                      'function of the learning rate returning an optax '
                      'optimizer.')
    make_optimizer = lambda round_num: opt_hparams.as_optimizer(
        lambda: optimizer(learning_rate_fn(round_num)), 'optimizer')
  weights_t, data_t = client_work_parts.model_types(model)
  initial = model_weights_lib.ModelWeights.from_model(model)
  rounds = round_state.build_round_state(make_optimizer(np.int32(0)),
                                        initial.trainable)
  state_t = rounds.state_type

  def client_update(state, weights, data):
    import jax
    import jax.numpy as jnp
    weights = model_weights_lib.ModelWeights(*weights)
    optimizer = make_optimizer(state['round_num'])
    opt_state = opt_hparams.set_hparams(optimizer.init(weights.trainable),
                                        state['hparams'])
    grad_fn = None
    if proximal_strength:
      def grad_fn(grads, trainable):
        return jax.tree.map(
            lambda g, w, w0: g + proximal_strength * (w - w0), grads,
            trainable, weights.trainable)
    stacked, length, _ = local_training.batching.examples(data)
    key = local_training.client_key(spec.seed, state['round_num'], stacked,
                                    length)
    result = local_training.train(model, optimizer, weights, data, spec, key,
                                  grad_fn=grad_fn, optimizer_state=opt_state)
    update = jax.tree.map(jnp.subtract, weights.trainable,
                          result.weights.trainable)
    update, non_finite = local_training.zero_if_non_finite(update)
    metrics = metrics_lib.unfinalized_metrics(model, result)
    weight = weighting_lib.weight_of(weighting, metrics)
    return collections.OrderedDict(
        result=client_works.ClientResult(
            update, jnp.where(non_finite > 0, 0.0, weight)),
        metrics=metrics, non_finite=non_finite)

  client_update = jax_computation.jax_computation(client_update, state_t,
                                                  weights_t, data_t)
  metrics_t = client_update.type_signature.result.metrics
  aggregator = client_work_parts.metrics_aggregation(
      model, metrics_aggregator, metrics_t)

  @federated_computation.federated_computation(
      rounds.init_fn.type_signature.result,
      types.type_at_clients(weights_t),
      types.type_at_clients(data_t))
  def next_fn(state, weights, client_data):
    outputs = intrinsics.federated_map(
        client_update, [intrinsics.federated_broadcast(state), weights,
                        client_data])
    measurements = client_works.training_measurements(
        aggregator(outputs.metrics), outputs.non_finite)
    return measured_process.MeasuredProcessOutput(
        state=intrinsics.federated_map(rounds.next_round, state),
        result=outputs.result, measurements=measurements)

  return rounds.process(next_fn)

