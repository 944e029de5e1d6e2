"""Loss functions that honour padding, for `FunctionalModel` and flax models.

Each takes `(predictions, labels, sample_weight=None)`, the order of
`FunctionalModel`'s `loss_fn(output, label, sample_weight)`, and returns the
float32 mean over the examples whose `sample_weight` is nonzero (a weighted
mean for other weights), so that a padded batch gives exactly the loss and
gradient of the unpadded one. `weighted_mean` turns any per-example loss
into such a function.
"""

from __future__ import annotations


def _per_example(values):
  """`[B, ...]` values as float32 `[B]`: the mean over trailing dimensions."""
  import jax.numpy as jnp
  values = jnp.asarray(values, jnp.float32)
  if values.ndim == 0:
    raise ValueError(
        f'values: expected one value per example (shape [B, ...]), got a '
        f'scalar {values.shape}. Compute the loss per example, without '
        f'reducing over the batch.')
  return values.reshape(values.shape[0], -1).mean(axis=1)


def weighted_mean(values, sample_weight=None):
  """The mean of per-example `values` `[B, ...]` over real examples.

  `sample_weight` is a `[B]` mask (1 real, 0 padding) or weights; None
  weighs every row 1. Trailing dimensions are averaged first (Keras'
  `sum_over_batch_size`). Padded rows never contribute, even when their
  values are not finite. A batch without weight gives 0.

  Example:
    >>> import numpy as np
    >>> from federax.learning.models import losses
    >>> float(losses.weighted_mean(np.array([1.0, 3.0, np.inf]),
    ...                            np.array([1.0, 1.0, 0.0])))
    2.0
  """
  import jax.numpy as jnp
  values = _per_example(values)
  if sample_weight is None:
    return values.mean()
  weight = jnp.asarray(sample_weight, jnp.float32)
  if weight.shape != values.shape:
    raise ValueError(
        f'sample_weight: expected float32[{values.shape[0]}] (one weight per '
        f'example), got shape {tuple(weight.shape)}. Pass a [B] mask of 1 '
        f'(real example) and 0 (padding).')
  total = jnp.sum(weight * jnp.where(weight != 0, values, 0.0))
  count = jnp.sum(weight)
  safe = jnp.where(count != 0, count, 1.0)
  return jnp.where(count != 0, total / safe, 0.0)


def sparse_categorical_crossentropy(predictions, labels, sample_weight=None,
                                    from_logits: bool = True):
  """Cross-entropy of integer `labels` `[B]` and class scores `[B, C]`.

  `from_logits=False` takes probabilities (clipped away from 0, as Keras
  does) instead of logits.

  Example:
    >>> import numpy as np
    >>> from federax.learning.models import losses
    >>> logits = np.array([[0.0, 0.0], [10.0, -10.0]], np.float32)
    >>> round(float(losses.sparse_categorical_crossentropy(
    ...     logits, np.array([1, 0]), np.array([1.0, 0.0]))), 4)
    0.6931
  """
  import jax
  import jax.numpy as jnp
  predictions = jnp.asarray(predictions)
  labels = jnp.asarray(labels).astype(jnp.int32)
  if labels.shape != predictions.shape[:-1]:
    labels = labels.reshape(predictions.shape[:-1])
  if from_logits:
    log_p = jax.nn.log_softmax(predictions.astype(jnp.float32), axis=-1)
  else:
    p = predictions.astype(jnp.float32)
    p = p / jnp.sum(p, axis=-1, keepdims=True)
    log_p = jnp.log(jnp.clip(p, 1e-7, 1.0 - 1e-7))
  values = -jnp.take_along_axis(log_p, labels[..., None], axis=-1)[..., 0]
  return weighted_mean(values, sample_weight)


def mean_squared_error(predictions, labels, sample_weight=None):
  """The mean squared error of `predictions` and `labels` (same shape).

  Predictions of shape `[B, 1]` match labels of shape `[B]`.

  Example:
    >>> import numpy as np
    >>> from federax.learning.models import losses
    >>> float(losses.mean_squared_error(np.array([1.0, 2.0, 5.0]),
    ...                                 np.array([0.0, 0.0, 0.0]),
    ...                                 np.array([1.0, 1.0, 0.0])))
    2.5
  """
  from federax.learning.models import metrics
  return weighted_mean(metrics.squared_error(labels, predictions),
                       sample_weight)
