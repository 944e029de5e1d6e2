"""The two stages of a client in Federated Reconstruction, as pure JAX.

A `ReconstructionModel` is seen by the generic local training loop
(`federax.learning.local_training`) through two `FunctionalModel` views:

- the **reconstruction** view trains the local trainable weights; the
  global weights (and the local non-trainable ones) are its frozen,
  non-trainable weights;
- the **global** view trains the global trainable weights; the local
  weights (just reconstructed) and the global non-trainable ones are
  frozen.

So reconstruction, training and evaluation reuse FedAvg's batching,
padding masks, seeded shuffling and metrics unchanged.
"""

from __future__ import annotations

from federax.learning import builders
from federax.learning import local_training
from federax.learning.models import functional
from federax.learning.models import model_weights as model_weights_lib
from federax.learning.models import reconstruction_model as recon_lib

ModelWeights = model_weights_lib.ModelWeights


def as_loss_fn(loss_fn):
  """`loss_fn(predictions, labels, sample_weight=None)`, or what a
  function of no argument (TFF's `loss_fn`) returns.

  Example:
    >>> import federax as fx
    >>> from federax.learning.templates import reconstruction_stages
    >>> mse = fx.learning.models.mean_squared_error
    >>> reconstruction_stages.as_loss_fn(lambda: mse) is mse
    True
  """
  if callable(loss_fn) and builders.is_builder(loss_fn):
    loss_fn = loss_fn()
  if not callable(loss_fn):
    raise TypeError(f'loss_fn: expected fn(predictions, labels, '
                    f'sample_weight=None) -> mean loss over real examples '
                    f'(e.g. fx.learning.models.mean_squared_error), got '
                    f'{type(loss_fn).__name__}.')
  return loss_fn


def as_metrics_fns(metrics_fn):
  """The `metrics_fns` triple of `FunctionalModel`, None, or what a
  function of no argument (TFF's `metrics_fn`) returns.

  Example:
    >>> import federax as fx
    >>> from federax.learning.templates import reconstruction_stages
    >>> fns = fx.learning.models.build_mean_metrics_fns(
    ...     accuracy=fx.learning.models.sparse_categorical_accuracy)
    >>> len(reconstruction_stages.as_metrics_fns(lambda: fns))
    3
  """
  if metrics_fn is None:
    return None
  if callable(metrics_fn) and builders.is_builder(metrics_fn):
    metrics_fn = metrics_fn()
  if not (isinstance(metrics_fn, (tuple, list)) and len(metrics_fn) == 3):
    raise TypeError(f'metrics_fn: expected None or the triple '
                    f'(initialize, update, finalize) of fx.learning.models.'
                    f'build_mean_metrics_fns(...), got '
                    f'{type(metrics_fn).__name__}.')
  return metrics_fn


def views(model: recon_lib.ReconstructionModel, loss_fn, metrics_fns=None):
  """`(reconstruction view, global view)`: `FunctionalModel`s of `model`.

  The reconstruction view's weights are `ModelWeights(local trainable,
  (global ModelWeights, local non-trainable))`; the global view's are
  `ModelWeights(global trainable, (global non-trainable, local
  ModelWeights))`. Only the global view has the metrics.

  Example:
    >>> import numpy as np, federax as fx
    >>> from federax.learning.templates import reconstruction_stages
    >>> model = fx.learning.models.ReconstructionModel(
    ...     global_trainable_variables=(np.ones(2, np.float32),),
    ...     local_trainable_variables=(np.zeros((), np.float32),),
    ...     predict_on_batch_fn=lambda g, l, x, training=True: (
    ...         x @ g.trainable[0] + l.trainable[0]),
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> recon, post = reconstruction_stages.views(
    ...     model, fx.learning.models.mean_squared_error)
    >>> print(fx.infer_type(recon.initial_weights.trainable),
    ...       fx.infer_type(post.initial_weights.trainable))
    <float32> <float32[2]>
  """
  global_weights = recon_lib.ReconstructionModel.get_global_variables(model)
  local_weights = recon_lib.ReconstructionModel.get_local_variables(model)

  def recon_predict(weights, x, training=True):
    frozen_global, local_non_trainable = weights.non_trainable
    return model.predict_on_batch(
        frozen_global, ModelWeights(weights.trainable, local_non_trainable),
        x, training)

  def global_predict(weights, x, training=True):
    global_non_trainable, frozen_local = weights.non_trainable
    return model.predict_on_batch(
        ModelWeights(weights.trainable, global_non_trainable), frozen_local,
        x, training)

  recon = functional.FunctionalModel(
      initial_weights=(local_weights.trainable,
                       (global_weights, local_weights.non_trainable)),
      predict_on_batch_fn=recon_predict, loss_fn=loss_fn,
      input_spec=model.input_spec)
  post = functional.FunctionalModel(
      initial_weights=(global_weights.trainable,
                       (global_weights.non_trainable, local_weights)),
      predict_on_batch_fn=global_predict, loss_fn=loss_fn,
      metrics_fns=metrics_fns, input_spec=model.input_spec)
  return recon, post


def reconstruct(model, recon_view, optimizer, global_weights, data, spec,
                key) -> ModelWeights:
  """The local `ModelWeights` a client reconstructs from its `data`.

  Starts from the model's initial local weights and trains the local
  trainable ones with `optimizer`, the global weights frozen. A model
  without local trainable weights skips the stage.
  """
  import jax
  local = recon_lib.ReconstructionModel.get_local_variables(model)
  if not jax.tree_util.tree_leaves(local.trainable):
    return local
  start = ModelWeights(local.trainable,
                       (ModelWeights(*global_weights), local.non_trainable))
  result = local_training.train(recon_view, optimizer, start, data, spec, key)
  return ModelWeights(result.weights.trainable, local.non_trainable)


def global_view_weights(global_weights, local_weights) -> ModelWeights:
  """The weights of the global view, from both sets of weights."""
  global_weights = ModelWeights(*global_weights)
  return ModelWeights(global_weights.trainable,
                      (global_weights.non_trainable, local_weights))
