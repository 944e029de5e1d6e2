"""`from_keras_model`: a federax `Model` from a Keras 3 model (JAX backend).

Keras 3 on the JAX backend computes statelessly:
`keras_model.stateless_call(trainable, non_trainable, x, training=...)`
returns the output and the updated non-trainable variables (batch
normalization moving statistics, dropout seed state), and metrics have
`stateless_update_state`/`stateless_result`. The federax model wraps these:
weights are lists of arrays in Keras' variable order
(`keras_model.trainable_variables`, `keras_model.non_trainable_variables`),
the local variables are `{metric name: [metric variables]}` (summable
totals and counts) and each metric's finalizer is its `stateless_result`.

Padding: the loss is computed per example and averaged over real examples
(Keras' `'sum_over_batch_size'` would divide by the padded batch size), and
metrics get the mask as `sample_weight`. One exception: Keras'
`BatchNormalization` cannot be told which rows are padding, so in training
mode padded rows enter the batch statistics (the normalization and the
moving averages); results with BatchNormalization equal the unpadded batch
only when batches are not padded (e.g. batching with `drop_remainder`).
Evaluation (`training=False`) uses the moving statistics and is exact.
Regularization losses (`keras_model.losses`) are added to the loss, as in
TFF.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, Sequence

from federax.learning.models import losses as losses_lib
from federax.learning.models import pure_model


def import_keras():
  """Imports Keras on the JAX backend, or says how to get there.

  Example:
    >>> from federax.learning.models import keras_model
    >>> keras_model.import_keras().backend.backend()
    'jax'
  """
  if sys.modules.get('keras') is None:
    backend = os.environ.setdefault('KERAS_BACKEND', 'jax')
    if backend != 'jax':
      raise ValueError(
          f'from_keras_model: KERAS_BACKEND is {backend!r}; federax runs Keras '
          f'on the JAX backend. Set KERAS_BACKEND=jax before importing keras '
          f'(or unset it).')
    try:
      import keras
    except ImportError as e:
      raise ModuleNotFoundError(
          f'from_keras_model needs Keras 3 ({e}). Install it with '
          f'`pip install federax[keras]`.') from e
  keras = sys.modules['keras']
  version = getattr(keras, '__version__', '0')
  if int(version.split('.')[0]) < 3:
    raise ImportError(f'from_keras_model needs Keras 3, found keras '
                      f'{version}. Install it with `pip install federax[keras]`.')
  backend = keras.backend.backend()
  if backend != 'jax':
    raise ValueError(
        f'from_keras_model: keras was imported with the {backend!r} backend; '
        f'federax needs the JAX backend. Set KERAS_BACKEND=jax before '
        f'importing keras (e.g. os.environ["KERAS_BACKEND"] = "jax" at the '
        f'top of the program).')
  return keras


def _values(variables) -> list:
  return [getattr(v, 'value', v) for v in variables]


def _loss_function(keras, loss, what: str) -> Callable:
  """`fn(y_true, y_pred, sample_weight)` -> the masked loss of one output."""
  if isinstance(loss, str):
    loss = keras.losses.get(loss)
  if not callable(loss):
    raise TypeError(
        f'from_keras_model({what}): expected a Keras loss (a '
        f'keras.losses.Loss, a loss function or its name), got '
        f'{type(loss).__name__}.')
  is_object = isinstance(loss, keras.losses.Loss)
  reduction = loss.reduction if is_object else 'sum_over_batch_size'

  def fn(y_true, y_pred, sample_weight):
    import jax.numpy as jnp
    if is_object:
      convert = lambda v: keras.ops.convert_to_tensor(v, dtype=loss.dtype)
      values = loss.call(convert(y_true), convert(y_pred))
    else:
      values = loss(y_true, y_pred)
    values = jnp.asarray(values, jnp.float32)
    if values.ndim == 0:
      raise ValueError(
          f'from_keras_model({what}): the loss returned a scalar; federax '
          f'needs one loss per example to mask padding. Pass a '
          f'keras.losses.Loss object or a function returning [B] values.')
    if reduction == 'sum':
      weight = 1.0 if sample_weight is None else sample_weight.reshape(
          (-1,) + (1,) * (values.ndim - 1))
      return jnp.sum(jnp.where(weight != 0, values, 0.0) * weight)
    return losses_lib.weighted_mean(values, sample_weight)

  return fn


def _batch_loss_fn(keras, loss, loss_weights) -> Callable:
  if isinstance(loss, (list, tuple)):
    fns = [_loss_function(keras, l, f'loss[{i}]') for i, l in enumerate(loss)]
    weights = [1.0] * len(fns) if loss_weights is None else list(loss_weights)
    if len(weights) != len(fns):
      raise ValueError(
          f'from_keras_model(loss_weights): expected one weight per loss '
          f'({len(fns)}), got {len(weights)}.')

    def multi(predictions, y, sample_weight):
      if len(predictions) != len(fns) or len(y) != len(fns):
        raise ValueError(
            f'from_keras_model(loss): {len(fns)} losses need {len(fns)} model '
            f'outputs and labels, got {len(predictions)} and {len(y)}.')
      return sum(w * f(t, p, sample_weight)
                 for f, w, t, p in zip(fns, weights, y, predictions))
    return multi
  if loss_weights is not None:
    raise ValueError('from_keras_model(loss_weights): given with a single '
                     'loss; pass a list of losses, one per output, or no '
                     'loss_weights.')
  fn = _loss_function(keras, loss, 'loss')
  return lambda predictions, y, sample_weight: fn(y, predictions,
                                                  sample_weight)


def _metric_objects(keras, metrics) -> list:
  result = []
  for i, m in enumerate(metrics or []):
    if not isinstance(m, keras.metrics.Metric) and callable(m):
      m = m()  # A constructor, as TFF also accepts.
    if not isinstance(m, keras.metrics.Metric):
      raise TypeError(
          f'from_keras_model(metrics[{i}]): expected a keras.metrics.Metric '
          f'(or a function of no arguments returning one), got '
          f'{type(m).__name__}. E.g. keras.metrics.SparseCategoricalAccuracy().')
    result.append(m)
  names = [m.name for m in result]
  duplicates = sorted({n for n in names if names.count(n) > 1})
  if duplicates:
    raise ValueError(f'from_keras_model(metrics): duplicate metric names '
                     f'{duplicates}; give each metric a distinct name=.')
  return result


class KerasModel(pure_model.PureModel):
  """A federax `Model` around a Keras model; made by `from_keras_model`.

  `keras_model` is the wrapped Keras model (its variables are never
  changed by federax; see `ModelWeights.assign_weights_to`).

  Example:
    >>> import os; os.environ.setdefault('KERAS_BACKEND', 'jax')
    'jax'
    >>> import keras, numpy as np
    >>> from federax.learning import models
    >>> net = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> model = models.from_keras_model(
    ...     net, 'mean_squared_error',
    ...     ((np.float32, [None, 2]), (np.float32, [None])))
    >>> model.keras_model is net
    True
  """

  def __init__(self, keras, keras_model, loss, input_spec, metrics,
               loss_weights):
    self.keras_model = keras_model
    self._metrics = _metric_objects(keras, metrics)
    metric_map = {m.name: m for m in self._metrics}

    def apply_fn(weights, x, training):
      outputs, non_trainable, reg_losses = keras_model.stateless_call(
          list(weights.trainable), list(weights.non_trainable), x,
          training=training, return_losses=True)
      extra_loss = sum(reg_losses) if reg_losses else 0.0
      return outputs, _values(non_trainable), extra_loss

    def update_fn(state, labels, batch_output, sample_weight):
      return {name: _values(metric_map[name].stateless_update_state(
          list(state[name]), labels, batch_output.predictions,
          sample_weight=sample_weight)) for name in state}

    super().__init__(
        trainable=_values(keras_model.trainable_variables),
        non_trainable=_values(keras_model.non_trainable_variables),
        apply_fn=apply_fn,
        batch_loss_fn=_batch_loss_fn(keras, loss, loss_weights),
        metrics_init_fn=lambda: {
            m.name: _values(m.stateless_reset_state()) for m in self._metrics},
        metrics_update_fn=update_fn,
        finalizers={
            name: (lambda v, m=m: m.stateless_result(list(v)))
            for name, m in metric_map.items()},
        input_spec=input_spec)


def from_keras_model(keras_model, loss, input_spec,
                     metrics: Sequence[Any] | None = None,
                     loss_weights: Sequence[float] | None = None
                     ) -> KerasModel:
  """A federax `Model` from a Keras 3 model (TFF's `from_keras_model`).

  Args:
    keras_model: a built `keras.Model` (not compiled; federax trains it).
    loss: a `keras.losses.Loss`, a Keras loss function or its name, or a
      list of these, one per output of a multi-output model.
    input_spec: the spec of one batch, `(x, y)` or `{'x': ..., 'y': ...}`,
      each leaf with a leading batch dimension.
    metrics: `keras.metrics.Metric` objects (or functions returning them).
    loss_weights: with a list of losses, the weight of each.

  Example:
    >>> import os; os.environ.setdefault('KERAS_BACKEND', 'jax')
    'jax'
    >>> import keras, numpy as np
    >>> from federax.learning import models
    >>> net = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3)])
    >>> model = models.from_keras_model(
    ...     net, keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    ...     input_spec=((np.float32, [None, 2]), (np.int32, [None])),
    ...     metrics=[keras.metrics.SparseCategoricalAccuracy()])
    >>> [w.shape for w in model.trainable_variables]
    [(2, 3), (3,)]
    >>> batch = (np.zeros([4, 2], np.float32), np.zeros([4], np.int32))
    >>> out, _ = model.forward_pass(model.initial_weights, batch)
    >>> round(float(out.loss), 4)
    1.0986
  """
  keras = import_keras()
  if not isinstance(keras_model, keras.Model):
    raise TypeError(f'from_keras_model(keras_model): expected a keras.Model, '
                    f'got {type(keras_model).__name__}.')
  if not keras_model.built:
    raise ValueError(
        'from_keras_model(keras_model): the model is not built, so it has no '
        'weights yet. Give it an input shape (keras.Input(shape) as its first '
        'layer) or call keras_model.build(input_shape) first.')
  return KerasModel(keras, keras_model, loss, input_spec, metrics,
                    loss_weights)
