"""`DifferentiallyPrivateFactory`: Gaussian presets, user queries, errors."""

import collections

import dp_accounting
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import federax as fx

DPF = fx.aggregators.DifferentiallyPrivateFactory
OD = collections.OrderedDict
F32 = fx.TensorType(np.float32)
INTERPRETER = fx.backends.interpreter.create_interpreter_context()
VALUES = [[3.0, 4.0], [0.3, 0.4], [0.0, -2.0]]  # Norms 5, 0.5 and 2.


def clipped_sum(values, clip):
  values = np.asarray(values, np.float32)
  norms = np.linalg.norm(values, axis=1, keepdims=True)
  return (values * np.minimum(1.0, clip / norms)).sum(0)


def test_zero_noise_gives_the_exact_clipped_mean_and_tff_types():
  process = DPF.gaussian_fixed(0.0, clients_per_round=4, clip=1.0).create(
      (np.float32, [2]))
  state = process.initialize()
  assert isinstance(state, fx.aggregators.DPAggregatorState)
  assert str(process.next.type_signature.result.measurements) == (
      '<dp_query_metrics=<>,dp=<>>@SERVER')
  output = process.next(state, VALUES)
  np.testing.assert_allclose(output.result, clipped_sum(VALUES, 1.0) / 4,
                             rtol=1e-6)
  assert output.measurements == OD(dp_query_metrics=OD(), dp=())


def test_gaussian_noise_scale():
  # The noise of a mean has stddev noise_multiplier * clip / clients.
  z, clip, n = 1.5, 2.0, 4
  process = DPF.gaussian_fixed(z, n, clip, noise_seed=0).create(
      (np.float32, [20000]))
  state = process.initialize()
  zeros = np.zeros([3, 20000], np.float32)
  noises = []
  for _ in range(2):
    output = process.next(state, zeros)
    state = output.state
    noises.append(output.result)
  for noise in noises:
    assert abs(noise.mean()) < 0.02
    assert noise.std() == pytest.approx(z * clip / n, rel=0.03)
  assert abs(np.corrcoef(noises[0], noises[1])[0, 1]) < 0.03


def test_noise_is_seeded_and_both_backends_agree():
  def make(seed):
    return DPF.gaussian_fixed(1.0, 3, 1.0, noise_seed=seed).create(
        (np.float32, [2]))

  def results(process, rounds=2):
    state, out = process.initialize(), []
    for _ in range(rounds):
      output = process.next(state, VALUES)
      state = output.state
      out.append(output.result)
    return out

  seven = make(7)
  a, b, c = results(seven), results(make(7)), results(make(8))
  np.testing.assert_array_equal(a, b)
  assert not np.allclose(a[0], c[0]) and not np.allclose(a[0], a[1])
  with fx.framework.install_context(INTERPRETER):
    np.testing.assert_allclose(results(seven), a, rtol=1e-6)
  # Without a seed, each process draws its own.
  keys = [make(None).initialize().noise_key for _ in range(2)]
  assert keys[0].tolist() != keys[1].tolist()


def test_adaptive_clip_moves_to_the_median_norm():
  factory = DPF.gaussian_adaptive(0.0, clients_per_round=7,
                                  initial_l2_norm_clip=1.0, learning_rate=0.5)
  process = factory.create(F32)
  values = [1.0, 2.0, 3.0, -4.0, 5.0, 6.0, 7.0]  # Median norm 4.
  state, clips = process.initialize(), [1.0]
  for _ in range(30):
    output = process.next(state, values)
    np.testing.assert_allclose(
        output.result, np.clip(values, -clips[-1], clips[-1]).sum() / 7,
        rtol=1e-5)
    state = output.state
    clips.append(float(output.measurements['dp_query_metrics']['clip']))
  assert clips[1] > clips[0] and 3.5 < clips[-1] < 4.6
  with fx.framework.install_context(INTERPRETER):
    reference = process.next(state, values)
  assert float(reference.measurements['dp_query_metrics']['clip']) == (
      pytest.approx(float(process.next(state, values).measurements[
          'dp_query_metrics']['clip'])))


