"""Histograms and quantiles: exact, secure, and private within bounds."""

import numpy as np
import pytest

import federax as fx
from federax import analytics

EDGES = np.linspace(0.0, 10.0, 41)     # 40 bins of width 0.25


def _clients(num_clients=10, seed=0):
  rng = np.random.default_rng(seed)
  return [rng.gamma(2.0, 1.5, size=rng.integers(20, 60)).astype(np.float32)
          for _ in range(num_clients)]


def _numpy_histogram(clients, max_values=None):
  values = np.concatenate([c[:max_values] for c in clients])
  return np.histogram(np.clip(values, EDGES[0], EDGES[-1]), EDGES)[0]


@pytest.fixture(scope='module')
def exact():
  return analytics.build_histogram_process(EDGES)


def test_histogram_is_exact(exact):
  clients = _clients()
  clients[0] = np.concatenate([clients[0], [-1.0, 10.0, 50.0, np.nan]]
                              ).astype(np.float32)
  output = exact.next(exact.initialize(), clients)
  assert output.result.dtype == np.int32
  np.testing.assert_array_equal(output.result, _numpy_histogram(clients))
  assert int(output.measurements['num_clients']) == 10


def test_secure_sum_and_value_cap():
  clients = _clients(seed=1)
  process = analytics.build_histogram_process(
      EDGES, max_values_per_client=25,
      aggregator=fx.aggregators.SecureSumFactory(2 ** 10 - 1))
  output = process.next(process.initialize(), clients)
  np.testing.assert_array_equal(output.result,
                                _numpy_histogram(clients, max_values=25))
  assert 'secure_upper_clipped_count' in str(output.measurements)


def test_private_histogram_noise_matches_its_scale():
  clients = _clients(num_clients=10, seed=2)
  z, m = 0.5, 30
  process = analytics.build_histogram_process(
      EDGES, max_values_per_client=m, noise_multiplier=z, noise_seed=3)
  state = process.initialize()
  truth = _numpy_histogram(clients, max_values=m)
  errors = []
  for _ in range(5):
    output = process.next(state, clients)
    state = output.state
    errors.append(np.asarray(output.result) - truth)
  errors = np.concatenate(errors) / (z * m)     # 200 standard normals
  assert output.result.dtype == np.float32
  assert abs(errors.mean()) < 0.3 and 0.8 < errors.std() < 1.2


def test_quantiles_within_a_bin_width():
  clients = _clients(seed=4)
  qs = [0.1, 0.25, 0.5, 0.75, 0.9]
  process = analytics.build_quantile_estimation_process(
      qs, lower=0.0, upper=10.0, num_bins=40)
  estimates = np.asarray(process.next(process.initialize(), clients).result)
  values = np.concatenate(clients)
  for q, estimate in zip(qs, estimates):
    # The estimate lies in the bin of an order statistic next to q n.
    rank = q * len(values)
    below = np.sort(values)[max(int(np.floor(rank)) - 1, 0)]
    above = np.sort(values)[min(int(np.ceil(rank)), len(values) - 1)]
    assert below - 0.25 <= estimate <= above + 0.25, (q, estimate)
  assert np.all(np.diff(estimates) >= 0)


def test_private_quantiles_stay_close():
  clients = _clients(num_clients=40, seed=5)
  process = analytics.build_quantile_estimation_process(
      [0.5], lower=0.0, upper=10.0, num_bins=20, max_values_per_client=20,
      noise_multiplier=0.1, noise_seed=0)
  median = float(process.next(process.initialize(), clients).result[0])
  truth = np.median(np.concatenate([c[:20] for c in clients]))
  assert abs(median - truth) < 0.5


def test_interpreter_agrees(exact):
  clients = [np.array([0.1, 9.9], np.float32), np.array([], np.float32)]
  with fx.backends.interpreter.interpreter_context():
    result = exact.next(exact.initialize(), clients).result
  np.testing.assert_array_equal(result, _numpy_histogram(clients))


@pytest.mark.parametrize('call, error, match', [
    (lambda: analytics.build_histogram_process([1.0]), ValueError,
     'bin_edges'),
    (lambda: analytics.build_histogram_process([0.0, 2.0, 1.0]), ValueError,
     'strictly increasing'),
    (lambda: analytics.build_histogram_process([0, 1], noise_multiplier=1.0),
     ValueError, 'max_values_per_client'),
    (lambda: analytics.build_histogram_process(
        [0, 1], aggregator=fx.aggregators.MeanFactory()), TypeError,
     'aggregator'),
    (lambda: analytics.build_histogram_process(
        [0, 1], max_values_per_client=2, noise_multiplier=1.0,
        aggregator=fx.aggregators.SumFactory()), ValueError,
     'aggregator: expected None'),
    (lambda: analytics.build_quantile_estimation_process([1.5], 0, 1),
     ValueError, 'quantiles'),
    (lambda: analytics.build_quantile_estimation_process([0.5], 1, 1),
     ValueError, 'upper'),
    (lambda: analytics.build_quantile_estimation_process(
        [0.5], 0, 1, num_bins=0), ValueError, 'num_bins'),
])
def test_argument_errors(call, error, match):
  with pytest.raises(error, match=match):
    call()
