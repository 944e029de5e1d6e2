"""`Model`: the pure functional model every learning algorithm consumes.

TFF's `VariableModel` holds `tf.Variable`s and mutates them. A federax
`Model` holds only initial values; every method is a pure function of
pytrees (weights, metric state, a batch), so that it runs under `jax.jit`
and `jax.vmap` (one model per client) and differentiates with `jax.grad`.

Padding: client datasets are padded to a common shape, and a float32 `[B]`
`sample_weight` marks real examples (1) and padding (0). A model's loss is
the mean over real examples only and its metrics ignore padding, so a
padded batch gives exactly the loss, gradient and metrics of the unpadded
one.
"""

from __future__ import annotations

import abc
import inspect
from typing import Any, Callable, Mapping, NamedTuple


class BatchOutput(NamedTuple):
  """What `Model.forward_pass` computes for one batch.

  `loss` is a float32 scalar (the mean over real examples), `predictions`
  the model output for every row (padding included) and `num_examples` the
  int32 number of real examples.

  Example:
    >>> from federax.learning import models
    >>> models.BatchOutput(loss=0.5, predictions=None, num_examples=3).loss
    0.5
  """
  loss: Any
  predictions: Any
  num_examples: Any


class Model(abc.ABC):
  """A model as pure functions over pytrees (TFF's `VariableModel`).

  Subclasses implement the properties (initial values) and the pure
  methods below. `weights` arguments are `ModelWeights` (or any
  `(trainable, non_trainable)` pair); `batch` is structured as
  `input_spec` says; `training` must be a Python bool (it selects code, as
  Keras' and flax's do); `sample_weight` is a float32 `[B]` mask or None
  (every row is real). Usually made with `FunctionalModel`,
  `from_keras_model` or `from_flax_module`.

  Example:
    >>> import numpy as np
    >>> from federax.learning import models
    >>> model = models.FunctionalModel(
    ...     initial_weights=((np.ones([2], np.float32),), ()),
    ...     predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...     loss_fn=models.losses.mean_squared_error,
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> isinstance(model, models.Model)
    True
    >>> weights = models.ModelWeights.from_model(model)
    >>> x = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    >>> out, _ = model.forward_pass(weights, (x, np.array([3.0, 0.0])),
    ...                             sample_weight=np.array([1.0, 0.0]))
    >>> float(out.loss), int(out.num_examples)
    (0.0, 1)
  """

  @property
  @abc.abstractmethod
  def input_spec(self):
    """The spec of one batch: `(x, y)` or `{'x': ..., 'y': ...}`.

    Anything `fx.to_type` accepts; every leaf has a leading (usually
    `None`) batch dimension.
    """

  @property
  @abc.abstractmethod
  def trainable_variables(self):
    """A pytree of the initial values of the trainable weights."""

  @property
  @abc.abstractmethod
  def non_trainable_variables(self):
    """A pytree of the initial values of the non-trainable weights."""

  @property
  @abc.abstractmethod
  def local_variables(self):
    """A pytree of the initial metric state (the metric accumulators)."""

  @property
  def initial_weights(self):
    """`ModelWeights(trainable_variables, non_trainable_variables)`."""
    from federax.learning.models import model_weights
    return model_weights.ModelWeights.from_model(self)

  @abc.abstractmethod
  def predict_on_batch(self, weights, x, training: bool = True):
    """The model output for the input `x` of a batch."""

  @abc.abstractmethod
  def forward_pass(self, weights, batch, training: bool = True,
                   sample_weight=None) -> tuple[BatchOutput, Any]:
    """`(BatchOutput, new_non_trainable)` for one batch.

    `new_non_trainable` carries state a training step updates (e.g. batch
    normalization statistics); without such state it is
    `weights.non_trainable` unchanged.
    """

  @abc.abstractmethod
  def update_local_metrics(self, local_variables, batch, output: BatchOutput,
                           sample_weight=None):
    """The metric state after accumulating one batch (padding ignored)."""

  @abc.abstractmethod
  def report_local_unfinalized_metrics(self, local_variables
                                       ) -> dict[str, Any]:
    """The model's own metrics as `{name: state}`, summable over clients."""

  @abc.abstractmethod
  def metric_finalizers(self) -> Mapping[str, Callable] | Callable:
    """`{name: fn(unfinalized) -> value}`, or one fn of the whole dict."""


