"""`compose_learning_process`: a learning process from its four parts."""

from __future__ import annotations

import collections
from typing import Any, NamedTuple

from federax.core import computation as computation_lib
from federax.core import federated_computation
from federax.core import intrinsics
from federax.core import jax_computation
from federax.core import placements
from federax.core import types
from federax.learning.templates import client_works
from federax.learning.templates import distributors
from federax.learning.templates import finalizers
from federax.learning.templates import learning_process
from federax.templates import aggregation_process
from federax.templates import checks


class LearningAlgorithmState(NamedTuple):
  """The state of a composed learning process (TFF's fields)."""
  global_model_weights: Any
  distributor: Any
  client_work: Any
  aggregator: Any
  finalizer: Any


def _check_parts(initial_model_weights_fn, distributor, client_work,
                 aggregator, finalizer) -> types.Type:
  """Type-checks the parts against each other; returns the weights type."""
  checks.check_computation(initial_model_weights_fn,
                           'initial_model_weights_fn')
  if initial_model_weights_fn.type_signature.parameter is not None:
    raise TypeError(f'initial_model_weights_fn: expected a computation with '
                    f'no parameter, got '
                    f'{initial_model_weights_fn.type_signature}.')
  for name, value, kind in (
      ('model_weights_distributor', distributor,
       distributors.DistributionProcess),
      ('client_work', client_work, client_works.ClientWorkProcess),
      ('model_update_aggregator', aggregator,
       aggregation_process.AggregationProcess),
      ('model_finalizer', finalizer, finalizers.FinalizerProcess)):
    if not isinstance(value, kind):
      raise TypeError(f'{name}: expected an fx.learning.templates.'
                      f'{kind.__name__}, got {type(value).__name__}.')
  weights = initial_model_weights_fn.type_signature.result
  if isinstance(weights, types.FederatedType):
    weights = weights.member
  fix = 'Build the parts for the same model.'
  checks.check_assignable(
      checks.parameters(distributor.next)[1].member, weights,
      'model_weights_distributor: the weights it takes', fix)
  client_weights = checks.parameters(client_work.next)[1]
  checks.check_assignable(
      client_weights, distributor.result_type,
      'client_work: the weights it takes (from the distributor)', fix)
  update = client_work.result_type.member.update
  checks.check_assignable(
      aggregator.value_type, update,
      'model_update_aggregator: the value it aggregates (the client update)',
      'Create the aggregator for the client work\'s update type, e.g. '
      'factory.create(update_type, weight_type).')
  if aggregator.is_weighted:
    checks.check_assignable(
        checks.parameters(aggregator.next)[2].member,
        client_work.result_type.member.update_weight,
        'model_update_aggregator: the weight it takes', fix)
  finalizer_params = checks.parameters(finalizer.next)
  checks.check_assignable(finalizer_params[1].member, weights,
                          'model_finalizer: the weights it takes', fix)
  checks.check_assignable(
      finalizer_params[2].member, aggregator.result_type.member,
      'model_finalizer: the update it takes (the aggregator\'s result)', fix)
  return weights


