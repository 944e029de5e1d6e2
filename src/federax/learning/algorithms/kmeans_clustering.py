"""Federated mini-batch k-means (Sculley, 2010), TFF's `build_fed_kmeans`.

Each round the clients assign their points to the nearest center and send,
per cluster, the sum of the points and their number; the server merges the
sums into the centers with running weights: a center that has absorbed `w`
points so far and receives `n` new ones with sum `s` becomes
`(w * center + s) / (w + n)`, and its weight `w + n`. Conceptually the
mini-batch of a round is the union of the clients' points.
"""

from __future__ import annotations

import collections
import numbers
import secrets

import numpy as np

from federax.aggregators import factory as factory_lib
from federax.aggregators import sum_factory
from federax.core import aggregation_intrinsics
from federax.core import federated_computation
from federax.core import intrinsics
from federax.core import jax_computation
from federax.core import placements
from federax.core import types
from federax.learning import batching
from federax.learning.algorithms import common
from federax.learning.templates import client_works
from federax.learning.templates import composers
from federax.learning.templates import finalizers
from federax.templates import measured_process

WHO = 'build_fed_kmeans'


def squared_euclidean(centers, point):
  """`||center_j - point||^2` for every center: the default `distance_fn`.

  Example:
    >>> import numpy as np
    >>> from federax.learning.algorithms import kmeans_clustering
    >>> centers = np.array([[0.0, 0.0], [3.0, 4.0]], np.float32)
    >>> kmeans_clustering.squared_euclidean(centers, np.zeros(2)).tolist()
    [0.0, 25.0]
  """
  import jax.numpy as jnp
  diff = jnp.asarray(centers) - jnp.asarray(point)
  return jnp.sum(diff.reshape(diff.shape[0], -1) ** 2, axis=1)


def _check_args(num_clusters, data_shape, random_seed, initial_centers):
  if isinstance(num_clusters, bool) or not isinstance(num_clusters,
                                                      numbers.Integral):
    raise TypeError(f'{WHO}: num_clusters: expected an int, got '
                    f'{type(num_clusters).__name__} {num_clusters!r}.')
  if num_clusters < 1:
    raise ValueError(f'{WHO}: num_clusters: expected an int >= 1, got '
                     f'{num_clusters}.')
  if isinstance(data_shape, numbers.Integral):
    data_shape = (data_shape,)
  if not isinstance(data_shape, (tuple, list)) or not all(
      isinstance(d, numbers.Integral) and not isinstance(d, bool) and d > 0
      for d in data_shape):
    raise TypeError(f'{WHO}: data_shape: expected a tuple of positive ints '
                    f'(the shape of one point, e.g. (2,)), got '
                    f'{data_shape!r}.')
  data_shape = tuple(int(d) for d in data_shape)
  if random_seed is None:
    random_seed = secrets.randbits(31)
  seed = np.asarray(random_seed)
  if seed.dtype.kind not in 'iu' or seed.shape not in ((), (2,)):
    raise TypeError(f'{WHO}: random_seed: expected an int or a pair of ints '
                    f'(TFF\'s form), got {random_seed!r}.')
  shape = (int(num_clusters),) + data_shape
  if initial_centers is not None:
    initial_centers = np.asarray(initial_centers, np.float32)
    if initial_centers.shape != shape:
      raise ValueError(f'{WHO}: initial_centers: expected float32{list(shape)}'
                       f' (num_clusters x data_shape), got '
                       f'float32{list(initial_centers.shape)}.')
  return shape, seed, initial_centers


def _initial_centers_fn(shape, seed, initial_centers):
  """A computation returning the initial centers: given, or N(0, 1) draws."""
  if initial_centers is not None:
    return jax_computation.jax_computation(lambda: initial_centers)
  words = [int(s) & 0xFFFFFFFF for s in np.ravel(seed)]

  def initialize_centers():
    import jax
    import jax.numpy as jnp
    key = jax.random.key(words[0])
    for word in words[1:]:
      key = jax.random.fold_in(key, word)
    return jax.random.normal(key, shape, jnp.float32)

  return jax_computation.jax_computation(initialize_centers)


def _client_work(centers_type, data_type, distance_fn):
  """Clients send `(cluster sums, cluster counts)`; measured: examples."""
  num_clusters = centers_type.shape[0]

  @jax_computation.jax_computation(centers_type, data_type)
  def client_update(centers, data):
    import jax
    import jax.numpy as jnp
    points, length, size = batching.examples(data)
    mask = jnp.arange(size) < length
    distances = jax.vmap(lambda p: distance_fn(centers, p))(points)
    nearest = jnp.argmin(distances, axis=1)
    onehot = jax.nn.one_hot(nearest, num_clusters, dtype=jnp.float32)
    onehot = onehot * mask[:, None]
    sums = onehot.T @ points.reshape(size, -1).astype(jnp.float32)
    counts = jnp.sum(onehot, axis=0).astype(jnp.int32)
    return collections.OrderedDict(
        result=client_works.ClientResult(
            update=(sums.reshape(centers.shape), counts),
            update_weight=length.astype(jnp.float32)),
        num_examples=length.astype(jnp.int32))

  @federated_computation.federated_computation()
  def init_fn():
    return intrinsics.federated_value((), placements.SERVER)

  @federated_computation.federated_computation(
      init_fn.type_signature.result, types.type_at_clients(centers_type),
      types.type_at_clients(data_type))
  def next_fn(state, centers, client_data):
    outputs = intrinsics.federated_map(client_update, [centers, client_data])
    measurements = intrinsics.federated_zip(collections.OrderedDict(
        num_examples=aggregation_intrinsics.federated_sum(
            outputs.num_examples)))
    return measured_process.MeasuredProcessOutput(
        state=state, result=outputs.result, measurements=measurements)

  return client_works.ClientWorkProcess(init_fn, next_fn)


