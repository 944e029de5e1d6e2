"""`ModelWeights`: a model's trainable and non-trainable weights, a pytree."""

from __future__ import annotations

from typing import Any, NamedTuple


class ModelWeights(NamedTuple):
  """The weights of a model: `(trainable, non_trainable)` pytrees.

  A `NamedTuple`, so a JAX pytree and a federax struct type
  (`<trainable=...,non_trainable=...>`). Keras models keep both as lists of
  arrays in Keras' variable order.

  Example:
    >>> import numpy as np
    >>> from federax.learning import models
    >>> weights = models.ModelWeights(trainable=[np.zeros(2)],
    ...                               non_trainable=[])
    >>> import federax as fx
    >>> print(fx.infer_type(weights))
    <trainable=<float64[2]>,non_trainable=<>>
  """
  trainable: Any
  non_trainable: Any

  @classmethod
  def from_model(cls, model) -> 'ModelWeights':
    """The initial weights of a federax `Model`.

    Example:
      >>> import numpy as np
      >>> from federax.learning import models
      >>> model = models.FunctionalModel(
      ...     initial_weights=([np.ones(2, np.float32)], []),
      ...     predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
      ...     loss_fn=models.losses.mean_squared_error,
      ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
      >>> models.ModelWeights.from_model(model).trainable
      [array([1., 1.], dtype=float32)]
    """
    from federax.learning.models import model as model_lib
    if not isinstance(model, model_lib.Model):
      raise TypeError(
          f'ModelWeights.from_model(model): expected a federax Model, got '
          f'{type(model).__name__}. Wrap Keras models with from_keras_model '
          f'and flax modules with from_flax_module first.')
    return cls(model.trainable_variables, model.non_trainable_variables)

  def assign_weights_to(self, keras_model) -> None:
    """Writes these weights into a Keras model's variables (in Keras order).

    `keras_model` is a `keras.Model`, or a model from `from_keras_model`
    (its Keras model is updated). Use it to evaluate or export the result
    of federated training with Keras.

    Example:
      >>> import os; os.environ.setdefault('KERAS_BACKEND', 'jax')
      'jax'
      >>> import keras, numpy as np
      >>> from federax.learning import models
      >>> net = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
      >>> weights = models.ModelWeights(
      ...     [np.ones([2, 1], np.float32), np.zeros([1], np.float32)], [])
      >>> weights.assign_weights_to(net)
      >>> net.predict(np.array([[1.0, 2.0]]), verbose=0).tolist()
      [[3.0]]
    """
    keras_model = getattr(keras_model, 'keras_model', keras_model)
    if not (hasattr(keras_model, 'trainable_variables') and
            hasattr(keras_model, 'non_trainable_variables')):
      raise TypeError(
          f'assign_weights_to(keras_model): expected a keras.Model, got '
          f'{type(keras_model).__name__}.')
    for what, variables, values in (
        ('trainable', keras_model.trainable_variables, self.trainable),
        ('non_trainable', keras_model.non_trainable_variables,
         self.non_trainable)):
      values = list(values)
      if len(values) != len(variables):
        raise ValueError(
            f'assign_weights_to(keras_model): the model has {len(variables)} '
            f'{what} variables, the weights have {len(values)}. Use weights '
            f'of a model made by from_keras_model on the same architecture.')
      for variable, value in zip(variables, values):
        if tuple(variable.shape) != tuple(getattr(value, 'shape', ())):
          raise ValueError(
              f'assign_weights_to(keras_model): {what} variable '
              f'{variable.path} has shape {tuple(variable.shape)}, the '
              f'weight has shape {tuple(getattr(value, "shape", ()))}.')
        variable.assign(value)
