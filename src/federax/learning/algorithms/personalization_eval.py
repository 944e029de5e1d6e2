"""Personalization evaluation (TFF's `build_personalization_eval_computation`).

The server sends the global model to each client. A client holds two
sequences of examples, `train_data` and `test_data`; it evaluates the
global model on its test data (the baseline) and, for each named
personalization strategy, fine-tunes the global model on its train data
and evaluates the result on its test data. The server receives the
per-client metrics of a uniform sample of at most `max_num_clients`
clients, and the mean of every metric over all clients.
"""

from __future__ import annotations

import collections
from typing import Mapping

import numpy as np

from federax.core import aggregation_intrinsics
from federax.core import dtypes as dtypes_lib
from federax.core import federated_computation
from federax.core import intrinsics
from federax.core import jax_computation
from federax.core import jax_support
from federax.core import types
from federax.learning import builders
from federax.learning.metrics import metric_types
from federax.learning.metrics import sampling
from federax.learning.models import input_spec as input_spec_lib
from federax.learning.models import model as model_lib
from federax.learning.models import model_weights as model_weights_lib
from federax.learning.templates import client_work_parts

BASELINE = 'baseline_metrics'
MEAN = 'mean'
RESERVED = (BASELINE, sampling.NUM_SAMPLES, MEAN)
_WHO = 'build_personalization_eval_computation'


def _strategies(personalize_fn_dict) -> collections.OrderedDict:
  """The strategies by name, checked; TFF's no-arg builders are called."""
  if not isinstance(personalize_fn_dict, Mapping):
    raise TypeError(f'{_WHO}: personalize_fn_dict: expected a dict of '
                    f'strategy name to fn(model, weights, train_data, '
                    f'test_data), got {type(personalize_fn_dict).__name__}.')
  strategies = collections.OrderedDict()
  for name, fn in personalize_fn_dict.items():
    if not isinstance(name, str):
      raise TypeError(f'{_WHO}: personalize_fn_dict: expected str strategy '
                      f'names, got {name!r}.')
    if name in RESERVED:
      raise ValueError(f'{_WHO}: personalize_fn_dict: {name!r} names a part '
                       f'of the result {list(RESERVED)}; rename the '
                       f'strategy.')
    if callable(fn) and builders.is_builder(fn):
      fn = fn()
    if not callable(fn):
      raise TypeError(f'{_WHO}: personalize_fn_dict[{name!r}]: expected '
                      f'fn(model, weights, train_data, test_data) -> '
                      f'metrics, or a function of no argument returning '
                      f'one, got {type(fn).__name__}.')
    strategies[name] = fn
  return strategies


def _check_metrics(metrics_t: types.Type):
  """Every metric a numeric tensor of known shape; names say which."""
  for path, leaf in metric_types.leaf_types(metrics_t):
    ok = (isinstance(leaf, types.TensorType) and leaf.is_fully_defined() and
          (dtypes_lib.is_floating(leaf.dtype) or
           dtypes_lib.is_integer(leaf.dtype)))
    if not ok or len(path) < 2:
      where = '/'.join(map(str, path))
      raise TypeError(f'{_WHO}: the metrics of {path[0]!r} at {where}: '
                      f'expected a dict of metric name to a numeric tensor '
                      f'of known shape, got {leaf}. Return e.g. '
                      f'{{"accuracy": float32}}.')


def _client_input_type(model) -> types.StructType:
  examples = types.SequenceType(input_spec_lib.example_type(model))
  return types.StructType([('train_data', examples),
                           ('test_data', examples)], collections.OrderedDict)


