"""as_weighted_aggregator, concat_factory, add_measurements and
UnweightedReservoirSamplingFactory."""

import collections

import numpy as np
import pytest

import federax as fx

OD = collections.OrderedDict
CONTEXTS = {
    'jax_chunk2': fx.backends.jax.create_jax_context(chunk_size=2),
    'interpreter': fx.backends.interpreter.create_interpreter_context(),
}
F32 = fx.TensorType(np.float32)


@pytest.fixture(params=sorted(CONTEXTS))
def backend(request):
  with fx.framework.install_context(CONTEXTS[request.param]):
    yield request.param


def test_as_weighted_aggregator_ignores_weights(backend):
  factory = fx.aggregators.as_weighted_aggregator(
      fx.aggregators.UnweightedMeanFactory())
  assert isinstance(factory, fx.aggregators.WeightedAggregationFactory)
  process = factory.create((np.float32, [2]), np.int32)
  assert process.is_weighted
  output = process.next(process.initialize(), [[1.0, 2.0], [3.0, 6.0]],
                        [100, 1])
  assert output.result.tolist() == [2.0, 4.0]
  assert output.measurements == OD(mean_value=(), mean_count=())
  with pytest.raises(TypeError, match='needs no wrapping'):
    fx.aggregators.as_weighted_aggregator(fx.aggregators.MeanFactory())
  with pytest.raises(TypeError, match='weight_type: expected a numeric'):
    factory.create(F32, (np.float32, [2]))


def test_concat_factory_flattens_and_splits_back(backend):
  value_type = OD(a=(np.float32, [2]), b=(np.float32, [2, 2]), c=np.float32)
  seen = []

  class Recording(fx.aggregators.UnweightedAggregationFactory):

    def create(self, t):
      seen.append(t)
      return fx.aggregators.SumFactory().create(t)

  process = fx.aggregators.concat_factory(Recording()).create(value_type)
  assert str(seen[0]) == 'float32[7]'
  values = [OD(a=[1.0, 2.0], b=[[3.0, 4.0], [5.0, 6.0]], c=7.0),
            OD(a=[1.0, 1.0], b=[[1.0, 1.0], [1.0, 1.0]], c=1.0)]
  result = process.next(process.initialize(), values).result
  assert result['a'].tolist() == [2.0, 3.0]
  assert result['b'].tolist() == [[4.0, 5.0], [6.0, 7.0]]
  assert float(result['c']) == 8.0
  weighted = fx.aggregators.concat_factory(fx.aggregators.MeanFactory())
  process = weighted.create((np.float32, np.float32), F32)
  assert process.is_weighted
  result = process.next(process.initialize(), [(1.0, 2.0), (4.0, 8.0)],
                        [2.0, 1.0]).result
  assert [float(r) for r in result] == [2.0, 4.0]


def test_concat_factory_errors():
  with pytest.raises(TypeError, match='expected tensors of one dtype'):
    fx.aggregators.concat_factory(fx.aggregators.SumFactory()).create(
        (np.float32, np.int32))
  with pytest.raises(TypeError, match='inner_agg_factory: expected an'):
    fx.aggregators.concat_factory(lambda t: t)


def test_add_measurements_from_clients_and_server(backend):
  factory = fx.aggregators.add_measurements(
      fx.aggregators.MeanFactory(),
      client_measurement_fn=lambda v, w: {'total_weight': fx.federated_sum(w)},
      server_measurement_fn=lambda r: {'result': r})
  process = factory.create(F32, F32)
  output = process.next(process.initialize(), [1.0, 4.0], [3.0, 1.0])
  assert float(output.result) == 1.75
  assert list(output.measurements) == ['mean_value', 'mean_weight',
                                       'total_weight', 'result']
  assert float(output.measurements['total_weight']) == 4.0
  assert float(output.measurements['result']) == 1.75
  unweighted = fx.aggregators.add_measurements(
      fx.aggregators.SumFactory(),
      client_measurement_fn=lambda v: {'smallest': fx.federated_min(v)})
  process = unweighted.create(F32)
  output = process.next(process.initialize(), [2.0, -1.0])
  assert output.measurements == OD(smallest=-1.0)


