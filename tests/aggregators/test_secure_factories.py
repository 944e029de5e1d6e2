"""`SecureSumFactory` and `SecureModularSumFactory`."""

import collections

import numpy as np
import pytest

import federax as fx

OD = collections.OrderedDict
CONTEXTS = {
    'jax': fx.backends.jax.create_jax_context(),
    'interpreter': fx.backends.interpreter.create_interpreter_context(),
}
F32 = fx.TensorType(np.float32)


@pytest.fixture(params=sorted(CONTEXTS))
def backend(request):
  with fx.framework.install_context(CONTEXTS[request.param]):
    yield request.param


def _max_tracker(initial):
  """An EstimationProcess whose estimate is the last round's largest value
  (its report takes the state's member, like PrivateQuantileEstimation)."""
  init = fx.federated_computation(
      lambda: fx.federated_value(np.float32(initial), fx.SERVER))

  @fx.federated_computation(fx.type_at_server(np.float32),
                            fx.type_at_clients(np.float32))
  def next_fn(state, values):
    return fx.federated_max(values)

  report = fx.jax_computation(lambda s: s, np.float32)
  return fx.templates.EstimationProcess(init, next_fn, report)


def test_integer_sum_clips_and_measures(backend):
  process = fx.aggregators.SecureSumFactory(10).create(
      fx.TensorType(np.int32, [2]))
  output = process.next(process.initialize(), [[1, 2], [30, -4], [-20, 5]])
  assert output.result.tolist() == [1, 3]  # [1 + 10 - 10, 2 - 4 + 5]
  assert output.state == ()
  assert output.measurements == OD(
      secure_upper_clipped_count=1, secure_lower_clipped_count=1,
      secure_upper_threshold=10, secure_lower_threshold=-10)


def test_integer_sum_with_both_bounds(backend):
  process = fx.aggregators.SecureSumFactory(5, 2).create(np.int32)
  output = process.next(process.initialize(), [1, 3, 9, 4])
  assert int(output.result) == 2 + 3 + 5 + 4
  assert output.measurements['secure_lower_clipped_count'] == 1
  assert output.measurements['secure_upper_clipped_count'] == 1


def test_float_sum_of_a_struct_is_accurate(backend):
  value_type = OD(a=(np.float32, [3]), b=np.float32)
  process = fx.aggregators.SecureSumFactory(2.0, -1.0).create(value_type)
  rng = np.random.default_rng(0)
  values = [OD(a=rng.uniform(-1, 2, 3).astype(np.float32),
               b=np.float32(rng.uniform(-1, 2))) for _ in range(6)]
  values[0]['b'] = np.float32(7.0)  # Clipped to 2.0.
  output = process.next(process.initialize(), values)
  want_a = sum(v['a'] for v in values)
  want_b = sum(float(v['b']) for v in values[1:]) + 2.0
  np.testing.assert_allclose(output.result['a'], want_a, atol=1e-5)
  assert float(output.result['b']) == pytest.approx(want_b, abs=1e-5)
  assert output.measurements['secure_upper_clipped_count'] == 1
  assert float(output.measurements['secure_lower_threshold']) == -1.0


def test_only_an_upper_bound_means_a_symmetric_range(backend):
  process = fx.aggregators.SecureSumFactory(1.5).create(F32)
  output = process.next(process.initialize(), [-4.0, 1.0, 0.25])
  assert float(output.result) == pytest.approx(-1.5 + 1.0 + 0.25, abs=1e-6)
  assert float(output.measurements['secure_lower_threshold']) == -1.5


def test_estimated_bounds_adapt_between_rounds(backend):
  process = fx.aggregators.SecureSumFactory(_max_tracker(1.0)).create(F32)
  state = process.initialize()
  output = process.next(state, [3.0, -0.5])
  # Round 1 clips to [-1, 1]; the estimate becomes max |value| = 3.
  assert float(output.result) == pytest.approx(0.5, abs=1e-6)
  assert float(output.state) == 3.0
  output = process.next(output.state, [3.0, -0.5])
  assert float(output.result) == pytest.approx(2.5, abs=1e-6)
  assert float(output.measurements['secure_upper_threshold']) == 3.0


def test_two_estimation_processes(backend):
  process = fx.aggregators.SecureSumFactory(
      _max_tracker(1.0), _max_tracker(-2.0)).create(F32)
  state = process.initialize()
  assert state == OD(upper_bound=1.0, lower_bound=-2.0)
  output = process.next(state, [5.0, -4.0])
  assert float(output.result) == pytest.approx(1.0 - 2.0, abs=1e-6)
  # The lower process sees each client's smallest value: max(5, -4) = 5.
  assert output.state == OD(upper_bound=5.0, lower_bound=5.0)


