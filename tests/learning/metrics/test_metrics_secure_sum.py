"""`secure_sum_then_finalize`: clipped, fixed-point secure sums of metrics."""

import collections

import numpy as np
import pytest

import federax as fx
from federax.core import building_blocks as bb
from federax.core import transformations
from federax.learning.metrics import fixed_point

metrics = fx.learning.metrics
OD = collections.OrderedDict
CONTEXTS = {
    'jax': fx.backends.jax.create_jax_context(),
    'jax_chunk2': fx.backends.jax.create_jax_context(chunk_size=2),
    'interpreter': fx.backends.interpreter.create_interpreter_context(),
}
FLOAT_KEY, INT_KEY = '0.0/1048575.0/float32', '0/1048575/int32'
TYPE = OD(accuracy=(np.float32, [2]), loss=np.float32, num_examples=np.int32)
FINALIZERS = OD(accuracy=lambda v: v[0] / v[1], loss=lambda s: s,
                num_examples=lambda n: n)


@pytest.fixture(params=sorted(CONTEXTS))
def backend(request):
  with fx.framework.install_context(CONTEXTS[request.param]):
    yield request.param


def client(correct, total, loss, n):
  return OD(accuracy=np.array([correct, total], np.float32),
            loss=np.float32(loss), num_examples=np.int32(n))


def counts(upper, lower, hi, lo):
  return dict(secure_upper_clipped_count=upper, secure_lower_clipped_count=lower,
              secure_upper_threshold=hi, secure_lower_threshold=lo)


def check_measurements(got, want):
  assert list(got) == list(want)
  for key in want:
    for name, value in want[key].items():
      assert got[key][name] == value, (key, name)


def test_in_range_values_sum_exactly(backend):
  aggregate = metrics.secure_sum_then_finalize(FINALIZERS, TYPE)
  result = aggregate([client(3, 4, 1.5, 4), client(1, 4, 0.25, 4),
                      client(6.5, 8, 2.0, 8)])
  assert list(result) == ['secure_sum_measurements', 'accuracy', 'loss',
                          'num_examples']
  assert result['accuracy'] == np.float32(10.5 / 16)
  assert float(result['loss']) == 3.75
  assert int(result['num_examples']) == 16
  assert result['num_examples'].dtype == np.int32
  check_measurements(result['secure_sum_measurements'], {
      FLOAT_KEY: counts(0, 0, 1048575.0, 0.0),
      INT_KEY: counts(0, 0, 1048575, 0)})


def test_values_outside_the_default_range_are_clipped_and_counted(backend):
  aggregate = metrics.secure_sum_then_finalize(FINALIZERS, TYPE)
  # Client 1: loss above 2**20 - 1 and num_examples below 0; client 2: one
  # accuracy entry below 0; client 3 in range.
  result = aggregate([client(3, 4, 2e6, -5), client(-1, 4, 1.0, 4),
                      client(1, 4, 1.0, 7)])
  assert result['accuracy'] == np.float32(4) / np.float32(12)
  assert float(result['loss']) == 1048575.0 + 2.0
  assert int(result['num_examples']) == 11
  check_measurements(result['secure_sum_measurements'], {
      FLOAT_KEY: counts(1, 1, 1048575.0, 0.0),
      INT_KEY: counts(0, 1, 1048575, 0)})


def test_user_ranges_form_their_own_groups(backend):
  aggregate = metrics.secure_sum_then_finalize(
      FINALIZERS, TYPE, {'loss': (-1.0, 1.0), 'num_examples': (0, 10)})
  result = aggregate([client(3, 4, 0.5, 12), client(1, 4, -3.0, 4)])
  assert float(result['loss']) == -0.5  # 0.5 + clip(-3.0) = 0.5 - 1.0
  assert int(result['num_examples']) == 14  # clip(12) + 4 = 10 + 4
  assert float(result['accuracy']) == 0.5
  check_measurements(result['secure_sum_measurements'], {
      FLOAT_KEY: counts(0, 0, 1048575.0, 0.0),
      '-1.0/1.0/float32': counts(0, 1, 1.0, -1.0),
      '0/10/int32': counts(1, 0, 10, 0)})


def test_floats_are_within_the_quantization_step():
  aggregate = metrics.secure_sum_then_finalize(
      {'x': lambda x: x}, {'x': (np.float32, [50])}, {'x': (-3.0, 7.0)})
  values = np.random.default_rng(0).uniform(-3, 7, (20, 50)).astype(np.float32)
  got = aggregate([{'x': v} for v in values])['x']
  step = 10.0 / fixed_point.scale_of(-3.0, 7.0, np.float32)
  np.testing.assert_allclose(got, values.sum(0), atol=20 * step + 1e-4)


def test_integers_of_a_full_int32_range_sum_exactly(backend):
  aggregate = metrics.secure_sum_then_finalize(
      {'n': lambda n: n}, {'n': (np.int32, [3])},
      {'n': (-2**31, 2**31 - 1)})
  values = [np.array([-2**31 + 5, 7, 2**30], np.int32),
            np.array([2**31 - 1 - 5, -9, 2**30 - 1], np.int32)]
  got = aggregate([{'n': v} for v in values])['n']
  assert got.tolist() == [2**31 - 1 - 2**31, -2, 2**31 - 1]


def test_no_clients_give_zero_sums(backend):
  aggregate = metrics.secure_sum_then_finalize(
      {'loss': lambda s: s, 'n': lambda n: n},
      {'loss': np.float32, 'n': np.int32}, {'loss': (-5.0, 5.0)})
  result = aggregate([])
  assert float(result['loss']) == 0.0 and int(result['n']) == 0


