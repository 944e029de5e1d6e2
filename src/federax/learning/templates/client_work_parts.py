"""Pieces shared by the client works (FedAvg's, FedSGD, Mime, SCAFFOLD, ...).

Small pure helpers: the types a client work is built for, the metrics
aggregation computation, per-client shuffling keys and the cleaning of
non-finite client values. Each client work file composes them.
"""

from __future__ import annotations

from federax.core import jax_support
from federax.core import type_conversions
from federax.core import types
from federax.learning import local_training
from federax.learning import metrics as metrics_lib
from federax.learning.models import input_spec as input_spec_lib
from federax.learning.models import model_weights as model_weights_lib


def model_types(model) -> tuple[types.Type, types.SequenceType]:
  """`(ModelWeights type, client data type)` of a model.

  Example:
    >>> import numpy as np, federax as fx
    >>> from federax.learning.templates import client_work_parts
    >>> model = fx.learning.models.FunctionalModel(
    ...     initial_weights=((np.zeros(2, np.float32),), ()),
    ...     predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...     loss_fn=fx.learning.models.mean_squared_error,
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> weights_t, data_t = client_work_parts.model_types(model)
    >>> print(weights_t, data_t)
    <trainable=<float32[2]>,non_trainable=<>> <float32[2],float32>*
  """
  return (type_conversions.infer_type(
      model_weights_lib.ModelWeights.from_model(model)),
          types.SequenceType(input_spec_lib.example_type(model)))


def metrics_aggregation(model, metrics_aggregator, metrics_type):
  """The computation `{unfinalized metrics}@CLIENTS -> metrics@SERVER`.

  Example:
    >>> import numpy as np, federax as fx
    >>> from federax.learning.templates import client_work_parts
    >>> model = fx.learning.models.FunctionalModel(
    ...     initial_weights=((np.zeros(2, np.float32),), ()),
    ...     predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...     loss_fn=fx.learning.models.mean_squared_error,
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> aggregate = client_work_parts.metrics_aggregation(
    ...     model, None, {'loss': (np.float32, [2]), 'num_examples': np.int32,
    ...                   'num_batches': np.int32})
    >>> float(aggregate([{'loss': [6.0, 3.0], 'num_examples': 3,
    ...                   'num_batches': 1}])['loss'])
    2.0
  """
  make = metrics_aggregator or metrics_lib.sum_then_finalize
  if not callable(make):
    raise TypeError(f'metrics_aggregator: expected a function (metric_'
                    f'finalizers, local_unfinalized_metrics_type) -> '
                    f'computation such as fx.learning.metrics.'
                    f'sum_then_finalize, got {type(make).__name__}.')
  return make(metrics_lib.finalizers_of(model), metrics_type)


def shuffle_key(spec, round_num, data):
  """The PRNG key with which one client shuffles its data in a round.

  The same key as FedAvg's client work, so algorithms that train like
  FedAvg see their examples in the same order.

  Example:
    >>> import jax, numpy as np, federax as fx
    >>> from federax.learning.templates import client_work_parts
    >>> @fx.jax_computation(fx.SequenceType(np.float32))
    ... def key_bits(data):
    ...   key = client_work_parts.shuffle_key(fx.learning.ClientSpec(), 0, data)
    ...   return jax.random.key_data(key)
    >>> key_bits([1.0, 2.0]).shape
    (2,)
  """
  stacked, length, _ = local_training.batching.examples(data)
  return local_training.client_key(spec.seed, round_num, stacked, length)


def clean(value, weight, *non_finite_flags):
  """`(value or zeros, weight or 0, flag)`: zeros when anything is not finite.

  `value` is zeroed (and the weight made 0) when it has a non-finite entry
  or when any of `non_finite_flags` (int32, 1 = non-finite) is set; the
  returned flag is 1 in that case.

  Example:
    >>> import numpy as np
    >>> from federax.learning.templates import client_work_parts
    >>> value, weight, flag = client_work_parts.clean(
    ...     np.array([1.0, np.nan]), np.float32(3.0))
    >>> value.tolist(), float(weight), int(flag)
    ([0.0, 0.0], 0.0, 1)
  """
  jnp = jax_support.jnp()
  value, flag = local_training.zero_if_non_finite(value)
  for other in non_finite_flags:
    flag = jnp.maximum(flag, jnp.asarray(other, jnp.int32))
  jax = jax_support.jax()
  value = jax.tree_util.tree_map(
      lambda x: jnp.where(flag > 0, jnp.zeros_like(x), x), value)
  weight = jnp.where(flag > 0, jnp.float32(0.0),
                     jnp.asarray(weight, jnp.float32))
  return value, weight, flag


def zeros_like_type(t: types.Type):
  """Zeros of a tensor or struct type, in the type's Python containers.

  Example:
    >>> import numpy as np, federax as fx
    >>> from federax.learning.templates import client_work_parts
    >>> client_work_parts.zeros_like_type(
    ...     fx.to_type({'a': (np.float32, [2])}))['a'].tolist()
    [0.0, 0.0]
  """
  return jax_support.internal_to_python(jax_support.zeros(t), t)