def test_under_the_masked_protocol_the_result_is_the_same():
  process = fx.aggregators.SecureSumFactory(4.0).create((np.float32, [2]))
  values = [[1.0, -2.0], [3.5, 9.0], [-0.25, 0.5]]
  plain = process.next(process.initialize(), values)
  with fx.aggregators.secure_protocol.masked_secure_sums(
      seed=0, record=True) as protocol:
    masked = process.next(process.initialize(), values)
  assert masked.result.tolist() == plain.result.tolist()
  assert masked.measurements == plain.measurements
  # One run for the 16-bit halves, one for the 1-bit counts.
  assert sorted(v.modulus for v in protocol.views) == [2**3, 2**18]


def test_secure_sums_under_a_mean(backend):
  mean = fx.aggregators.MeanFactory(
      value_sum_factory=fx.aggregators.SecureSumFactory(100.0),
      weight_sum_factory=fx.aggregators.SecureSumFactory(1000.0, 0.0))
  process = mean.create(F32, F32)
  output = process.next(process.initialize(), [1.0, 4.0], [3.0, 1.0])
  assert float(output.result) == pytest.approx(1.75, abs=1e-5)


def test_types_follow_tff():
  process = fx.aggregators.SecureSumFactory(10).create(np.int32)
  assert str(process.next.type_signature.result.measurements) == (
      '<secure_upper_clipped_count=int32,secure_lower_clipped_count=int32,'
      'secure_upper_threshold=int32,secure_lower_threshold=int32>@SERVER')
  assert str(process.state_type) == '<>@SERVER'


def test_modular_sum(backend):
  process = fx.aggregators.SecureModularSumFactory(4).create(
      OD(a=np.int32, b=(np.int32, [2])))
  output = process.next(process.initialize(),
                        [OD(a=1, b=[1, 0]), OD(a=3, b=[2, 3]),
                         OD(a=6, b=[3, 3])])
  assert int(output.result['a']) == 2 and output.result['b'].tolist() == [2, 2]
  symmetric = fx.aggregators.SecureModularSumFactory(
      4, symmetric_range=True).create(np.int32)
  assert int(symmetric.next(symmetric.initialize(), [1, 3, -3]).result) == 1
  assert int(symmetric.next(symmetric.initialize(), [-3, -2]).result) == 2


@pytest.mark.parametrize('make, error, match', [
    (lambda: fx.aggregators.SecureSumFactory(1.0, 2.0), ValueError,
     r'lower_bound_threshold < upper_bound_threshold, got '
     r'lower_bound_threshold=2.0 and upper_bound_threshold=1.0'),
    (lambda: fx.aggregators.SecureSumFactory(3, 3), ValueError,
     'lower_bound_threshold < upper_bound_threshold'),
    (lambda: fx.aggregators.SecureSumFactory(-1.0), ValueError,
     'expected a positive bound'),
    (lambda: fx.aggregators.SecureSumFactory(1.0, 0), TypeError,
     'same kind as upper_bound_threshold'),
    (lambda: fx.aggregators.SecureSumFactory('1'), TypeError,
     'expected an int, a float or an fx.templates.EstimationProcess, got str'),
    (lambda: fx.aggregators.SecureModularSumFactory(0), ValueError,
     'modulus: expected a positive int, got 0'),
    (lambda: fx.aggregators.SecureModularSumFactory(2.5), TypeError,
     'modulus: expected an int, got float'),
    (lambda: fx.aggregators.SecureModularSumFactory(3, symmetric_range=1),
     TypeError, 'symmetric_range: expected a bool'),
])
def test_constructor_errors(make, error, match):
  with pytest.raises(error, match=match):
    make()


@pytest.mark.parametrize('make, value_type, error, match', [
    (lambda: fx.aggregators.SecureSumFactory(10), np.float32, TypeError,
     'integer bounds need integer values, got float32'),
    (lambda: fx.aggregators.SecureSumFactory(1.0), np.int32, TypeError,
     'float or estimated bounds need floating values, got int32'),
    (lambda: fx.aggregators.SecureSumFactory(1.0), (np.float32, np.float64),
     TypeError, 'expected tensors of one dtype'),
    (lambda: fx.aggregators.SecureSumFactory(2**31, -2**31), np.int32,
     ValueError, 'needs 33 bits per value'),
    (lambda: fx.aggregators.SecureModularSumFactory(5), np.float32, TypeError,
     'expected integer tensors, got float32'),
    (lambda: fx.aggregators.SecureModularSumFactory(200), np.int8, ValueError,
     'sums modulo 200 do not fit int8'),
])
def test_create_errors(make, value_type, error, match):
  with pytest.raises(error, match=match):
    make().create(value_type)


def test_estimation_process_of_the_wrong_type_is_rejected():
  init = fx.federated_computation(
      lambda: fx.federated_value(np.int32(0), fx.SERVER))
  next_fn = fx.federated_computation(
      lambda s, v: s, fx.type_at_server(np.int32),
      fx.type_at_clients(np.int32))
  report = fx.jax_computation(lambda s: s, np.int32)
  bad = fx.templates.EstimationProcess(init, next_fn, report)
  with pytest.raises(TypeError, match='next takes'):
    fx.aggregators.SecureSumFactory(bad)