def build_personalization_eval_computation(model_fn, personalize_fn_dict,
                                           baseline_evaluate_fn,
                                           max_num_clients: int = 100, *,
                                           seed: int = 0):
  """A computation evaluating personalization strategies on clients.

  Its type is `(<model_weights@SERVER, {<train_data=T*,test_data=T*>}@CLIENTS>
  -> metrics@SERVER)`, `T` the model's example type: each client's input
  holds its train and test examples (pass a list with one dict per
  client, each split as stacked arrays, a list of examples or a dataset).

  On each client, `baseline_evaluate_fn(model, weights, test_data)`
  evaluates the global weights, and each `personalize_fn_dict[name](model,
  weights, train_data, test_data)` personalizes them (e.g. fine-tunes on
  the train data) and evaluates the result. These are pure JAX functions
  of a federax `Model`, `ModelWeights` and `fx.Sequence`s of examples,
  returning a dict of named scalars (or nested dicts);
  `build_evaluate_fn` and `build_finetune_eval_fn` make common ones. As
  in TFF, a value of `personalize_fn_dict` may instead be a function of
  no argument returning the strategy.

  The result is a dict: `baseline_metrics` and each strategy's name map
  to the metrics of a uniform sample of at most `max_num_clients` clients,
  each metric with a leading axis of `max_num_clients` rows (row `i` of
  every metric from the same client; rows from `num_samples` on are
  padding), as `fx.learning.metrics.finalize_then_sample` (seeded by
  `seed`) gives them; `num_samples` counts the sampled clients; `mean`
  holds the mean of every metric over all clients (each client counting
  equally), as float32.

  Example:
    >>> import numpy as np, federax as fx
    >>> model = fx.learning.models.FunctionalModel(
    ...     initial_weights=((np.zeros(1, np.float32),), ()),
    ...     predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...     loss_fn=fx.learning.models.mean_squared_error,
    ...     input_spec=((np.float32, [None, 1]), (np.float32, [None])))
    >>> algorithms = fx.learning.algorithms
    >>> evaluation = algorithms.build_personalization_eval_computation(
    ...     model, {'sgd': algorithms.build_finetune_eval_fn(
    ...         fx.learning.optimizers.build_sgdm(0.5),
    ...         fx.learning.ClientSpec(num_epochs=5, batch_size=4))},
    ...     algorithms.build_evaluate_fn(), max_num_clients=2)
    >>> x = np.ones((4, 1), np.float32)
    >>> clients = [{'train_data': (x, c * x[:, 0]),
    ...             'test_data': (x, c * x[:, 0])} for c in (1.0, 2.0, 3.0)]
    >>> metrics = evaluation(fx.learning.models.ModelWeights.from_model(model),
    ...                      clients)
    >>> int(metrics['num_samples']), metrics['sgd']['loss'].shape
    (2, (2,))
    >>> mean = metrics['mean']
    >>> round(float(mean['baseline_metrics']['loss']), 3)  # (1 + 4 + 9) / 3
    4.667
    >>> round(float(mean['sgd']['loss']), 3)
    0.0
  """
  model = model_lib.as_model(model_fn)
  strategies = _strategies(personalize_fn_dict)
  if not callable(baseline_evaluate_fn):
    raise TypeError(f'{_WHO}: baseline_evaluate_fn: expected fn(model, '
                    f'weights, test_data) -> metrics, e.g. fx.learning.'
                    f'algorithms.build_evaluate_fn(), got '
                    f'{type(baseline_evaluate_fn).__name__}.')
  if not isinstance(max_num_clients, (int, np.integer)) or isinstance(
      max_num_clients, bool):
    raise TypeError(f'{_WHO}: max_num_clients: expected a positive int, got '
                    f'{type(max_num_clients).__name__}.')
  if max_num_clients <= 0:
    raise ValueError(f'{_WHO}: max_num_clients: expected a positive int, got '
                     f'{max_num_clients}.')
  weights_t = client_work_parts.model_types(model)[0]
  input_t = _client_input_type(model)

  @jax_computation.jax_computation(weights_t, input_t)
  def client_eval(weights, client_input):
    weights = model_weights_lib.ModelWeights(*weights)
    metrics = collections.OrderedDict()
    metrics[BASELINE] = baseline_evaluate_fn(model, weights,
                                             client_input['test_data'])
    for name, fn in strategies.items():
      metrics[name] = fn(model, weights, client_input['train_data'],
                         client_input['test_data'])
    return metrics

  metrics_t = client_eval.type_signature.result
  _check_metrics(metrics_t)
  sample = sampling.finalize_then_sample(lambda m: m, metrics_t,
                                         int(max_num_clients), seed=seed)

  @jax_computation.jax_computation(metrics_t)
  def as_float(metrics):
    jax, jnp = jax_support.jax(), jax_support.jnp()
    return jax.tree_util.tree_map(lambda v: jnp.asarray(v, jnp.float32),
                                  metrics)

  sampled_t = sample.type_signature.result.member
  mean_t = as_float.type_signature.result

  @jax_computation.jax_computation(sampled_t, mean_t)
  def combine(sampled, mean):
    result = collections.OrderedDict(sampled)
    result[MEAN] = mean
    return result

  @federated_computation.federated_computation(
      types.type_at_server(weights_t), types.type_at_clients(input_t))
  def personalization_eval(server_model_weights, federated_client_input):
    weights = intrinsics.federated_broadcast(server_model_weights)
    metrics = intrinsics.federated_map(
        client_eval, [weights, federated_client_input])
    means = aggregation_intrinsics.federated_mean(
        intrinsics.federated_map(as_float, metrics))
    return intrinsics.federated_map(combine, [sample(metrics), means])

  return personalization_eval
