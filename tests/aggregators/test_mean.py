"""`MeanFactory` (weighted) and `UnweightedMeanFactory`."""

import collections

import numpy as np
import pytest

import federax as fx
from federax.aggregators import sum_factory

OD = collections.OrderedDict
MPO = fx.templates.MeasuredProcessOutput
CONTEXTS = {
    'jax': fx.backends.jax.create_jax_context(),
    'jax_chunk2': fx.backends.jax.create_jax_context(chunk_size=2),
    'interpreter': fx.backends.interpreter.create_interpreter_context(),
}
F32 = fx.TensorType(np.float32)


@pytest.fixture(params=sorted(CONTEXTS))
def backend(request):
  with fx.framework.install_context(CONTEXTS[request.param]):
    yield request.param


class CountingSumFactory(fx.aggregators.UnweightedAggregationFactory):
  """A sum whose state counts its rounds and reports the count."""

  def create(self, value_type):
    add_one = fx.jax_computation(lambda c: c + 1, np.int32)
    init = fx.federated_computation(
        lambda: fx.federated_value(np.int32(0), fx.SERVER))

    @fx.federated_computation(init.type_signature.result,
                              fx.type_at_clients(value_type))
    def next_fn(calls, value):
      calls = fx.federated_map(add_one, calls)
      return MPO(calls, fx.federated_sum(value), calls)

    return fx.templates.AggregationProcess(init, next_fn)


def test_weighted_mean(backend):
  process = fx.aggregators.MeanFactory().create(F32, F32)
  assert process.is_weighted
  output = process.next(process.initialize(), [1.0, 4.0, -2.0],
                        [3.0, 1.0, 0.5])
  assert float(output.result) == pytest.approx((3 + 4 - 1) / 4.5, rel=1e-6)
  assert output.state == OD(value_sum_process=(), weight_sum_process=())
  assert output.measurements == OD(mean_value=(), mean_weight=())


def test_weighted_mean_of_structs_with_integer_weights(backend):
  value_type = OD(a=(np.float32, [2]), b=np.float32)
  process = fx.aggregators.MeanFactory().create(value_type, np.int32)
  values = [OD(a=np.array([1, 2], np.float32), b=np.float32(3)),
            OD(a=np.array([3, 4], np.float32), b=np.float32(5))]
  result = process.next(process.initialize(), values, [1, 3]).result
  assert result['a'].tolist() == [2.5, 3.5] and float(result['b']) == 4.5


def test_types_follow_tff():
  process = fx.aggregators.MeanFactory().create(F32, F32)
  assert str(process.next.type_signature) == (
      '(<state=<value_sum_process=<>,weight_sum_process=<>>@SERVER,'
      'value={float32}@CLIENTS,weight={float32}@CLIENTS> -> '
      '<state=<value_sum_process=<>,weight_sum_process=<>>@SERVER,'
      'result=float32@SERVER,measurements=<mean_value=<>,mean_weight=<>>'
      '@SERVER>)')


def test_nested_sum_factories_thread_state_and_measurements(backend):
  process = fx.aggregators.MeanFactory(
      value_sum_factory=CountingSumFactory(),
      weight_sum_factory=fx.aggregators.SumFactory()).create(F32, F32)
  state = process.initialize()
  assert state == OD(value_sum_process=0, weight_sum_process=())
  for round_num in (1, 2):
    output = process.next(state, [2.0, 6.0], [1.0, 1.0])
    state = output.state
    assert float(output.result) == 4.0
    assert output.measurements == OD(mean_value=round_num, mean_weight=())
  assert state == OD(value_sum_process=2, weight_sum_process=())


def test_all_zero_weights_give_non_finite(backend):
  process = fx.aggregators.MeanFactory().create((np.float32, [2]), F32)
  result = process.next(process.initialize(), [[1.0, 2.0], [3.0, 4.0]],
                        [0.0, 0.0]).result
  assert not np.isfinite(result).any()


def test_all_zero_weights_give_zero_with_no_nan_division(backend):
  process = fx.aggregators.MeanFactory(no_nan_division=True).create(
      (np.float32, [2]), F32)
  result = process.next(process.initialize(), [[1.0, 2.0], [3.0, 4.0]],
                        [0.0, 0.0]).result
  assert result.tolist() == [0.0, 0.0]
  # Non-zero weights are unaffected.
  result = process.next(process.initialize(), [[1.0, 2.0], [3.0, 4.0]],
                        [1.0, 0.0]).result
  assert result.tolist() == [1.0, 2.0]


