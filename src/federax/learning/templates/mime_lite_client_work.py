"""Mime Lite's client work (Karimireddy et al., 2021, "Mime").

Clients train with the server's optimizer state held fixed; the state is
then refreshed at the server from the mean full-batch gradient.
"""

from __future__ import annotations

import collections

import numpy as np

from federax.aggregators import factory as factory_lib
from federax.aggregators import mean as mean_lib
from federax.core import federated_computation
from federax.core import intrinsics
from federax.core import jax_computation
from federax.core import placements
from federax.core import type_conversions
from federax.core import types
from federax.learning import client_spec as client_spec_lib
from federax.learning import client_weighting as weighting_lib
from federax.learning import local_training
from federax.learning import metrics as metrics_lib
from federax.learning.models import model as model_lib
from federax.learning.models import model_weights as model_weights_lib
from federax.learning.optimizers import hparams as opt_hparams
from federax.learning.templates import client_work_parts as parts
from federax.learning.templates import client_works
from federax.templates import measured_process


def _gradient_aggregator(full_gradient_aggregator, gradient_t):
  if full_gradient_aggregator is None:
    full_gradient_aggregator = mean_lib.MeanFactory()
  if isinstance(full_gradient_aggregator,
                factory_lib.WeightedAggregationFactory):
    return full_gradient_aggregator.create(gradient_t, 'float32')
  if isinstance(full_gradient_aggregator,
                factory_lib.UnweightedAggregationFactory):
    return full_gradient_aggregator.create(gradient_t)
  raise TypeError(f'full_gradient_aggregator: expected an aggregation '
                  f'factory from fx.aggregators (e.g. fx.aggregators.'
                  f'MeanFactory()), got '
                  f'{type(full_gradient_aggregator).__name__}.')