class ClipByValueSum(fx.aggregators.SumAggregationDPQuery):
  """A user query: clips each entry to [-b, b], adds N(0, (b z)^2)."""

  def __init__(self, bound, noise_multiplier):
    self.bound, self.z = bound, noise_multiplier

  def initial_global_state(self):
    return OD(bound=jnp.float32(self.bound))

  def derive_sample_params(self, global_state):
    return global_state['bound']

  def preprocess_record(self, params, record):
    return jax.tree.map(lambda x: jnp.clip(x, -params, params), record)

  def get_noised_result(self, sample_state, global_state, key):
    noise = jax.random.normal(jax.random.wrap_key_data(key),
                              sample_state.shape) * self.bound * self.z
    return (sample_state + noise, global_state,
            dp_accounting.GaussianDpEvent(self.z))

  def derive_metrics(self, global_state):
    return OD(bound=global_state['bound'])


class NoisyMax(fx.aggregators.DPQuery):
  """A user query that is not a sum: the (noised) largest record."""

  def initial_sample_state(self, template):
    return jnp.full(template.shape, -jnp.inf, template.dtype)

  def accumulate_preprocessed_record(self, sample_state, record):
    return jnp.maximum(sample_state, record)

  def merge_sample_states(self, a, b):
    return jnp.maximum(a, b)

  def get_noised_result(self, sample_state, global_state, key):
    del key
    return sample_state, global_state, dp_accounting.NonPrivateDpEvent()


def test_user_defined_sum_query():
  factory = DPF(ClipByValueSum(bound=1.0, noise_multiplier=0.0))
  process = factory.create((np.float32, [2]))
  output = process.next(process.initialize(), VALUES)
  np.testing.assert_allclose(output.result, [1.3, 0.4 + 1.0 - 1.0], rtol=1e-6)
  assert output.measurements == OD(dp_query_metrics=OD(bound=1.0), dp=())
  noisy = DPF(ClipByValueSum(1.0, 2.0), noise_seed=3).create((np.float32, [2]))
  assert not np.allclose(noisy.next(noisy.initialize(), VALUES).result,
                         output.result)
  assert factory.dp_event(5) == dp_accounting.SelfComposedDpEvent(
      dp_accounting.GaussianDpEvent(0.0), 5)


def test_user_defined_query_that_is_not_a_sum_on_both_backends():
  process = DPF(NoisyMax()).create((np.float32, [2]))
  want = np.max(VALUES, axis=0)
  for context in (None, INTERPRETER, fx.backends.jax.create_jax_context(
      chunk_size=2)):
    with fx.framework.install_context(context) if context else (
        fx.framework.install_context(fx.framework.get_default_context())):
      output = process.next(process.initialize(), VALUES)
    np.testing.assert_array_equal(output.result, want)


def test_records_go_through_the_record_aggregation_factory():
  class CountingSum(fx.aggregators.UnweightedAggregationFactory):
    def create(self, value_type):
      add_one = fx.jax_computation(lambda c: c + 1, np.int32)
      init = fx.federated_computation(
          lambda: fx.federated_value(np.int32(0), fx.SERVER))

      @fx.federated_computation(init.type_signature.result,
                                fx.type_at_clients(value_type))
      def next_fn(calls, value):
        calls = fx.federated_map(add_one, calls)
        return fx.templates.MeasuredProcessOutput(
            calls, fx.federated_sum(value), calls)
      return fx.templates.AggregationProcess(init, next_fn)

  query = fx.aggregators.GaussianSumQuery(l2_norm_clip=1.0, stddev=0.0)
  process = DPF(query, CountingSum()).create((np.float32, [2]))
  output = process.next(process.initialize(), VALUES)
  np.testing.assert_allclose(output.result, clipped_sum(VALUES, 1.0),
                             rtol=1e-6)
  assert int(output.state.agg_state) == 1 and int(output.measurements['dp'])