def test_a_finalizer_of_all_metrics():
  aggregate = metrics.secure_sum_then_finalize(
      lambda u: OD(mean=u['total'] / u['count']),
      OD(total=np.float32, count=np.float32))
  result = aggregate([OD(total=np.float32(3), count=np.float32(2)),
                      OD(total=np.float32(5), count=np.float32(2))])
  assert list(result) == ['secure_sum_measurements', 'mean']
  assert float(result['mean']) == 2.0


def test_default_ranges():
  ranges = metrics.create_default_secure_sum_quantization_ranges(
      OD(a=np.int32, b=[np.float32, (np.float64, [2])]), -1.5, 10.5)
  assert ranges == OD(a=(-1, 10), b=[(-1.5, 10.5), (-1.5, 10.5)])
  assert metrics.DEFAULT_SECURE_UPPER_BOUND == 2**20 - 1
  assert metrics.DEFAULT_SECURE_LOWER_BOUND == 0


def test_only_secure_sums_leave_the_clients():
  aggregate = metrics.secure_sum_then_finalize(FINALIZERS, TYPE)
  uris = {node.uri for node in
          transformations.postorder(aggregate.building_block)
          if isinstance(node, bb.Intrinsic)}
  assert 'federated_secure_sum_bitwidth' in uris
  assert not uris & {'federated_sum', 'federated_aggregate', 'federated_mean'}


def test_type_signature():
  aggregate = metrics.secure_sum_then_finalize(
      {'n': lambda n: n}, {'n': np.int32})
  assert str(aggregate.type_signature) == (
      '({<n=int32>}@CLIENTS -> <secure_sum_measurements=<0/1048575/int32='
      '<secure_upper_clipped_count=int32,secure_lower_clipped_count=int32,'
      'secure_upper_threshold=int32,secure_lower_threshold=int32>>,'
      'n=int32>@SERVER)')


def test_as_the_metrics_aggregator_of_fed_avg():
  model = fx.learning.models.FunctionalModel(
      initial_weights=((np.zeros(2, np.float32),), ()),
      predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
      loss_fn=fx.learning.models.mean_squared_error,
      input_spec=((np.float32, [None, 2]), (np.float32, [None])))
  process = fx.learning.algorithms.build_weighted_fed_avg(
      model, fx.learning.optimizers.build_sgdm(0.1),
      metrics_aggregator=metrics.secure_sum_then_finalize)
  data = [(np.ones((4, 2), np.float32), np.ones(4, np.float32)),
          (np.ones((2, 2), np.float32), np.ones(2, np.float32))]
  train = process.next(process.initialize(), data).metrics['client_work'][
      'train']
  assert int(train['num_examples']) == 6
  assert float(train['loss']) == pytest.approx(1.0, abs=1e-3)
  assert 'secure_sum_measurements' in train


@pytest.mark.parametrize('finalizers,ranges,error,match', [
    ({'accuracy': lambda v: v}, None, ValueError,
     r"metric_finalizers: expected a finalizer for each metric \['accuracy', "
     r"'loss', 'num_examples'\], got \['accuracy'\]"),
    ([lambda v: v], None, TypeError, 'metric_finalizers: expected a dict'),
    (FINALIZERS, {'los': (0.0, 1.0)}, ValueError,
     r"names \['los'\] are not metrics"),
    (FINALIZERS, {'loss': (1.0, 1.0)}, ValueError,
     r"metric_value_ranges\['loss'\]: expected lower < upper, got \(1.0, 1.0\)"),
    (FINALIZERS, {'loss': 3.0}, TypeError,
     r"metric_value_ranges\['loss'\]: expected a \(lower, upper\) pair for "
     r"float32, got 3.0"),
    (FINALIZERS, {'num_examples': (0, 0.5)}, TypeError,
     'expected integer bounds for int32'),
    (FINALIZERS, {'num_examples': (-1, 2**32)}, ValueError,
     'expected bounds within int32'),
    (FINALIZERS, {'accuracy': [(0, 1), (0, 1)]}, TypeError,
     r"metric_value_ranges\['accuracy'\]: expected a \(lower, upper\) pair"),
    (FINALIZERS, [None], TypeError,
     'metric_value_ranges: expected a structure matching'),
])
def test_argument_errors(finalizers, ranges, error, match):
  with pytest.raises(error, match=match):
    metrics.secure_sum_then_finalize(finalizers, TYPE, ranges)


def test_metrics_type_errors():
  with pytest.raises(TypeError, match='local_unfinalized_metrics_type: '
                     'expected a struct of named metrics'):
    metrics.secure_sum_then_finalize(lambda x: x, np.float32)
  with pytest.raises(TypeError, match='expected numeric tensors of known '
                     r'shape, got bool at b in <a=int32,b=bool>'):
    metrics.secure_sum_then_finalize(lambda x: x,
                                     OD(a=np.int32, b=np.bool_))


def test_finalizers_must_return_named_metrics():
  with pytest.raises(TypeError, match='expected the finalized metrics to be '
                     'a dict'):
    metrics.secure_sum_then_finalize(lambda u: u['n'], {'n': np.int32})
  with pytest.raises(ValueError, match='named secure_sum_measurements'):
    metrics.secure_sum_then_finalize(
        lambda u: {'secure_sum_measurements': u['n']}, {'n': np.int32})