def build_mime_lite_client_work(model_fn, optimizer, client_weighting=None,
                                full_gradient_aggregator=None,
                                metrics_aggregator=None, client_spec=None):
  """Mime Lite: local steps with the base optimizer's state frozen.

  The state holds the base `optimizer`'s state (its hyperparameters are
  the process's hparams). Each client, starting from the broadcast weights,
  trains over its data (`client_spec`) with `optimizer.update` using the
  broadcast optimizer state without updating it, and sends the change of
  its weights (`initial - trained`) weighted by `client_weighting`. Each
  client also computes the full-batch gradient of its loss at the
  broadcast weights; `full_gradient_aggregator` (a weighted `MeanFactory`
  by default, with the clients' update weights) averages them, and the
  state becomes the optimizer state after `optimizer.update(mean gradient,
  state)`; the updates of that step are dropped. A mean gradient that is
  not finite leaves the state unchanged. Measurements are
  `<train=metrics, non_finite_updates=int32>` (training metrics only).

  Example:
    >>> import numpy as np, federax as fx
    >>> model = fx.learning.models.FunctionalModel(
    ...     initial_weights=((np.zeros(2, np.float32),), ()),
    ...     predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...     loss_fn=fx.learning.models.mean_squared_error,
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> work = fx.learning.templates.build_mime_lite_client_work(
    ...     model, fx.learning.optimizers.build_sgdm(0.1, momentum=0.9))
    >>> print(work.state_type.member.optimizer_state.hyperparams)
    <learning_rate=float32,momentum=float32>
  """
  model = model_lib.as_model(model_fn)
  optimizer = opt_hparams.as_optimizer(optimizer, 'optimizer')
  spec = client_spec_lib.check(client_spec)
  weighting = weighting_lib.check(client_weighting)
  weights_t, data_t = parts.model_types(model)
  initial = model_weights_lib.ModelWeights.from_model(model)
  initial_opt_state = opt_hparams.initial_state(optimizer, initial.trainable)
  opt_state_t = type_conversions.infer_type(initial_opt_state)
  trainable_t = weights_t[0]
  round_t = types.TensorType(np.int32)

  @jax_computation.jax_computation(opt_state_t, round_t, weights_t, data_t)
  def client_update(opt_state, round_num, weights, data):
    import jax
    import jax.numpy as jnp
    weights = model_weights_lib.ModelWeights(*weights)
    full_gradient, _ = local_training.full_gradient(model, weights, data,
                                                    spec.batch_size)
    result = local_training.train(
        model, optimizer, weights, data, spec,
        parts.shuffle_key(spec, round_num, data),
        optimizer_state=opt_state, update_optimizer_state=False)
    update = jax.tree.map(jnp.subtract, weights.trainable,
                          result.weights.trainable)
    metrics = metrics_lib.unfinalized_metrics(model, result)
    full_gradient, _, gradient_bad = parts.clean(full_gradient, 1.0)
    update, weight, non_finite = parts.clean(
        update, weighting_lib.weight_of(weighting, metrics), gradient_bad)
    full_gradient = jax.tree.map(
        lambda g: jnp.where(non_finite > 0, jnp.zeros_like(g), g),
        full_gradient)
    return collections.OrderedDict(
        result=client_works.ClientResult(update, weight),
        full_gradient=full_gradient, metrics=metrics, non_finite=non_finite)

  @jax_computation.jax_computation(opt_state_t, trainable_t)
  def update_optimizer_state(opt_state, gradient):
    import jax
    import jax.numpy as jnp
    zeros = jax.tree.map(jnp.zeros_like, gradient)
    _, new_state = optimizer.update(gradient, opt_state, zeros)
    finite = jnp.all(jnp.asarray(
        [jnp.all(jnp.isfinite(g)) for g in jax.tree.leaves(gradient)]))
    return jax.tree.map(lambda a, b: jnp.where(finite, a, b), new_state,
                        opt_state)

  gradient_aggregator = _gradient_aggregator(
      full_gradient_aggregator,
      client_update.type_signature.result.full_gradient)
  aggregate_metrics = parts.metrics_aggregation(
      model, metrics_aggregator, client_update.type_signature.result.metrics)
  next_round = jax_computation.jax_computation(lambda r: r + 1, round_t)

  @federated_computation.federated_computation()
  def init_fn():
    return intrinsics.federated_zip(collections.OrderedDict(
        optimizer_state=intrinsics.federated_value(initial_opt_state,
                                                   placements.SERVER),
        full_gradient_aggregator=gradient_aggregator.initialize(),
        round_num=intrinsics.federated_value(np.int32(0),
                                             placements.SERVER)))

  @federated_computation.federated_computation(
      init_fn.type_signature.result, types.type_at_clients(weights_t),
      types.type_at_clients(data_t))
  def next_fn(state, weights, client_data):
    outputs = intrinsics.federated_map(client_update, [
        intrinsics.federated_broadcast(state.optimizer_state),
        intrinsics.federated_broadcast(state.round_num), weights,
        client_data])
    if gradient_aggregator.is_weighted:
      gradient = gradient_aggregator.next(
          state.full_gradient_aggregator, outputs.full_gradient,
          outputs.result.update_weight)
    else:
      gradient = gradient_aggregator.next(state.full_gradient_aggregator,
                                          outputs.full_gradient)
    new_state = intrinsics.federated_zip(collections.OrderedDict(
        optimizer_state=intrinsics.federated_map(
            update_optimizer_state, [state.optimizer_state, gradient.result]),
        full_gradient_aggregator=gradient.state,
        round_num=intrinsics.federated_map(next_round, state.round_num)))
    measurements = client_works.training_measurements(
        aggregate_metrics(outputs.metrics), outputs.non_finite)
    return measured_process.MeasuredProcessOutput(
        state=new_state, result=outputs.result, measurements=measurements)

  state_t = init_fn.type_signature.result.member
  get_hparams = jax_computation.jax_computation(
      lambda s: opt_hparams.get_hparams(s['optimizer_state']), state_t)

  @jax_computation.jax_computation(state_t, get_hparams.type_signature.result)
  def set_hparams(state, hparams):
    new = collections.OrderedDict(state)
    new['optimizer_state'] = opt_hparams.set_hparams(state['optimizer_state'],
                                                     hparams)
    return new

  return client_works.ClientWorkProcess(
      init_fn, next_fn, get_hparams_fn=get_hparams,
      set_hparams_fn=set_hparams)