@pytest.mark.parametrize('build,error,message', [
    (lambda: DPF.gaussian_fixed(-1.0, 10, 1.0), ValueError,
     r'gaussian_fixed: noise_multiplier: expected a finite float >= 0, got '
     r'-1.0. Pass 0.0 for no noise.'),
    (lambda: DPF.gaussian_fixed(1.0, 10, 0.0), ValueError,
     r'gaussian_fixed: clip: expected a finite float > 0, got 0.0'),
    (lambda: DPF.gaussian_fixed(1.0, 0.5, 1.0), ValueError,
     r'gaussian_fixed: clients_per_round: expected a number >= 1, got 0.5. '
     r'Pass the expected number of clients in each round'),
    (lambda: DPF.gaussian_fixed(1.0, 10, '1'), TypeError,
     r"gaussian_fixed: clip: expected a float \(e.g. 1.0\), got str '1'"),
    (lambda: DPF.gaussian_adaptive(-0.5, 10), ValueError,
     r'gaussian_adaptive: noise_multiplier: expected a finite float >= 0'),
    (lambda: DPF.gaussian_adaptive(1.0, 10), ValueError,
     r'clipped_count_stddev: 0.5 .* is too low for noise_multiplier 1.0'),
    (lambda: DPF.gaussian_adaptive(1.0, 100, target_unclipped_quantile=2),
     ValueError, r'target_unclipped_quantile: expected a float in \[0, 1\]'),
    (lambda: DPF.tree_aggregation(-1.0, 10, 1.0, np.float32), ValueError,
     r'tree_aggregation: noise_multiplier: expected a finite float >= 0'),
    (lambda: DPF.tree_aggregation(1.0, 10, -1.0, np.float32), ValueError,
     r'tree_aggregation: l2_norm_clip: expected a finite float > 0'),
    (lambda: fx.aggregators.dp_aggregator(-1.0, 100), ValueError,
     r'noise_multiplier: expected a finite float >= 0, got -1.0'),
    (lambda: fx.aggregators.GaussianSumQuery(1.0, -2.0), ValueError,
     r'GaussianSumQuery: stddev: expected a finite float >= 0, got -2.0'),
    (lambda: DPF(fx.aggregators.GaussianSumQuery), TypeError,
     r'DifferentiallyPrivateFactory: query: expected an fx.aggregators.'
     r'DPQuery .*got the class GaussianSumQuery \(call it'),
    (lambda: DPF(NoisyMax(), fx.aggregators.SumFactory()), TypeError,
     r"record_aggregation_factory: only a SumAggregationDPQuery's records "
     r'can be summed by a factory, got a NoisyMax'),
    (lambda: DPF(ClipByValueSum(1.0, 0.0), fx.aggregators.MeanFactory()),
     TypeError, r'record_aggregation_factory: expected an unweighted '
     r'aggregation factory'),
    (lambda: DPF(ClipByValueSum(1.0, 0.0), noise_seed=-1), ValueError,
     r'noise_seed: expected an int in \[0, 2\*\*32\), got -1'),
])
def test_misuse_errors(build, error, message):
  with pytest.raises(error, match=message):
    build()


def test_create_errors():
  with pytest.raises(TypeError, match=r'DifferentiallyPrivateFactory.create: '
                     r'value_type: expected floating-point tensors'):
    DPF.gaussian_fixed(1.0, 10, 1.0).create(np.int32)
  with pytest.raises(TypeError, match=r'create: value_type: expected the '
                     r'record_specs float32\[3\] of the tree, got '
                     r'float32\[2\]'):
    DPF.tree_aggregation(1.0, 10, 1.0, (np.float32, [3])).create(
        (np.float32, [2]))
