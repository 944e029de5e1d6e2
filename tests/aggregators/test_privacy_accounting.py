"""`compute_epsilon` and `dp_event_of` against dp_accounting called directly."""

import dp_accounting
import pytest

import federax as fx

DPF = fx.aggregators.DifferentiallyPrivateFactory
DELTA = 1e-5


def direct(event, accountant='rdp'):
  acc = (dp_accounting.rdp.RdpAccountant() if accountant == 'rdp' else
         dp_accounting.pld.PLDAccountant())
  return acc.compose(event).get_epsilon(DELTA)


@pytest.mark.parametrize('accountant', ['rdp', 'pld'])
def test_gaussian_fixed_epsilon_equals_dp_accounting(accountant):
  factory = DPF.gaussian_fixed(noise_multiplier=1.1, clients_per_round=50,
                               clip=0.5)
  gaussian = dp_accounting.GaussianDpEvent(1.1)
  sampled = dp_accounting.SelfComposedDpEvent(
      dp_accounting.PoissonSampledDpEvent(0.01, gaussian), 200)
  assert factory.dp_event(200, population_size=5000) == sampled
  got = fx.aggregators.compute_epsilon(factory, 200, DELTA,
                                       accountant=accountant,
                                       population_size=5000)
  assert got == direct(sampled, accountant)
  everyone = dp_accounting.SelfComposedDpEvent(gaussian, 3)
  assert fx.aggregators.compute_epsilon(
      factory, 3, DELTA, accountant=accountant) == direct(everyone,
                                                          accountant)


def test_epsilon_grows_with_rounds_and_falls_with_noise():
  def eps(z, rounds):
    return fx.aggregators.compute_epsilon(
        DPF.gaussian_fixed(z, 100, 1.0), rounds, DELTA,
        population_size=10_000)
  assert eps(1.0, 10) < eps(1.0, 100) < eps(1.0, 1000)
  assert eps(2.0, 100) < eps(1.0, 100)


def test_adaptive_clipping_costs_the_effective_noise_multiplier():
  factory = DPF.gaussian_adaptive(noise_multiplier=1.0, clients_per_round=100)
  event = factory.dp_event(50, population_size=1000)
  (value, count) = event.event.event.events
  assert count == dp_accounting.GaussianDpEvent(10.0)  # 2 * 0.05 * 100
  assert value.noise_multiplier == pytest.approx((1 - 0.01)**-0.5)
  got = fx.aggregators.compute_epsilon(factory, 50, DELTA,
                                       population_size=1000)
  assert got == direct(event)
  same = dp_accounting.SelfComposedDpEvent(
      dp_accounting.PoissonSampledDpEvent(
          0.1, dp_accounting.GaussianDpEvent(1.0)), 50)
  assert got == pytest.approx(direct(same), rel=1e-6)


def test_a_round_event_and_wrapped_factories():
  gaussian = dp_accounting.GaussianDpEvent(0.8)
  assert fx.aggregators.compute_epsilon(gaussian, 20, DELTA) == direct(
      dp_accounting.SelfComposedDpEvent(gaussian, 20))
  assert fx.aggregators.compute_epsilon(
      gaussian, 20, DELTA, population_size=100,
      clients_per_round=5) == direct(dp_accounting.SelfComposedDpEvent(
          dp_accounting.PoissonSampledDpEvent(0.05, gaussian), 20))
  inner = DPF.gaussian_fixed(0.8, 5, 1.0)
  for wrapped in (fx.aggregators.clipping_factory(2.0, inner),
                  fx.aggregators.MeanFactory(value_sum_factory=inner),
                  fx.aggregators.dp_aggregator(1.0, 100)):
    assert fx.aggregators.dp_event_of(wrapped, 3) is not None
  assert fx.aggregators.dp_event_of(
      fx.aggregators.clipping_factory(2.0, inner), 4, 100) == (
          inner.dp_event(4, 100))
  assert fx.aggregators.dp_event_of(fx.aggregators.MeanFactory(), 3) is None


def test_errors():
  factory = DPF.gaussian_fixed(1.0, 10, 1.0)
  with pytest.raises(ValueError, match=r'compute_epsilon: delta: expected a '
                     r'float in \(0, 1\)'):
    fx.aggregators.compute_epsilon(factory, 10, 0.0)
  with pytest.raises(ValueError, match=r"accountant: expected 'rdp' or "
                     r"'pld', got 'moments'"):
    fx.aggregators.compute_epsilon(factory, 10, DELTA, accountant='moments')
  with pytest.raises(ValueError, match=r'num_rounds: expected an int >= 0, '
                     r'got -1'):
    fx.aggregators.compute_epsilon(factory, -1, DELTA)
  with pytest.raises(ValueError, match=r'population_size: expected at least '
                     r'clients_per_round \(10\), got 5'):
    fx.aggregators.compute_epsilon(factory, 10, DELTA, population_size=5)
  with pytest.raises(ValueError, match=r'dp_event_or_factory: expected a '
                     r'factory that adds DP noise .*got MeanFactory'):
    fx.aggregators.compute_epsilon(fx.aggregators.MeanFactory(), 10, DELTA)
  with pytest.raises(TypeError, match=r'dp_event_or_factory: expected an '
                     r'aggregation factory or a dp_accounting.DpEvent, got '
                     r'float'):
    fx.aggregators.compute_epsilon(1.0, 10, DELTA)
  with pytest.raises(ValueError, match=r'clients_per_round: expected the '
                     r'number of clients sampled per round'):
    fx.aggregators.compute_epsilon(dp_accounting.GaussianDpEvent(1.0), 10,
                                   DELTA, population_size=100)