def update_centers(centers, weights, cluster_sums, cluster_counts):
  """`(new centers, new weights)`: TFF's weighted running average.

  A center with weight `w` that receives `n > 0` points summing to `s`
  becomes `(w * center + s) / (w + n)`; a center that receives none stays.

  Example:
    >>> import numpy as np
    >>> from federax.learning.algorithms import kmeans_clustering
    >>> centers, weights = kmeans_clustering.update_centers(
    ...     np.array([[0.0], [10.0]], np.float32), np.array([1, 3]),
    ...     np.array([[6.0], [0.0]], np.float32), np.array([2, 0]))
    >>> centers.ravel().tolist(), weights.tolist()
    ([2.0, 10.0], [3, 3])
  """
  import jax.numpy as jnp
  centers = jnp.asarray(centers, jnp.float32)
  total = jnp.asarray(weights) + jnp.asarray(cluster_counts)
  old = jnp.asarray(weights).astype(jnp.float32)
  denominator = jnp.maximum(total.astype(jnp.float32), 1.0)
  shape = (-1,) + (1,) * (centers.ndim - 1)
  received = (jnp.asarray(cluster_counts) > 0).reshape(shape)
  merged = ((old / denominator).reshape(shape) * centers +
            jnp.asarray(cluster_sums, jnp.float32) /
            denominator.reshape(shape))
  return jnp.where(received, merged, centers), total


def _finalizer(centers_type):
  """The server merges the summed updates into the centers (state: weights)."""
  num_clusters = centers_type.shape[0]
  weights_type = types.TensorType(np.int32, [num_clusters])

  @federated_computation.federated_computation()
  def init_fn():
    # TFF's pseudo-count of 1 per center.
    return intrinsics.federated_value(np.ones(num_clusters, np.int32),
                                      placements.SERVER)

  server_update = jax_computation.jax_computation(
      update_centers, centers_type, weights_type, centers_type, weights_type)

  @federated_computation.federated_computation(
      init_fn.type_signature.result, types.type_at_server(centers_type),
      types.type_at_server(types.StructType([centers_type, weights_type])))
  def next_fn(state, centers, summed):
    new_centers_and_weights = intrinsics.federated_map(
        server_update, [centers, state, summed[0], summed[1]])
    return measured_process.MeasuredProcessOutput(
        state=new_centers_and_weights[1], result=new_centers_and_weights[0],
        measurements=intrinsics.federated_value((), placements.SERVER))

  return finalizers.FinalizerProcess(init_fn, next_fn)


def build_fed_kmeans(num_clusters: int, data_shape, random_seed=None,
                     distributor=None, sum_aggregator=None, *,
                     distance_fn=None, initial_centers=None):
  """A `LearningProcess` for federated mini-batch k-means clustering.

  The client data is `{float32[data_shape]*}@CLIENTS`: each client's points
  (pass a list with one `float32[n_i, *data_shape]` array per client). Each
  round every client assigns its points to the nearest center (by
  `distance_fn(centers, point) -> float32[num_clusters]`, the squared
  Euclidean distance by default) and sends the per-cluster sums of its
  points and their counts; `sum_aggregator` (an unweighted factory,
  `fx.aggregators.SumFactory()` by default) adds them up, and the server
  moves each center to the weighted average of where it was (weighted by
  the points it has absorbed so far, starting from TFF's pseudo-count 1)
  and the new points (`update_centers`). The counts are in
  `state.finalizer`; `get_model_weights(state)` are the centers,
  `float32[num_clusters, *data_shape]`.

  The initial centers are N(0, 1) draws seeded by `random_seed` (an int or
  TFF's pair of ints; drawn from the operating system when None), or
  `initial_centers` when given (a federax addition); `set_model_weights`
  replaces the centers of a state.

  Example:
    >>> import numpy as np, federax as fx
    >>> process = fx.learning.algorithms.build_fed_kmeans(
    ...     2, (1,), initial_centers=[[-1.0], [1.0]])
    >>> clients = [np.array([[-5.0], [-3.0]], np.float32),
    ...            np.array([[4.0], [6.0], [5.0]], np.float32)]
    >>> state, metrics = process.next(process.initialize(), clients)
    >>> process.get_model_weights(state).ravel().tolist()  # (-1 - 8) / 3
    [-3.0, 4.0]
    >>> int(metrics['client_work']['num_examples'])
    5
  """
  shape, seed, initial = _check_args(num_clusters, data_shape, random_seed,
                                     initial_centers)
  if distance_fn is None:
    distance_fn = squared_euclidean
  elif not callable(distance_fn):
    raise TypeError(f'{WHO}: distance_fn: expected a function (centers, '
                    f'point) -> float32[num_clusters], got '
                    f'{type(distance_fn).__name__}.')
  centers_type = types.TensorType(np.float32, list(shape))
  counts_type = types.TensorType(np.int32, [shape[0]])
  data_type = types.SequenceType(types.TensorType(np.float32,
                                                  list(shape[1:])))
  if sum_aggregator is None:
    sum_aggregator = sum_factory.SumFactory()
  if not isinstance(sum_aggregator, factory_lib.UnweightedAggregationFactory):
    raise TypeError(f'{WHO}: sum_aggregator: expected an unweighted '
                    f'aggregation factory (e.g. fx.aggregators.SumFactory()),'
                    f' got {type(sum_aggregator).__name__}.')
  aggregator = sum_aggregator.create(
      types.StructType([centers_type, counts_type]))
  return composers.compose_learning_process(
      _initial_centers_fn(shape, seed, initial),
      common.distributor(distributor, centers_type),
      _client_work(centers_type, data_type, distance_fn), aggregator,
      _finalizer(centers_type))
