"""`clipping_factory` and `zeroing_factory`: fixed and adaptive norms."""

import collections
import math

import jax
import numpy as np
import pytest

import federax as fx

OD = collections.OrderedDict
F32 = fx.TensorType(np.float32)
VEC = fx.TensorType(np.float32, [2])
INTERPRETER = fx.backends.interpreter.create_interpreter_context()
VALUES = [[3.0, 4.0], [0.3, 0.4], [0.0, -2.0]]  # Norms 5, 0.5 and 2.


def clip(v, norm):
  v = np.asarray(v, np.float32)
  n = np.linalg.norm(v)
  return v * min(1.0, norm / n)


def run_both(process, *args):
  """`next` on both backends; they must agree. Returns the JAX output."""
  output = process.next(process.initialize(), *args)
  with fx.framework.install_context(INTERPRETER):
    reference = process.next(process.initialize(), *args)
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-6),
               output.result, reference.result)
  assert str(output.measurements) == str(reference.measurements)
  return output


def test_clipping_sum_and_measurements():
  process = fx.aggregators.clipping_factory(
      1.0, fx.aggregators.SumFactory()).create(VEC)
  assert not process.is_weighted
  output = run_both(process, VALUES)
  np.testing.assert_allclose(output.result,
                             sum(clip(v, 1.0) for v in VALUES), rtol=1e-6)
  assert output.measurements == OD(clipping=(), clipping_norm=1.0,
                                   clipped_count=2)
  assert output.state == OD(clipping_norm=(), inner_agg=(),
                            clipped_count_agg=())


def test_types_follow_tff():
  process = fx.aggregators.clipping_factory(
      2.0, fx.aggregators.MeanFactory()).create(VEC, F32)
  assert str(process.next.type_signature) == (
      '(<state=<clipping_norm=<>,inner_agg=<value_sum_process=<>,'
      'weight_sum_process=<>>,clipped_count_agg=<>>@SERVER,'
      'value={float32[2]}@CLIENTS,weight={float32}@CLIENTS> -> '
      '<state=<clipping_norm=<>,inner_agg=<value_sum_process=<>,'
      'weight_sum_process=<>>,clipped_count_agg=<>>@SERVER,'
      'result=float32[2]@SERVER,measurements=<clipping=<mean_value=<>,'
      'mean_weight=<>>,clipping_norm=float32,clipped_count=int32>@SERVER>)')


def test_weighted_clipping_of_structs_uses_the_global_norm():
  value_type = OD(w=(np.float32, [2]), b=np.float32)
  process = fx.aggregators.clipping_factory(
      1.0, fx.aggregators.MeanFactory()).create(value_type, F32)
  assert process.is_weighted
  values = [OD(w=[3.0, 0.0], b=4.0), OD(w=[0.1, 0.0], b=0.0)]
  output = run_both(process, values, [1.0, 3.0])
  np.testing.assert_allclose(output.result['w'], [(0.6 + 0.3) / 4, 0.0],
                             rtol=1e-6)
  np.testing.assert_allclose(output.result['b'], 0.8 / 4, rtol=1e-6)
  assert int(output.measurements['clipped_count']) == 1


@pytest.mark.parametrize('order,zeroed', [(1.0, 2), (2.0, 1), (math.inf, 1)])
def test_zeroing_orders(order, zeroed):
  # L1 norms 7, 0.7, 2; L2 5, 0.5, 2; Linf 4, 0.4, 2. Norm 1.9 < 2 < 7.
  process = fx.aggregators.zeroing_factory(
      2.0 if order != 1.0 else 1.9, fx.aggregators.SumFactory(),
      norm_order=order).create(VEC)
  output = process.next(process.initialize(), VALUES)
  kept = [v for v, n in zip(VALUES, [(7, 5, 4), (0.7, .5, .4), (2, 2, 2)])
          if n[[1.0, 2.0, math.inf].index(order)] <= (
              2.0 if order != 1.0 else 1.9)]
  np.testing.assert_allclose(output.result, np.sum(kept, 0), rtol=1e-6)
  assert output.measurements == OD(
      zeroing=(), zeroing_norm=2.0 if order != 1.0 else 1.9,
      zeroed_count=zeroed)
  assert list(output.state) == ['zeroing_norm', 'inner_agg',
                                'zeroed_count_agg']


def test_zeroing_keeps_weights_and_zeroes_non_finite_values():
  process = fx.aggregators.zeroing_factory(
      10.0, fx.aggregators.MeanFactory()).create(F32, F32)
  output = run_both(process, [2.0, 100.0, np.nan], [1.0, 1.0, 2.0])
  assert float(output.result) == pytest.approx(0.5)  # 2 / (1 + 1 + 2)
  assert int(output.measurements['zeroed_count']) == 2


