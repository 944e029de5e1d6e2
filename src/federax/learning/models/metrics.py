"""Metrics without Keras: per-example values averaged over real examples.

`build_mean_metrics_fns(name=fn, ...)` gives the `metrics_fns` triple of
`FunctionalModel` and `from_flax_module`,
`(initialize_metrics_state_fn, update_metrics_state_fn, finalize_metrics_fn)`,
for metrics that are means of a per-example value `fn(labels, predictions)`
(Keras' order: labels first). The state of each metric is
`{'total': float32, 'count': float32}`: summable across clients, and padding
(sample weight 0) never counts.
"""

from __future__ import annotations

from typing import Callable


def sparse_categorical_accuracy(labels, predictions):
  """1.0 where the highest-scoring class of `predictions` `[B, C]` is the label.

  Example:
    >>> import numpy as np
    >>> from federax.learning.models import metrics
    >>> metrics.sparse_categorical_accuracy(
    ...     np.array([1, 0]), np.array([[0.1, 0.9], [0.2, 0.8]])).tolist()
    [1.0, 0.0]
  """
  import jax.numpy as jnp
  predictions = jnp.asarray(predictions)
  labels = jnp.asarray(labels)
  if labels.shape != predictions.shape[:-1]:
    labels = labels.reshape(predictions.shape[:-1])
  hit = jnp.argmax(predictions, axis=-1) == labels.astype(jnp.int32)
  return hit.astype(jnp.float32)


def squared_error(labels, predictions):
  """The squared error per example, averaged over trailing dimensions.

  Predictions of shape `[B, 1]` match labels of shape `[B]`.

  Example:
    >>> import numpy as np
    >>> from federax.learning.models import metrics
    >>> metrics.squared_error(np.array([[0.0, 0.0], [1.0, 1.0]]),
    ...                       np.array([[1.0, 3.0], [1.0, 1.0]])).tolist()
    [5.0, 0.0]
  """
  import jax.numpy as jnp
  predictions = jnp.asarray(predictions, jnp.float32)
  labels = jnp.asarray(labels, jnp.float32)
  if (predictions.ndim == labels.ndim + 1 and predictions.shape[-1] == 1):
    predictions = predictions[..., 0]
  if predictions.shape != labels.shape:
    raise ValueError(
        f'predictions: expected the shape of labels {tuple(labels.shape)}, '
        f'got {tuple(predictions.shape)}. Make the model output one value '
        f'per label.')
  error = (predictions - labels) ** 2
  return error.reshape(error.shape[0], -1).mean(axis=1)


def _mean_state(values, sample_weight):
  """`(sum of weighted values, sum of weights)` of one batch."""
  import jax.numpy as jnp
  values = jnp.asarray(values, jnp.float32)
  values = values.reshape(values.shape[0], -1).mean(axis=1)
  if sample_weight is None:
    return jnp.sum(values), jnp.asarray(values.shape[0], jnp.float32)
  weight = jnp.asarray(sample_weight, jnp.float32).reshape(values.shape)
  return (jnp.sum(weight * jnp.where(weight != 0, values, 0.0)),
          jnp.sum(weight))


def build_mean_metrics_fns(**per_example_fns: Callable):
  """The `metrics_fns` triple for metrics that are means of per-example values.

  Each keyword names a metric and gives `fn(labels, predictions) -> [B]`
  (e.g. `sparse_categorical_accuracy`, `squared_error`).

  Example:
    >>> import numpy as np
    >>> from federax.learning import models
    >>> init, update, finalize = models.metrics.build_mean_metrics_fns(
    ...     accuracy=models.metrics.sparse_categorical_accuracy)
    >>> output = models.BatchOutput(
    ...     loss=0.0, num_examples=2,
    ...     predictions=np.array([[0.1, 0.9], [0.8, 0.2], [0.0, 1.0]]))
    >>> state = update(init(), np.array([1, 1, 0]), output,
    ...                sample_weight=np.array([1.0, 1.0, 0.0]))
    >>> {k: float(v) for k, v in finalize(state).items()}
    {'accuracy': 0.5}
  """
  for name, fn in per_example_fns.items():
    if not callable(fn):
      raise TypeError(
          f'build_mean_metrics_fns({name}=...): expected a function '
          f'fn(labels, predictions) -> per-example values, got '
          f'{type(fn).__name__}.')
  names = sorted(per_example_fns)

  def initialize_metrics_state_fn():
    import numpy as np
    return {name: {'count': np.zeros((), np.float32),
                   'total': np.zeros((), np.float32)} for name in names}

  def update_metrics_state_fn(state, labels, batch_output, sample_weight=None):
    new_state = {}
    for name in names:
      total, count = _mean_state(
          per_example_fns[name](labels, batch_output.predictions),
          sample_weight)
      new_state[name] = {'count': state[name]['count'] + count,
                         'total': state[name]['total'] + total}
    return new_state

  def finalize_metrics_fn(state):
    import jax.numpy as jnp
    result = {}
    for name in names:
      count = jnp.asarray(state[name]['count'], jnp.float32)
      total = jnp.asarray(state[name]['total'], jnp.float32)
      result[name] = jnp.where(count != 0,
                               total / jnp.where(count != 0, count, 1.0), 0.0)
    return result

  return initialize_metrics_state_fn, update_metrics_state_fn, (
      finalize_metrics_fn)