def finalize_metrics(model: Model, unfinalized: Mapping[str, Any]) -> dict:
  """Applies `model.metric_finalizers()` to (e.g. summed) unfinalized metrics.

  Works with both kinds of finalizers: a dict of one function per metric,
  or a single function of the whole dict (as TFF's functional models have).

  Example:
    >>> import numpy as np
    >>> from federax.learning import models
    >>> model = models.FunctionalModel(
    ...     initial_weights=((np.ones([2], np.float32),), ()),
    ...     predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...     loss_fn=models.losses.mean_squared_error,
    ...     metrics_fns=models.metrics.build_mean_metrics_fns(
    ...         mse=models.metrics.squared_error),
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> finalized = models.finalize_metrics(
    ...     model, {'mse': {'total': 6.0, 'count': 3.0}})
    >>> {name: float(value) for name, value in finalized.items()}
    {'mse': 2.0}
  """
  finalizers = model.metric_finalizers()
  if callable(finalizers):
    return dict(finalizers(unfinalized))
  missing = set(finalizers) - set(unfinalized)
  if missing:
    raise ValueError(
        f'finalize_metrics(unfinalized): no value for the metrics '
        f'{sorted(missing)}; got {sorted(unfinalized)}. Pass what '
        f'report_local_unfinalized_metrics returned.')
  return {name: fn(unfinalized[name]) for name, fn in finalizers.items()}


def as_model(model_or_fn) -> Model:
  """A `Model` from a `Model` or a zero-argument function returning one.

  TFF's learning algorithms take a `model_fn`; federax takes either.

  Example:
    >>> import numpy as np
    >>> from federax.learning import models
    >>> def model_fn():
    ...   return models.FunctionalModel(
    ...       initial_weights=((np.ones([2], np.float32),), ()),
    ...       predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...       loss_fn=models.losses.mean_squared_error,
    ...       input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> isinstance(models.as_model(model_fn), models.Model)
    True
    >>> models.as_model(3)
    Traceback (most recent call last):
      ...
    TypeError: model_fn: expected a federax Model or a function of no arguments returning one, got an int. Wrap Keras models with from_keras_model and flax modules with from_flax_module.
  """
  if isinstance(model_or_fn, Model):
    return model_or_fn
  hint = ('Wrap Keras models with from_keras_model and flax modules with '
          'from_flax_module.')
  if not callable(model_or_fn) or _is_foreign_model(model_or_fn):
    raise TypeError(
        f'model_fn: expected a federax Model or a function of no arguments '
        f'returning one, got {_a(model_or_fn)}. {hint}')
  try:
    sig = inspect.signature(model_or_fn)
  except (TypeError, ValueError):
    sig = None
  if sig is not None and any(
      p.default is p.empty and
      p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
      for p in sig.parameters.values()):
    raise TypeError(
        f'model_fn: expected a function of no arguments, got '
        f'{getattr(model_or_fn, "__name__", model_or_fn)!s}{sig}. Bind its '
        f'arguments first, e.g. functools.partial or a lambda.')
  model = model_or_fn()
  if not isinstance(model, Model):
    raise TypeError(
        f'model_fn: expected a function returning a federax Model, got one '
        f'returning {_a(model)}. {hint}')
  return model


def _is_foreign_model(obj) -> bool:
  """Keras models and flax modules are callable but are not model_fns."""
  for cls in type(obj).__mro__:
    if cls.__module__.split('.')[0] in ('keras', 'flax', 'tf_keras'):
      return True
  return False


def _a(obj) -> str:
  name = type(obj).__name__
  return f'{"an" if name[:1].lower() in "aeiou" else "a"} {name}'