def test_adaptive_norm_follows_its_estimation_process():
  norm = fx.aggregators.PrivateQuantileEstimationProcess.no_noise(
      initial_estimate=1.0, target_quantile=0.5, learning_rate=0.5)
  process = fx.aggregators.clipping_factory(
      norm, fx.aggregators.UnweightedMeanFactory()).create(F32)
  values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]  # Median 4.
  state, norms = process.initialize(), []
  for _ in range(25):
    output = process.next(state, values)
    state = output.state
    norms.append(float(output.measurements['clipping_norm']))
    expected = np.mean(np.minimum(values, norms[-1]))
    assert float(output.result) == pytest.approx(expected, rel=1e-5)
  # Round 1: 1 of 7 values is at most 1.0, so the norm grows by
  # exp(0.5 * (0.5 - 1/7)).
  assert norms[0] == 1.0
  assert norms[1] == pytest.approx(math.exp(0.5 * (0.5 - 1 / 7)), rel=1e-6)
  assert 3.5 < norms[-1] < 4.6
  following = process.next(state, values).measurements['clipping_norm']
  assert float(norm.report(state['clipping_norm'])) == float(following)


def test_zeroing_norm_with_affine_report():
  # Reports 2 * C + 1, C the median: zeroes only values far above it.
  norm = fx.aggregators.PrivateQuantileEstimationProcess.no_noise(
      initial_estimate=1.0, target_quantile=0.5, learning_rate=0.2,
      multiplier=2.0, increment=1.0)
  process = fx.aggregators.zeroing_factory(
      norm, fx.aggregators.SumFactory()).create(F32)
  output = process.next(process.initialize(), [1.0, 2.0, 4.0])
  assert float(output.measurements['zeroing_norm']) == 3.0
  assert float(output.result) == 3.0


def test_custom_count_sum_factory():
  class DoubleCount(fx.aggregators.UnweightedAggregationFactory):
    def create(self, value_type):
      double = fx.jax_computation(lambda c: 2 * c, value_type)
      init = fx.federated_computation(
          lambda: fx.federated_value((), fx.SERVER))

      @fx.federated_computation(init.type_signature.result,
                                fx.type_at_clients(value_type))
      def next_fn(state, value):
        return fx.templates.MeasuredProcessOutput(
            state, fx.federated_map(double, fx.federated_sum(value)), state)
      return fx.templates.AggregationProcess(init, next_fn)

  process = fx.aggregators.clipping_factory(
      1.0, fx.aggregators.SumFactory(), DoubleCount()).create(VEC)
  assert int(process.next(process.initialize(), VALUES).measurements[
      'clipped_count']) == 4


@pytest.mark.parametrize('norm,error,message', [
    ('1.0', TypeError, r"clipping_factory: clipping_norm: expected a float > "
     r"0 or an fx.templates.EstimationProcess .*got str '1.0'"),
    (True, TypeError, 'got bool True'),
    (0.0, ValueError, r'clipping_norm: expected a finite float > 0, got 0.0'),
    (-1, ValueError, 'expected a finite float > 0, got -1.0'),
    (math.nan, ValueError, 'got nan'),
])
def test_bad_norms(norm, error, message):
  with pytest.raises(error, match=message):
    fx.aggregators.clipping_factory(norm, fx.aggregators.SumFactory())


def test_bad_arguments():
  with pytest.raises(TypeError, match=r'zeroing_factory: inner_agg_factory: '
                     r'expected an aggregation factory .*got the class '
                     r'MeanFactory \(call it: MeanFactory\(...\)\)'):
    fx.aggregators.zeroing_factory(1.0, fx.aggregators.MeanFactory)
  with pytest.raises(ValueError, match=r'zeroing_factory: norm_order: '
                     r'expected 1.0, 2.0 or math.inf, got 3'):
    fx.aggregators.zeroing_factory(1.0, fx.aggregators.SumFactory(), 3)
  with pytest.raises(TypeError, match=r'clipping_factory: '
                     r'clipped_count_sum_factory: expected an unweighted'):
    fx.aggregators.clipping_factory(1.0, fx.aggregators.SumFactory(),
                                    fx.aggregators.MeanFactory())
  with pytest.raises(TypeError, match=r'clipping_factory\(...\).create: '
                     r'value_type: expected floating-point tensors'):
    fx.aggregators.clipping_factory(
        1.0, fx.aggregators.SumFactory()).create(np.int32)


def test_norm_process_with_wrong_report_type():
  init = fx.federated_computation(
      lambda: fx.federated_value(np.int32(3), fx.SERVER))
  next_fn = fx.federated_computation(lambda s, norms: s,
                                     init.type_signature.result,
                                     fx.type_at_clients(np.float32))
  report = fx.jax_computation(lambda s: s, np.int32)
  process = fx.templates.EstimationProcess(init, next_fn, report)
  with pytest.raises(TypeError, match=r'clipping_norm: its report must give '
                     r'the norm as float32@SERVER, got int32@SERVER'):
    fx.aggregators.clipping_factory(process, fx.aggregators.SumFactory())
