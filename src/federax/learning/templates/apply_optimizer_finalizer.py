"""The server applies the aggregated update with an optimizer."""

from __future__ import annotations

import collections

import numpy as np

from federax.core import federated_computation
from federax.core import intrinsics
from federax.core import jax_support
from federax.core import jax_computation
from federax.core import placements
from federax.core import type_conversions
from federax.core import types
from federax.learning.models import model_weights as model_weights_lib
from federax.learning.optimizers import hparams as opt_hparams
from federax.learning.templates import finalizers
from federax.templates import measured_process


def build_apply_optimizer_finalizer(optimizer, model_weights_type,
                                    should_reject_update=None):
  """A `FinalizerProcess` that applies the update with `optimizer`.

  The update is treated as a gradient (the clients send `initial -
  trained`), so SGD with learning rate 1.0 moves the model to the mean of
  the clients' models. The state is the optimizer's state; its
  hyperparameters are the finalizer's hparams. An update with a
  non-finite value is not applied (TFF's `should_reject_update` default);
  the measurement `update_non_finite` says when that happened.

  Example:
    >>> import numpy as np, federax as fx
    >>> weights = fx.learning.models.ModelWeights(
    ...     trainable=np.zeros(2, np.float32), non_trainable=())
    >>> finalizer = fx.learning.templates.build_apply_optimizer_finalizer(
    ...     fx.learning.optimizers.build_sgdm(1.0), fx.infer_type(weights))
    >>> output = finalizer.next(finalizer.initialize(), weights,
    ...                         np.array([0.5, -1.0], np.float32))
    >>> output.result.trainable.tolist()
    [-0.5, 1.0]
  """
  optimizer = opt_hparams.as_optimizer(optimizer, 'optimizer')
  weights_t = type_conversions.to_type(model_weights_type)
  if isinstance(weights_t, types.FederatedType):
    weights_t = weights_t.member
  if not (isinstance(weights_t, types.StructType) and len(weights_t) == 2):
    raise TypeError(f'model_weights_type: expected the type of a '
                    f'ModelWeights <trainable,non_trainable>, got '
                    f'{weights_t}.')
  trainable_t = weights_t[0]
  opt_state = opt_hparams.initial_state(
      optimizer, jax_support.internal_to_python(
          jax_support.zeros(trainable_t, np), trainable_t))
  state_t = type_conversions.infer_type(opt_state)

  @jax_computation.jax_computation(state_t, weights_t, trainable_t)
  def apply(state, weights, update):
    import jax
    import jax.numpy as jnp
    import optax
    weights = model_weights_lib.ModelWeights(*weights)
    updates, new_state = optimizer.update(update, state, weights.trainable)
    trainable = optax.apply_updates(weights.trainable, updates)
    leaves = jax.tree_util.tree_leaves(update)
    finite = jnp.all(jnp.asarray([jnp.all(jnp.isfinite(x)) for x in leaves]))
    if should_reject_update is not None:
      finite = jnp.logical_not(should_reject_update(update))
    keep = lambda new, old: jax.tree.map(
        lambda a, b: jnp.where(finite, a, b), new, old)
    new_weights = (keep(trainable, weights.trainable), weights.non_trainable)
    if weights_t.has_names():
      new_weights = model_weights_lib.ModelWeights(*new_weights)
    return collections.OrderedDict(
        state=keep(new_state, state), weights=new_weights,
        update_non_finite=jnp.where(finite, 0, 1).astype(jnp.int32))

  @federated_computation.federated_computation()
  def init_fn():
    return intrinsics.federated_value(opt_state, placements.SERVER)

  @federated_computation.federated_computation(
      init_fn.type_signature.result, types.type_at_server(weights_t),
      types.type_at_server(trainable_t))
  def next_fn(state, weights, update):
    out = intrinsics.federated_map(apply, [state, weights, update])
    return measured_process.MeasuredProcessOutput(
        state=out.state, result=out.weights,
        measurements=intrinsics.federated_zip(collections.OrderedDict(
            update_non_finite=out.update_non_finite)))

  get_hparams = jax_computation.jax_computation(opt_hparams.get_hparams,
                                                state_t)
  set_hparams = jax_computation.jax_computation(
      opt_hparams.set_hparams, state_t, get_hparams.type_signature.result)
  return finalizers.FinalizerProcess(init_fn, next_fn,
                                     get_hparams_fn=get_hparams,
                                     set_hparams_fn=set_hparams)
