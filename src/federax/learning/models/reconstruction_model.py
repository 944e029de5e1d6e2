"""`ReconstructionModel`: a model with global and local variables.

Federated Reconstruction (Singhal et al., 2021, "Federated Reconstruction:
Partially Local Federated Learning") splits a model's weights in two:

- **global** variables, shared: the server holds them, clients train them
  and send back their updates, as in FedAvg;
- **local** variables, private to each client (a user embedding, a
  per-user bias): never sent anywhere, reconstructed by each client from
  scratch, on its own data with the global variables frozen, whenever it
  takes part.

TFF's `tff.learning.models.ReconstructionModel` holds `tf.Variable`s; a
federax one, like every federax model, holds initial values and a pure
prediction function, so the algorithms run it under `jax.jit`, `vmap` and
`grad`.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

from federax.core import type_conversions
from federax.learning.models import input_spec as input_spec_lib
from federax.learning.models import model_weights as model_weights_lib

_WHO = 'ReconstructionModel'


class ReconstructionBatchOutput(NamedTuple):
  """What `ReconstructionModel.forward_pass` computes for one batch.

  Example:
    >>> from federax.learning import models
    >>> models.ReconstructionBatchOutput(None, None, 4).num_examples
    4
  """
  predictions: Any
  labels: Any
  num_examples: Any


def _check_weights(value, what: str):
  try:
    type_conversions.infer_type(value)
  except (TypeError, ValueError) as e:
    raise TypeError(f'{_WHO}({what}): expected a pytree of arrays (e.g. a '
                    f'tuple of numpy arrays, or ()), got {value!r}: {e}'
                    ) from None
  return value


class ReconstructionModel:
  """A model whose weights are global (shared) and local (never sent).

  Args:
    global_trainable_variables: a pytree of initial values of the global
      trainable weights.
    local_trainable_variables: a pytree of initial values of the local
      trainable weights; every client starts reconstructing from them.
    predict_on_batch_fn: `fn(global_weights, local_weights, x, training)
      -> predictions`, both weights `ModelWeights(trainable,
      non_trainable)`.
    input_spec: the spec of one batch, `(x, y)` or `{'x': ..., 'y': ...}`,
      each leaf with a leading batch dimension.
    global_non_trainable_variables, local_non_trainable_variables:
      pytrees of initial values of weights that are not trained (default
      none).

  The loss and the metrics are given to the algorithms
  (`fx.learning.algorithms.build_fed_recon(model, loss_fn=...,
  metrics_fn=...)`), as in TFF.

  Example:
    >>> import numpy as np
    >>> from federax.learning import models
    >>> model = models.ReconstructionModel(
    ...     global_trainable_variables=(np.ones(2, np.float32),),
    ...     local_trainable_variables=(np.zeros((), np.float32),),
    ...     predict_on_batch_fn=lambda g, l, x, training=True: (
    ...         x @ g.trainable[0] + l.trainable[0]),
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> print(models.example_type(model))
    <float32[2],float32>
    >>> out = model.forward_pass(
    ...     models.ReconstructionModel.get_global_variables(model),
    ...     models.ReconstructionModel.get_local_variables(model),
    ...     (np.ones((3, 2), np.float32), np.zeros(3, np.float32)))
    >>> out.predictions.tolist(), int(out.num_examples)
    ([2.0, 2.0, 2.0], 3)
  """

  def __init__(self, *, global_trainable_variables, local_trainable_variables,
               predict_on_batch_fn: Callable, input_spec,
               global_non_trainable_variables=(),
               local_non_trainable_variables=()):
    if not callable(predict_on_batch_fn):
      raise TypeError(f'{_WHO}(predict_on_batch_fn): expected fn('
                      f'global_weights, local_weights, x, training), got '
                      f'{type(predict_on_batch_fn).__name__}.')
    self._global = model_weights_lib.ModelWeights(
        _check_weights(global_trainable_variables,
                       'global_trainable_variables'),
        _check_weights(global_non_trainable_variables,
                       'global_non_trainable_variables'))
    self._local = model_weights_lib.ModelWeights(
        _check_weights(local_trainable_variables,
                       'local_trainable_variables'),
        _check_weights(local_non_trainable_variables,
                       'local_non_trainable_variables'))
    self._predict_on_batch_fn = predict_on_batch_fn
    self._input_spec = input_spec
    input_spec_lib.to_batch_type(input_spec, f'{_WHO}(input_spec)')

  @property
  def input_spec(self):
    """The spec of one batch: `(x, y)` or `{'x': ..., 'y': ...}`."""
    return self._input_spec

  @property
  def global_trainable_variables(self):
    """Initial values of the global trainable weights."""
    return self._global.trainable

  @property
  def global_non_trainable_variables(self):
    """Initial values of the global non-trainable weights."""
    return self._global.non_trainable

  @property
  def local_trainable_variables(self):
    """Initial values of the local trainable weights."""
    return self._local.trainable

  @property
  def local_non_trainable_variables(self):
    """Initial values of the local non-trainable weights."""
    return self._local.non_trainable

  def predict_on_batch(self, global_weights, local_weights, x,
                       training: bool = True):
    """The model output for `x`, given both sets of `ModelWeights`."""
    return self._predict_on_batch_fn(
        model_weights_lib.ModelWeights(*global_weights),
        model_weights_lib.ModelWeights(*local_weights), x, training)

  def forward_pass(self, global_weights, local_weights, batch,
                   training: bool = True) -> ReconstructionBatchOutput:
    """`ReconstructionBatchOutput(predictions, labels, num_examples)`.

    `num_examples` counts the rows of the batch; the algorithms mask
    padding rows themselves.
    """
    import jax.numpy as jnp
    from federax.learning.models import pure_model
    x, y = input_spec_lib.split_batch(batch)
    return ReconstructionBatchOutput(
        self.predict_on_batch(global_weights, local_weights, x, training), y,
        jnp.int32(pure_model.batch_size_of(x)))

  @classmethod
  def get_global_variables(cls, model) -> model_weights_lib.ModelWeights:
    """The initial global weights of `model`: what the server holds."""
    return model_weights_lib.ModelWeights(
        model.global_trainable_variables,
        model.global_non_trainable_variables)

  @classmethod
  def get_local_variables(cls, model) -> model_weights_lib.ModelWeights:
    """The initial local weights of `model`: where reconstruction starts."""
    return model_weights_lib.ModelWeights(
        model.local_trainable_variables, model.local_non_trainable_variables)

  @classmethod
  def has_only_global_variables(cls, model) -> bool:
    """Whether `model` has no local weight at all."""
    import jax
    return not jax.tree_util.tree_leaves(cls.get_local_variables(model))

  @classmethod
  def build_dataset_split_fn(cls, recon_epochs: int = 1,
                             recon_steps_max: int | None = None,
                             post_recon_epochs: int = 1,
                             post_recon_steps_max: int | None = None,
                             split_dataset: bool = False):
    """TFF's name for `reconstruction_split.build_dataset_split_fn`."""
    from federax.learning.models import reconstruction_split
    return reconstruction_split.build_dataset_split_fn(
        recon_epochs, recon_steps_max, post_recon_epochs,
        post_recon_steps_max, split_dataset)


def as_reconstruction_model(model_fn) -> ReconstructionModel:
  """A `ReconstructionModel`, or what a function of no argument returns.

  Example:
    >>> from federax.learning.models import reconstruction_model
    >>> reconstruction_model.as_reconstruction_model(3)
    Traceback (most recent call last):
      ...
    TypeError: model_fn: expected an fx.learning.models.ReconstructionModel or a function of no argument returning one, got int.
  """
  model = model_fn
  if not isinstance(model, ReconstructionModel) and callable(model):
    model = model()
  if not isinstance(model, ReconstructionModel):
    raise TypeError(f'model_fn: expected an fx.learning.models.'
                    f'ReconstructionModel or a function of no argument '
                    f'returning one, got {type(model).__name__}.')
  return model
