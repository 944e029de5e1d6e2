"""Federated k-means: TFF's update rule, cluster recovery, parts, errors."""

import itertools

import numpy as np
import pytest

import federax as fx
from federax.learning.algorithms import kmeans_clustering


def _blobs(means, per_client, clusters_per_client, seed=0, stddev=0.3):
  """Non-IID clients: client i holds points of `clusters_per_client`
  consecutive clusters (starting at cluster i mod k)."""
  rng = np.random.default_rng(seed)
  means = np.asarray(means, np.float32)
  clients = []
  for i, n in enumerate(per_client):
    which = [(i + j) % len(means) for j in range(clusters_per_client)]
    labels = rng.choice(which, size=n)
    points = means[labels] + stddev * rng.normal(size=(n, means.shape[1]))
    clients.append(points.astype(np.float32))
  return clients


def _numpy_round(centers, weights, clients):
  """One round of federated mini-batch k-means, by hand."""
  k = len(centers)
  sums, counts = np.zeros_like(centers), np.zeros(k, np.int64)
  for points in clients:
    for p in points:
      j = int(np.argmin(((centers - p) ** 2).reshape(k, -1).sum(1)))
      sums[j] += p
      counts[j] += 1
  total = weights + counts
  new = centers.copy()
  for j in range(k):
    if counts[j]:
      new[j] = (weights[j] * centers[j] + sums[j]) / total[j]
  return new, total


def _match_up_to_permutation(found, expected):
  """The largest distance between matched centers, best permutation."""
  return min(max(np.linalg.norm(found[list(perm)] - expected, axis=1))
             for perm in itertools.permutations(range(len(expected))))


def test_rounds_follow_tffs_weighted_update():
  clients = _blobs([[0, 0], [3, 3], [-3, 2]], [5, 9, 2, 7], 2, seed=1,
                   stddev=1.0)
  process = fx.learning.algorithms.build_fed_kmeans(3, (2,), random_seed=5)
  state = process.initialize()
  centers = np.asarray(process.get_model_weights(state))
  weights = np.ones(3, np.int64)
  for _ in range(3):
    state, metrics = process.next(state, clients)
    centers, weights = _numpy_round(centers, weights, clients)
    np.testing.assert_allclose(process.get_model_weights(state), centers,
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(state.finalizer, weights)
    assert int(metrics['client_work']['num_examples']) == 23


def test_recovers_well_separated_clusters():
  means = np.array([[6, 6], [-6, 6], [0, -7], [8, -4]], np.float32)
  clients = _blobs(means, [30, 45, 20, 60, 35, 25, 50, 40], 2, seed=2)
  # Each of the first four (non-IID) clients proposes one of its points.
  initial = np.stack([clients[i][0] for i in range(4)])
  process = fx.learning.algorithms.build_fed_kmeans(
      4, (2,), initial_centers=initial)
  state = process.initialize()
  for _ in range(10):
    state, _ = process.next(state, clients)
  found = np.asarray(process.get_model_weights(state))
  # Early misassignments fade as 1 / rounds (the weights accumulate).
  assert _match_up_to_permutation(found, means) < 0.3
  # Every point counted once per round, on top of the pseudo-counts.
  assert int(np.sum(state.finalizer)) == 4 + 10 * 305


def test_seeded_initialization_is_deterministic_and_normal():
  def initial(seed):
    return kmeans_clustering._initial_centers_fn((500, 3), seed, None)()
  a, b, c = initial((1, 2)), initial((1, 2)), initial(7)
  np.testing.assert_array_equal(a, b)
  assert not np.array_equal(a, c)
  assert a.shape == (500, 3) and abs(float(np.std(a)) - 1.0) < 0.1
  process = fx.learning.algorithms.build_fed_kmeans(2, 4)  # OS-drawn seed
  assert process.initialize().global_model_weights.shape == (2, 4)


def test_set_model_weights_and_images_as_points():
  process = fx.learning.algorithms.build_fed_kmeans(2, (2, 2), random_seed=0)
  state = process.initialize()
  centers = np.stack([np.zeros((2, 2)), np.ones((2, 2))]).astype(np.float32)
  state = process.set_model_weights(state, centers)
  points = np.stack([np.full((2, 2), 0.2), np.full((2, 2), 0.8),
                     np.full((2, 2), 1.2)]).astype(np.float32)
  state, _ = process.next(state, [points[:1], points[1:]])
  found = np.asarray(process.get_model_weights(state))
  np.testing.assert_allclose(found[0], 0.1, rtol=1e-6)      # (0 + .2) / 2
  np.testing.assert_allclose(found[1], 1.0, rtol=1e-6)      # (1 + 2) / 3


def test_custom_distance_changes_assignments():
  def l_inf(centers, point):
    import jax.numpy as jnp
    return jnp.max(jnp.abs(centers - point), axis=1)
  # (1, 1) is nearer (2.3, 1) in L2, nearer (0, 0) in L-infinity.
  points = [np.array([[1.0, 1.0]], np.float32)]
  initial = [[0.0, 0.0], [2.3, 1.0]]
  for distance, moved in ((None, 1), (l_inf, 0)):
    process = fx.learning.algorithms.build_fed_kmeans(
        2, (2,), initial_centers=initial, distance_fn=distance)
    state, _ = process.next(process.initialize(), points)
    assert state.finalizer.tolist()[moved] == 2


def test_interpreter_agrees():
  clients = _blobs([[0, 0], [4, 4]], [3, 5], 1, seed=3)
  process = fx.learning.algorithms.build_fed_kmeans(2, (2,), random_seed=1)
  expected, _ = process.next(process.initialize(), clients)
  with fx.backends.interpreter.interpreter_context():
    got, _ = process.next(process.initialize(), clients)
  np.testing.assert_allclose(got.global_model_weights,
                             expected.global_model_weights, rtol=1e-6)


def test_update_centers_keeps_unvisited_centers():
  centers, weights = kmeans_clustering.update_centers(
      np.array([[1.0, 1.0], [5.0, 5.0]], np.float32), np.array([4, 2]),
      np.array([[0.0, 0.0], [9.0, 9.0]], np.float32), np.array([0, 1]))
  np.testing.assert_allclose(centers, [[1, 1], [19 / 3, 19 / 3]], rtol=1e-6)
  assert weights.tolist() == [4, 3]


@pytest.mark.parametrize('kwargs, error, match', [
    (dict(num_clusters=0, data_shape=(2,)), ValueError, 'num_clusters'),
    (dict(num_clusters=2.0, data_shape=(2,)), TypeError, 'num_clusters'),
    (dict(num_clusters=2, data_shape=(2, -1)), TypeError, 'data_shape'),
    (dict(num_clusters=2, data_shape=(2,), random_seed='x'), TypeError,
     'random_seed'),
    (dict(num_clusters=2, data_shape=(2,), initial_centers=np.zeros((3, 2))),
     ValueError, r'initial_centers: expected float32\[2, 2\]'),
    (dict(num_clusters=2, data_shape=(2,),
          sum_aggregator=fx.aggregators.MeanFactory()), TypeError,
     'sum_aggregator'),
    (dict(num_clusters=2, data_shape=(2,), distance_fn=3), TypeError,
     'distance_fn'),
])
def test_argument_errors(kwargs, error, match):
  with pytest.raises(error, match=match):
    fx.learning.algorithms.build_fed_kmeans(**kwargs)
