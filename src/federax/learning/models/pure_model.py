"""`PureModel`: the `Model` every model kind is built on.

A model kind (functional, Keras, flax) gives four pure pieces:
`apply_fn(weights, x, training) -> (predictions, new_non_trainable,
extra_loss)`, `batch_loss_fn(predictions, y, sample_weight) -> loss` (the
mean over real examples), the metric state functions, and the initial
values; `PureModel` builds `forward_pass` and the metric methods from them.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from federax.learning.models import input_spec as input_spec_lib
from federax.learning.models import model as model_lib


def check_sample_weight(sample_weight, batch_size: int):
  """`sample_weight` as float32 `[batch_size]`, with a clear error if not.

  Example:
    >>> from federax.learning.models import pure_model
    >>> pure_model.check_sample_weight([1, 0], 2).dtype
    dtype('float32')
  """
  import jax.numpy as jnp
  weight = jnp.asarray(sample_weight, jnp.float32)
  if weight.shape != (batch_size,):
    raise ValueError(
        f'sample_weight: expected float32[{batch_size}] (one weight per row '
        f'of the batch), got shape {tuple(weight.shape)}. Pass a [B] mask of '
        f'1 (real example) and 0 (padding).')
  return weight


def batch_size_of(x) -> int:
  """The leading dimension of the first array in `x`.

  Example:
    >>> import numpy as np
    >>> from federax.learning.models import pure_model
    >>> pure_model.batch_size_of({'a': np.zeros([5, 2])})
    5
  """
  import jax
  leaves = jax.tree_util.tree_leaves(x)
  if not leaves or not getattr(leaves[0], 'shape', ()):
    raise ValueError(
        f'batch: expected arrays with a leading batch dimension in x, got '
        f'{x!r}.')
  return leaves[0].shape[0]


class PureModel(model_lib.Model):
  """A `Model` made of pure functions (see the module docstring).

  Example:
    >>> import numpy as np
    >>> from federax.learning.models import losses, pure_model
    >>> model = pure_model.PureModel(
    ...     trainable=[np.float32(2.0)], non_trainable=[],
    ...     apply_fn=lambda w, x, training: (x * w[0][0], w[1], 0.0),
    ...     batch_loss_fn=losses.mean_squared_error,
    ...     metrics_init_fn=dict, metrics_update_fn=lambda s, *a, **k: s,
    ...     finalizers={}, input_spec=((np.float32, [None]),
    ...                                (np.float32, [None])))
    >>> out, _ = model.forward_pass(model.initial_weights,
    ...                             (np.array([1.0]), np.array([2.0])))
    >>> float(out.loss)
    0.0
  """

  def __init__(self, *, trainable, non_trainable, apply_fn: Callable,
               batch_loss_fn: Callable, metrics_init_fn: Callable,
               metrics_update_fn: Callable,
               finalizers: Mapping[str, Callable] | Callable, input_spec):
    self._batch_type = input_spec_lib.to_batch_type(
        input_spec, f'{type(self).__name__}(input_spec)')
    self._input_spec = input_spec
    self._trainable = trainable
    self._non_trainable = non_trainable
    self._apply_fn = apply_fn
    self._batch_loss_fn = batch_loss_fn
    self._metrics_update_fn = metrics_update_fn
    self._finalizers = finalizers
    self._local_variables = metrics_init_fn()
    if not isinstance(self._local_variables, Mapping):
      raise TypeError(
          f'initialize_metrics_state_fn: expected a dict of metric name to '
          f'state, got {type(self._local_variables).__name__}. Return '
          f'{{"metric_name": state, ...}} ({{}} for no metrics).')

  @property
  def input_spec(self):
    return self._input_spec

  @property
  def trainable_variables(self):
    return self._trainable

  @property
  def non_trainable_variables(self):
    return self._non_trainable

  @property
  def local_variables(self):
    return self._local_variables

  def predict_on_batch(self, weights, x, training: bool = True):
    predictions, _, _ = self._apply_fn(_as_weights(weights), x, training)
    return predictions

  def forward_pass(self, weights, batch, training: bool = True,
                   sample_weight=None):
    import jax.numpy as jnp
    x, y = input_spec_lib.split_batch(batch)
    batch_size = batch_size_of(x)
    if sample_weight is not None:
      sample_weight = check_sample_weight(sample_weight, batch_size)
      num_examples = jnp.sum(sample_weight != 0).astype(jnp.int32)
    else:
      num_examples = jnp.asarray(batch_size, jnp.int32)
    predictions, new_non_trainable, extra_loss = self._apply_fn(
        _as_weights(weights), x, training)
    loss = self._batch_loss_fn(predictions, y, sample_weight)
    loss = jnp.asarray(loss, jnp.float32) + jnp.asarray(extra_loss,
                                                        jnp.float32)
    output = model_lib.BatchOutput(loss=loss, predictions=predictions,
                                   num_examples=num_examples)
    return output, new_non_trainable

  def update_local_metrics(self, local_variables, batch,
                           output: model_lib.BatchOutput,
                           sample_weight=None):
    _, y = input_spec_lib.split_batch(batch)
    if sample_weight is not None:
      sample_weight = check_sample_weight(
          sample_weight, batch_size_of(output.predictions))
    return self._metrics_update_fn(local_variables, y, output, sample_weight)

  def report_local_unfinalized_metrics(self, local_variables
                                       ) -> dict[str, Any]:
    return dict(local_variables)

  def metric_finalizers(self):
    return self._finalizers


def _as_weights(weights):
  """`weights` as `ModelWeights`, from any `(trainable, non_trainable)` pair."""
  from federax.learning.models import model_weights
  if isinstance(weights, model_weights.ModelWeights):
    return weights
  if hasattr(weights, 'trainable') and hasattr(weights, 'non_trainable'):
    return model_weights.ModelWeights(weights.trainable,
                                      weights.non_trainable)
  if isinstance(weights, (tuple, list)) and len(weights) == 2:
    return model_weights.ModelWeights(weights[0], weights[1])
  raise TypeError(
      f'weights: expected ModelWeights(trainable, non_trainable) or a '
      f'(trainable, non_trainable) pair, got {type(weights).__name__}. Use '
      f'ModelWeights.from_model(model) for the initial weights.')