def compose_learning_process(
    initial_model_weights_fn: computation_lib.Computation,
    model_weights_distributor: distributors.DistributionProcess,
    client_work: client_works.ClientWorkProcess,
    model_update_aggregator: aggregation_process.AggregationProcess,
    model_finalizer: finalizers.FinalizerProcess,
) -> learning_process.LearningProcess:
  """A `LearningProcess`: distribute, train on clients, aggregate, finalize.

  The state is a `LearningAlgorithmState` of the global model weights and
  the four parts' states; `next` returns metrics keyed `distributor`,
  `client_work`, `aggregator` and `finalizer` (each part's measurements).
  The parts are type-checked against each other; a mismatch is a
  TypeError naming the part and both types.

  Example:
    >>> import numpy as np, federax as fx
    >>> model = fx.learning.models.FunctionalModel(
    ...     initial_weights=((np.zeros(2, np.float32),), ()),
    ...     predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...     loss_fn=fx.learning.models.mean_squared_error,
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> templates = fx.learning.templates
    >>> weights = fx.learning.models.ModelWeights.from_model(model)
    >>> weights_type = fx.infer_type(weights)
    >>> process = templates.compose_learning_process(
    ...     fx.jax_computation(lambda: weights),
    ...     templates.build_broadcast_process(weights_type),
    ...     templates.build_model_delta_client_work(
    ...         model, fx.learning.optimizers.build_sgdm(0.1)),
    ...     fx.aggregators.MeanFactory().create(weights_type.trainable,
    ...                                         np.float32),
    ...     templates.build_apply_optimizer_finalizer(
    ...         fx.learning.optimizers.build_sgdm(1.0), weights_type))
    >>> print(process.state_type.member.global_model_weights)
    <trainable=<float32[2]>,non_trainable=<>>
    >>> templates.compose_learning_process(
    ...     fx.jax_computation(lambda: weights),
    ...     templates.build_broadcast_process(weights_type),
    ...     templates.build_model_delta_client_work(
    ...         model, fx.learning.optimizers.build_sgdm(0.1)),
    ...     fx.aggregators.MeanFactory().create(
    ...         fx.TensorType(np.float32, [3]), np.float32),
    ...     templates.build_apply_optimizer_finalizer(
    ...         fx.learning.optimizers.build_sgdm(1.0), weights_type))
    Traceback (most recent call last):
    ...
    TypeError: model_update_aggregator: the value it aggregates (the client update): expected float32[3], got <float32[2]>. Create the aggregator for the client work's update type, e.g. factory.create(update_type, weight_type).
  """
  weights_type = _check_parts(initial_model_weights_fn,
                              model_weights_distributor, client_work,
                              model_update_aggregator, model_finalizer)

  @federated_computation.federated_computation()
  def init_fn():
    initial = initial_model_weights_fn()
    if not isinstance(initial.type_signature, types.FederatedType):
      initial = intrinsics.federated_value(initial, placements.SERVER)
    return intrinsics.federated_zip(LearningAlgorithmState(
        global_model_weights=initial,
        distributor=model_weights_distributor.initialize(),
        client_work=client_work.initialize(),
        aggregator=model_update_aggregator.initialize(),
        finalizer=model_finalizer.initialize()))

  @federated_computation.federated_computation(
      init_fn.type_signature.result, client_work.next.type_signature
      .parameter[2])
  def next_fn(state, client_data):
    weights = state.global_model_weights
    distributed = model_weights_distributor.next(state.distributor, weights)
    trained = client_work.next(state.client_work, distributed.result,
                               client_data)
    updates = trained.result
    if model_update_aggregator.is_weighted:
      aggregated = model_update_aggregator.next(
          state.aggregator, updates.update, updates.update_weight)
    else:
      aggregated = model_update_aggregator.next(state.aggregator,
                                                updates.update)
    finalized = model_finalizer.next(state.finalizer, weights,
                                     aggregated.result)
    new_state = intrinsics.federated_zip(LearningAlgorithmState(
        global_model_weights=finalized.result,
        distributor=distributed.state, client_work=trained.state,
        aggregator=aggregated.state, finalizer=finalized.state))
    metrics = intrinsics.federated_zip(collections.OrderedDict(
        distributor=distributed.measurements,
        client_work=trained.measurements,
        aggregator=aggregated.measurements,
        finalizer=finalized.measurements))
    return learning_process.LearningProcessOutput(new_state, metrics)

  state_type = init_fn.type_signature.result.member
  get_model_weights = jax_computation.jax_computation(
      lambda state: state.global_model_weights, state_type)
  set_model_weights = jax_computation.jax_computation(
      lambda state, weights: state._replace(global_model_weights=weights),
      state_type, weights_type)
  parts = {'client_work': client_work, 'finalizer': model_finalizer}
  hparams_type = types.StructType([
      (name, part.get_hparams.type_signature.result)
      for name, part in parts.items()], collections.OrderedDict)

  @jax_computation.jax_computation(state_type)
  def get_hparams(state):
    return collections.OrderedDict(
        (name, part.get_hparams(getattr(state, name)))
        for name, part in parts.items())

  @jax_computation.jax_computation(state_type, hparams_type)
  def set_hparams(state, hparams):
    return state._replace(**{
        name: part.set_hparams(getattr(state, name), hparams[name])
        for name, part in parts.items()})

  return learning_process.LearningProcess(
      init_fn, next_fn, get_model_weights, set_model_weights,
      get_hparams_fn=get_hparams, set_hparams_fn=set_hparams)
