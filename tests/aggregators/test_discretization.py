"""Stochastic and deterministic discretization: unbiased, bounded, seeded."""

import collections
import functools

import numpy as np
import pytest

import federax as fx

OD = collections.OrderedDict
VALUE_TYPE = OD(a=(np.float32, [400]), b=(np.float32, [2, 100]))
STEP = 0.5


def _value(rng, scale=3.0):
  return OD(a=rng.uniform(-scale, scale, 400).astype(np.float32),
            b=rng.uniform(-scale, scale, (2, 100)).astype(np.float32))


def _flat(v):
  return np.concatenate([np.ravel(v['a']), np.ravel(v['b'])])


@functools.cache
def stochastic():
  return fx.aggregators.StochasticDiscretizationFactory(
      fx.aggregators.SumFactory(), step_size=STEP, seed=3).create(VALUE_TYPE)


@functools.cache
def deterministic():
  return fx.aggregators.DeterministicDiscretizationFactory(
      fx.aggregators.SumFactory(), step_size=STEP,
      distortion_aggregation_factory=fx.aggregators.UnweightedMeanFactory()
  ).create(fx.TensorType(np.float32, [600]))


def _pair(x):
  """Two clients: `x`, and `x` but for one coordinate (own noise each)."""
  y = OD(a=x['a'].copy(), b=x['b'])
  y['a'][0] += 1.0
  return [x, y]


def test_stochastic_rounding_is_unbiased_over_rounds():
  process = stochastic()
  x = _value(np.random.default_rng(0))
  values = _pair(x)
  state, results, rounds = process.initialize(), [], 60
  for _ in range(rounds):
    output = process.next(state, values)
    state = output.state
    results.append(_flat(output.result)[1:])
  results, target = np.stack(results), 2 * _flat(x)[1:]
  # Each client's draw is one of the two grid points around its value.
  assert np.all(np.abs(results - target) < 2 * STEP + 1e-5)
  frac = target / 2 / STEP - np.floor(target / 2 / STEP)
  std_error = STEP * np.sqrt(2 * frac * (1 - frac) / rounds) + 1e-6
  z = (results.mean(0) - target) / std_error
  assert np.all(np.abs(z) < 5.5)
  # Pooled over all coordinates the mean error is within 4 standard errors.
  pooled = STEP * np.sqrt(2 * np.sum(frac * (1 - frac)) / rounds) / target.size
  assert abs((results.mean(0) - target).mean()) < 4 * pooled + 1e-6


def test_clients_draw_independent_noise():
  quarter = OD(a=np.full(400, 0.25, np.float32),
               b=np.full((2, 100), 0.25, np.float32))
  result = stochastic().next(stochastic().initialize(), _pair(quarter)).result
  errors = _flat(result)[1:] - 0.5
  # Each client rounds 0.25 to 0 or 0.5 with even odds. Shared noise would
  # give sums of 0 or 1 only; independent noise gives 0.5 half the time.
  assert set(np.round(errors, 6).tolist()) <= {-0.5, 0.0, 0.5}
  assert 0.4 < np.mean(errors == 0.0) < 0.6


def test_rounds_are_reproducible_and_fresh():
  process = stochastic()
  x = _pair(_value(np.random.default_rng(1)))
  first = process.next(process.initialize(), x)
  again = process.next(process.initialize(), x)
  second = process.next(first.state, x)
  assert np.array_equal(_flat(first.result), _flat(again.result))
  assert not np.array_equal(_flat(first.result), _flat(second.result))
  assert str(process.state_type) == (
      '<step_size=float32,inner_agg_process=<>,key=uint32[2]>@SERVER')
  assert first.measurements['stochastic_discretization'] == ()
  assert float(first.measurements['bits_per_client']) == 32 * 600
  assert float(first.measurements['compression_ratio']) == 1.0


def test_interpreter_agrees_with_jax_backend():
  process = stochastic()
  rng = np.random.default_rng(2)
  values = [_value(rng), _value(rng)]
  expected = process.next(process.initialize(), values)
  with fx.framework.install_context(
      fx.backends.interpreter.create_interpreter_context()):
    got = process.next(process.initialize(), values)
  np.testing.assert_array_equal(_flat(got.result), _flat(expected.result))
  np.testing.assert_array_equal(got.state['key'], expected.state['key'])


def test_deterministic_error_is_at_most_half_a_step():
  process = deterministic()
  rng = np.random.default_rng(3)
  values = [rng.uniform(-5, 5, 600).astype(np.float32) for _ in range(3)]
  state = process.initialize()
  for v in values:
    output = process.next(state, [v])
    assert np.max(np.abs(output.result - v)) <= STEP / 2 + 1e-6
  output = process.next(state, values)
  assert np.max(np.abs(output.result - sum(values))) <= 3 * STEP / 2 + 1e-5
  expected = np.mean([np.mean((np.round(v / STEP) * STEP - v)**2)
                      for v in values])
  assert float(output.measurements['distortion']) == pytest.approx(
      expected, rel=1e-4)
  assert str(process.state_type) == (
      '<step_size=float32,inner_agg_process=<>>@SERVER')
  assert list(output.measurements) == [
      'deterministic_discretization', 'distortion', 'bits_per_client',
      'compression_ratio']


def test_conditional_rounding_bounds_the_norm():
  process = fx.aggregators.StochasticDiscretizationFactory(
      fx.aggregators.SumFactory(), step_size=1.0, beta=0.01).create(
          fx.TensorType(np.float32, [256]))
  x = np.random.default_rng(4).uniform(-2, 2, 256).astype(np.float32)
  bound = fx.aggregators.compression.rounding.inflated_norm_bound(
      np.linalg.norm(x), 256, 0.01)
  state = process.initialize()
  for _ in range(5):
    output = process.next(state, [x])
    state = output.state
    assert np.linalg.norm(output.result) <= float(bound) + 1e-4
    assert np.all(np.abs(output.result - x) < 1.0 + 1e-6)


def test_with_modular_clipping_inside():
  process = fx.aggregators.DeterministicDiscretizationFactory(
      fx.aggregators.ModularClippingSumFactory(-128, 128), step_size=0.1
  ).create(fx.TensorType(np.float32, [3]))
  output = process.next(process.initialize(), [[1.0, -2.0, 0.5],
                                               [2.0, 1.0, -0.3]])
  np.testing.assert_allclose(output.result, [3.0, -1.0, 0.2], atol=1e-5)
  inner = output.measurements['deterministic_discretization']
  assert float(inner['bits_per_client']) == 8 * 3
