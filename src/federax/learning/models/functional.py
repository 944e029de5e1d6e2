"""`FunctionalModel`: a model from pure functions (TFF's `FunctionalModel`).

The signature is TFF's: `initial_weights` is a `(trainable, non_trainable)`
pair of pytrees, `predict_on_batch_fn(model_weights, x, training)` computes
the model output, `loss_fn(output, label, sample_weight=None)` the loss and
`metrics_fns` is `(initialize_metrics_state_fn, update_metrics_state_fn,
finalize_metrics_fn)`. Non-trainable weights pass through `forward_pass`
unchanged.

`loss_fn` must honour `sample_weight` (a `[B]` mask, 0 for padding) by
returning the mean over real examples; otherwise padded batches cannot be
masked, and `forward_pass` with a `sample_weight` raises a `TypeError`. The
helpers in `federax.learning.models.losses` do this, and
`losses.weighted_mean` turns any per-example loss into such a function.
Likewise `update_metrics_state_fn(state, labels, batch_output,
sample_weight=None)` must ignore rows of weight 0
(`metrics.build_mean_metrics_fns` does).
"""

from __future__ import annotations

import inspect
from typing import Callable

from federax.learning.models import pure_model


def sample_weight_style(fn: Callable, num_positional: int) -> str | None:
  """How `fn` takes a sample weight after `num_positional` arguments.

  'keyword' (a `sample_weight` parameter or `**kwargs`), 'positional' (the
  next positional parameter is named like `weight`/`mask`, or `*args`), or
  None (it cannot take one).

  Example:
    >>> from federax.learning.models import functional
    >>> functional.sample_weight_style(lambda out, label: 0.0, 2) is None
    True
    >>> functional.sample_weight_style(lambda o, l, sample_weight=None: 0, 2)
    'keyword'
  """
  try:
    params = list(inspect.signature(fn).parameters.values())
  except (TypeError, ValueError):
    return 'keyword'  # Builtins and the like: let the call decide.
  if any(p.kind == p.VAR_KEYWORD or (
      p.name == 'sample_weight' and p.kind != p.POSITIONAL_ONLY)
         for p in params):
    return 'keyword'
  positional = [p for p in params
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
  if len(positional) > num_positional and any(
      w in positional[num_positional].name for w in ('weight', 'mask')):
    return 'positional'
  if len(positional) <= num_positional and any(
      p.kind == p.VAR_POSITIONAL for p in params):
    return 'positional'
  return None


def _call_with_weight(fn, style, args, sample_weight):
  if style == 'keyword':
    return fn(*args, sample_weight=sample_weight)
  return fn(*args, sample_weight)


def _no_metrics():
  return (dict, lambda state, labels, batch_output, sample_weight=None: state,
          lambda state: {})


def _check_callable(fn, what: str, usage: str):
  if not callable(fn):
    raise TypeError(f'FunctionalModel({what}): expected a function {usage}, '
                    f'got {type(fn).__name__}.')


class FunctionalModel(pure_model.PureModel):
  """A `Model` from pure functions (TFF's `tff.learning.models.FunctionalModel`).

  Args:
    initial_weights: `(trainable, non_trainable)` pytrees of arrays (a
      tuple, list or `ModelWeights`).
    predict_on_batch_fn: `fn(model_weights, x, training) -> predictions`,
      with `model_weights` a `ModelWeights`.
    loss_fn: `fn(output, label, sample_weight=None) -> float32 scalar`, the
      mean over examples of nonzero `sample_weight`.
    metrics_fns: `(initialize_metrics_state_fn() -> {name: state},
      update_metrics_state_fn(state, labels, batch_output,
      sample_weight=None) -> state, finalize_metrics_fn(state) -> {name:
      value})`, or None for no metrics. See `metrics.build_mean_metrics_fns`.
    input_spec: the spec of one batch, `(x, y)` or `{'x': ..., 'y': ...}`,
      each leaf with a leading batch dimension.

  Example:
    >>> import numpy as np
    >>> from federax.learning import models
    >>> def predict_on_batch(model_weights, x, training=True):
    ...   (w, b), _ = model_weights
    ...   return x @ w + b
    >>> model = models.FunctionalModel(
    ...     initial_weights=((np.ones([2, 3], np.float32),
    ...                       np.zeros([3], np.float32)), ()),
    ...     predict_on_batch_fn=predict_on_batch,
    ...     loss_fn=models.losses.sparse_categorical_crossentropy,
    ...     metrics_fns=models.metrics.build_mean_metrics_fns(
    ...         accuracy=models.metrics.sparse_categorical_accuracy),
    ...     input_spec={'x': (np.float32, [None, 2]), 'y': (np.int32, [None])})
    >>> batch = {'x': np.ones([4, 2], np.float32), 'y': np.zeros([4], np.int32)}
    >>> out, _ = model.forward_pass(model.initial_weights, batch)
    >>> round(float(out.loss), 4), int(out.num_examples)
    (1.0986, 4)
  """

  def __init__(self, *, initial_weights, predict_on_batch_fn: Callable,
               loss_fn: Callable, metrics_fns=None, input_spec):
    if (not isinstance(initial_weights, (tuple, list)) or
        len(initial_weights) != 2):
      length = (f' of length {len(initial_weights)}'
                if hasattr(initial_weights, '__len__') else '')
      raise TypeError(
          f'FunctionalModel(initial_weights): expected a (trainable, '
          f'non_trainable) pair of pytrees, got '
          f'{type(initial_weights).__name__}{length}. Pass e.g. '
          f'((kernel, bias), ()).')
    _check_callable(predict_on_batch_fn, 'predict_on_batch_fn',
                    'fn(model_weights, x, training)')
    _check_callable(loss_fn, 'loss_fn', 'fn(output, label, sample_weight)')
    if metrics_fns is None:
      metrics_fns = _no_metrics()
    if (not isinstance(metrics_fns, (tuple, list)) or len(metrics_fns) != 3):
      raise TypeError(
          f'FunctionalModel(metrics_fns): expected a triple '
          f'(initialize_metrics_state_fn, update_metrics_state_fn, '
          f'finalize_metrics_fn), got {type(metrics_fns).__name__}. Build one '
          f'with metrics.build_mean_metrics_fns, or pass None.')
    init_fn, update_fn, finalize_fn = metrics_fns
    for fn, what in ((init_fn, 'initialize_metrics_state_fn'),
                     (update_fn, 'update_metrics_state_fn'),
                     (finalize_fn, 'finalize_metrics_fn')):
      _check_callable(fn, f'metrics_fns: {what}', 'of the metric state')
    self._predict_on_batch_fn = predict_on_batch_fn
    self._loss_fn = loss_fn
    self._loss_weight_style = sample_weight_style(loss_fn, 2)
    self._user_update_fn = update_fn
    self._update_weight_style = sample_weight_style(update_fn, 3)
    super().__init__(
        trainable=initial_weights[0], non_trainable=initial_weights[1],
        apply_fn=self._apply, batch_loss_fn=self._batch_loss,
        metrics_init_fn=init_fn, metrics_update_fn=self._update_metrics,
        finalizers=finalize_fn, input_spec=input_spec)

  def _apply(self, weights, x, training):
    predictions = self._predict_on_batch_fn(weights, x, training)
    return predictions, weights.non_trainable, 0.0

  def _batch_loss(self, predictions, y, sample_weight):
    if sample_weight is None:
      return self._loss_fn(predictions, y)
    if self._loss_weight_style is None:
      raise TypeError(
          f'FunctionalModel(loss_fn): {_name(self._loss_fn)} does not take '
          f'sample_weight, so padding rows of this batch cannot be masked. '
          f'Write loss_fn(output, label, sample_weight=None) returning the '
          f'mean over real examples, e.g. with '
          f'federax.learning.models.losses.weighted_mean.')
    return _call_with_weight(self._loss_fn, self._loss_weight_style,
                             (predictions, y), sample_weight)

  def _update_metrics(self, state, labels, batch_output, sample_weight):
    if sample_weight is None:
      return self._user_update_fn(state, labels, batch_output)
    if self._update_weight_style is None:
      raise TypeError(
          f'FunctionalModel(metrics_fns): {_name(self._user_update_fn)} does '
          f'not take sample_weight, so padding rows cannot be ignored. Write '
          f'update_metrics_state_fn(state, labels, batch_output, '
          f'sample_weight=None), or use metrics.build_mean_metrics_fns.')
    return _call_with_weight(self._user_update_fn, self._update_weight_style,
                             (state, labels, batch_output), sample_weight)


def _name(fn) -> str:
  return f'{getattr(fn, "__name__", type(fn).__name__)}'
