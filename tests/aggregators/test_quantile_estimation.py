"""`PrivateQuantileEstimationProcess`: geometric quantile estimation."""

import math

import numpy as np
import pytest

import federax as fx

PQEP = fx.aggregators.PrivateQuantileEstimationProcess
INTERPRETER = fx.backends.interpreter.create_interpreter_context()
VALUES = list(np.arange(1, 101, dtype=np.float32))  # Quantile q is ~100 q.


def run(process, rounds, values=VALUES):
  state = process.initialize()
  for _ in range(rounds):
    state = process.next(state, values)
  return state, float(process.report(state))


def test_no_noise_types_and_one_geometric_step():
  process = PQEP.no_noise(initial_estimate=10.0, target_quantile=0.8,
                          learning_rate=0.5)
  assert str(process.next.type_signature).endswith(
      '{float32}@CLIENTS> -> <query_state=<current_estimate=float32,'
      'target_quantile=float32,learning_rate=float32,below_estimate_state=<>>'
      ',agg_state=<>,noise_key=uint32[2]>@SERVER)')
  assert str(process.report.type_signature.result) == 'float32'
  _, estimate = run(process, 1)
  # 10 of 100 values are at most 10: the estimate grows by exp(0.5 * 0.7).
  assert estimate == pytest.approx(10.0 * math.exp(0.5 * 0.7), rel=1e-6)


@pytest.mark.parametrize('quantile', [0.2, 0.8])
def test_estimate_converges_to_the_target_quantile(quantile):
  process = PQEP.no_noise(initial_estimate=10.0, target_quantile=quantile,
                          learning_rate=0.5)
  _, estimate = run(process, 60)
  assert abs(estimate - 100 * quantile) < 3


def test_affine_report_and_backends_agree():
  process = PQEP.no_noise(5.0, 0.5, 0.2, multiplier=2.0, increment=1.0)
  state, estimate = run(process, 3)
  with fx.framework.install_context(INTERPRETER):
    reference_state, reference = run(process, 3)
  assert estimate == pytest.approx(reference, rel=1e-6)
  c = float(state.query_state.current_estimate)
  assert estimate == pytest.approx(2 * c + 1, rel=1e-6)


def test_private_estimate_is_noisy_seeded_and_still_converges():
  def make(seed):
    query = fx.aggregators.QuantileEstimatorQuery(
        initial_estimate=10.0, target_quantile=0.5, learning_rate=0.5,
        below_estimate_stddev=5.0, expected_num_records=100)
    return PQEP(query, noise_seed=seed)

  exact = run(PQEP.no_noise(10.0, 0.5, 0.5), 40)[1]
  a, b, c = (run(make(s), 40)[1] for s in (1, 1, 2))
  assert a == b and a != c and a != exact
  assert abs(a - 50) < 10 and abs(c - 50) < 10


def test_arithmetic_update():
  query = fx.aggregators.NoPrivacyQuantileEstimatorQuery(
      initial_estimate=10.0, target_quantile=0.5, learning_rate=2.0,
      geometric_update=False)
  _, estimate = run(PQEP(query), 1)
  assert estimate == pytest.approx(10.0 - 2.0 * (0.1 - 0.5))


def test_dp_event_of_the_quantile_query():
  import dp_accounting
  from federax.aggregators import query_computations
  query = fx.aggregators.QuantileEstimatorQuery(1.0, 0.5, 0.2, 2.0, 10)
  event = query_computations.round_dp_event(query, None)
  assert event == dp_accounting.GaussianDpEvent(4.0)  # 2.0 / 0.5


@pytest.mark.parametrize('kwargs,error,message', [
    (dict(target_quantile=1.5), ValueError,
     r'target_quantile: expected a float in \[0, 1\], got 1.5'),
    (dict(learning_rate=0.0), ValueError,
     r'learning_rate: expected a finite float > 0, got 0.0'),
    (dict(initial_estimate=-1.0), ValueError,
     r'initial_estimate: expected a finite float > 0, got -1.0'),
    (dict(multiplier='2'), TypeError, r"multiplier: expected a float .*str"),
])
def test_no_noise_argument_errors(kwargs, error, message):
  args = dict(initial_estimate=1.0, target_quantile=0.5, learning_rate=0.2)
  args.update(kwargs)
  with pytest.raises(error, match='PrivateQuantileEstimationProcess.no_noise: '
                     + message):
    PQEP.no_noise(**args)


def test_constructor_errors():
  with pytest.raises(TypeError, match=r'PrivateQuantileEstimationProcess: '
                     r'quantile_estimator_query: expected an fx.aggregators.'
                     r'QuantileEstimatorQuery .*got GaussianSumQuery'):
    PQEP(fx.aggregators.GaussianSumQuery(1.0, 0.0))
  with pytest.raises(ValueError, match=r'QuantileEstimatorQuery: '
                     r'below_estimate_stddev: expected a finite float >= 0, '
                     r'got -1.0. Pass 0.0 for no noise.'):
    fx.aggregators.QuantileEstimatorQuery(1.0, 0.5, 0.2, -1.0, 10)


def test_secure_estimation_counts_with_a_secure_sum():
  secure = PQEP.no_noise(10.0, 0.5, 0.5, secure_estimation=True)
  _, estimate = run(secure, 2, VALUES[:8])
  _, plain = run(PQEP.no_noise(10.0, 0.5, 0.5), 2, VALUES[:8])
  assert estimate == pytest.approx(plain, rel=1e-6)