@pytest.mark.parametrize('kwargs, error, match', [
    ({}, ValueError, 'expected client_measurement_fn or server_measurement_fn'),
    ({'client_measurement_fn': 3}, TypeError, 'expected a callable'),
    ({'server_measurement_fn': lambda r: [r]}, TypeError,
     'expected it to return a dict'),
    ({'client_measurement_fn': lambda v: {'v': v}}, TypeError,
     "'v': expected a value placed at SERVER"),
    ({'server_measurement_fn': lambda r: {'mean_value': r}}, ValueError,
     "'mean_value' is already one of the inner measurements"),
])
def test_add_measurements_errors(kwargs, error, match):
  with pytest.raises(error, match=match):
    inner = (fx.aggregators.UnweightedMeanFactory()
             if 'client_measurement_fn' in kwargs else
             fx.aggregators.MeanFactory())
    factory = fx.aggregators.add_measurements(inner, **kwargs)
    if inner.__class__ is fx.aggregators.MeanFactory:
      factory.create(F32, F32)
    else:
      factory.create(F32)


def _sampler(size, seed=0, metadata=False):
  return fx.aggregators.UnweightedReservoirSamplingFactory(
      size, return_sampling_metadata=metadata, seed=seed)


def test_sampling_keeps_all_when_few_and_pads(backend):
  process = _sampler(4).create((np.float32, [2]))
  output = process.next(process.initialize(), [[1.0, 2.0], [3.0, 4.0]])
  rows = output.result.tolist()
  assert sorted(rows[:2]) == [[1.0, 2.0], [3.0, 4.0]]
  assert rows[2:] == [[0.0, 0.0], [0.0, 0.0]]


def test_sampling_is_deterministic_and_agrees_across_backends():
  values = [np.float32([i, -i]) for i in range(9)]
  process = _sampler(3, seed=5).create((np.float32, [2]))
  results = []
  for context in CONTEXTS.values():
    with fx.framework.install_context(context):
      results.append(process.next(process.initialize(), values).result)
      results.append(process.next(process.initialize(), values).result)
  for r in results:
    np.testing.assert_array_equal(r, results[0])
  assert len({tuple(row) for row in results[0].tolist()}) == 3
  assert all(row[0] == -row[1] and row[0] in range(9)
             for row in results[0].tolist())


def test_sampling_is_uniform():
  process = _sampler(5, seed=2).create(F32)
  counts = np.zeros(20)
  for round_num in range(100):
    values = [np.float32(round_num * 100 + i) for i in range(20)]
    sample = process.next(process.initialize(), values).result
    for v in sample.tolist():
      counts[int(v) - round_num * 100] += 1
  assert counts.sum() == 500
  assert np.all((counts > 10) & (counts < 45))  # Each about 25.


def test_sampling_metadata_and_non_finite_counts():
  value_type = OD(a=(np.float32, [2]), b=(np.float32, [2]))
  process = _sampler(2, metadata=True).create(value_type)
  values = [OD(a=[1.0, 2.0], b=[1.0, np.nan]),
            OD(a=[np.nan, np.inf], b=[1.0, 2.0]),
            OD(a=[1.0, 2.0], b=[np.inf, np.nan])]
  output = process.next(process.initialize(), values)
  assert output.measurements == OD(a=1, b=2)  # TFF's example.
  result = output.result
  assert list(result) == ['random_values', 'samples', 'num_samples']
  assert int(result['num_samples']) == 2
  assert result['samples']['a'].shape == (2, 2)
  assert np.all((result['random_values'] >= 0) & (result['random_values'] < 1))


@pytest.mark.parametrize('args, error, match', [
    ((0,), ValueError, 'sample_size: expected a positive int, got 0'),
    ((2.5,), TypeError, 'sample_size: expected an int, got float'),
    ((2, 'yes'), TypeError, 'return_sampling_metadata: expected a bool'),
    ((2, False, -1), ValueError, 'seed: expected an int >= 0'),
])
def test_sampling_errors(args, error, match):
  with pytest.raises(error, match=match):
    fx.aggregators.UnweightedReservoirSamplingFactory(*args)