def test_unweighted_mean(backend):
  process = fx.aggregators.UnweightedMeanFactory().create(
      OD(x=(np.float32, [2])))
  assert not process.is_weighted
  output = process.next(process.initialize(),
                        [OD(x=[1.0, 2.0]), OD(x=[2.0, 2.0]), OD(x=[6.0, 5.0])])
  assert output.result['x'].tolist() == [3.0, 3.0]
  assert output.state == OD(value_sum_process=(), count_sum_process=())
  assert output.measurements == OD(mean_value=(), mean_count=())


def test_unweighted_mean_counts_clients_through_its_factory(backend):
  process = fx.aggregators.UnweightedMeanFactory(
      count_sum_factory=CountingSumFactory()).create(F32)
  output = process.next(process.initialize(), [1.0, 5.0])
  assert float(output.result) == 3.0
  assert output.measurements == OD(mean_value=(), mean_count=1)


def test_backends_agree():
  rng = np.random.default_rng(0)
  values = rng.normal(size=(7, 3)).astype(np.float32)
  weights = rng.uniform(0, 2, 7).astype(np.float32)
  weighted = fx.aggregators.MeanFactory().create((np.float32, [3]), F32)
  unweighted = fx.aggregators.UnweightedMeanFactory().create(
      (np.float32, [3]))
  results = {}
  for name, context in CONTEXTS.items():
    with fx.framework.install_context(context):
      results[name] = (
          weighted.next(weighted.initialize(), list(values),
                        list(weights)).result,
          unweighted.next(unweighted.initialize(), list(values)).result)
  want = (np.sum(values * weights[:, None], 0) / weights.sum(),
          values.mean(0))
  for got in results.values():
    for g, w, reference in zip(got, want, results['interpreter']):
      np.testing.assert_allclose(g, w, rtol=1e-5)
      np.testing.assert_allclose(g, reference, rtol=1e-6)


@pytest.mark.parametrize('value_type', [
    np.int32, fx.TensorType(np.int64, [2]), OD(a=np.float32, b=np.int32)])
@pytest.mark.parametrize('make', [
    lambda t: fx.aggregators.MeanFactory().create(t, np.float32),
    lambda t: fx.aggregators.UnweightedMeanFactory().create(t)],
    ids=['MeanFactory', 'UnweightedMeanFactory'])
def test_integer_values_are_rejected(make, value_type):
  with pytest.raises(TypeError, match=r'MeanFactory.create: value_type: '
                     r'expected floating-point tensors .* got .*int.*Cast the '
                     r'values to float32'):
    make(value_type)


@pytest.mark.parametrize('weight_type,shown', [
    ((np.float32, [2]), r'float32\[2\]'), (np.bool_, 'bool'),
    (fx.type_at_clients(np.float32), r'\{float32\}@CLIENTS'),
    ([np.float32], '<float32>'), ('abc', "'abc'")])
def test_non_scalar_weights_are_rejected(weight_type, shown):
  with pytest.raises(TypeError, match=r'MeanFactory.create: weight_type: '
                     r'expected a numeric scalar such as float32, got '
                     f'{shown}. Pass one weight per client value.'):
    fx.aggregators.MeanFactory().create(F32, weight_type)


def test_constructor_errors():
  with pytest.raises(TypeError, match=r'MeanFactory: value_sum_factory: '
                     r'expected an unweighted aggregation factory \(e.g. '
                     r'fx.aggregators.SumFactory\(\)\), got MeanFactory'):
    fx.aggregators.MeanFactory(value_sum_factory=fx.aggregators.MeanFactory())
  with pytest.raises(TypeError, match='MeanFactory: weight_sum_factory: '
                     'expected an unweighted aggregation factory'):
    fx.aggregators.MeanFactory(weight_sum_factory=sum_factory.SumFactory)
  with pytest.raises(TypeError, match='MeanFactory: no_nan_division: expected '
                     'a bool, got int'):
    fx.aggregators.MeanFactory(no_nan_division=1)
  with pytest.raises(TypeError, match='UnweightedMeanFactory: '
                     'count_sum_factory: expected an unweighted aggregation '
                     'factory'):
    fx.aggregators.UnweightedMeanFactory(count_sum_factory='sum')
