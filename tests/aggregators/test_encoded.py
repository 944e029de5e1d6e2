"""EncodedSumFactory: user-defined stages, uniform quantization, top-k."""

import collections
import functools

import jax.numpy as jnp
import numpy as np
import pytest

import federax as fx

OD = collections.OrderedDict
F32x200 = fx.TensorType(np.float32, [200])


class ScaleToInt8(fx.aggregators.EncodingStage):
  """Levels of a shared scale that grows with the aggregate: linear, so
  the levels are summed (as int32) and decoded once; 8 bits each."""

  commutes_with_sum = True

  def initial_state(self):
    return np.float32(1.0)

  def encode(self, scale, value, key):
    levels = jnp.clip(jnp.round(value / scale * 127), -127, 127)
    return levels.astype(jnp.int32)

  def decode(self, scale, encoded, num_summands):
    return encoded.astype(jnp.float32) * scale / 127

  def update_state(self, scale, result):
    return jnp.maximum(scale, jnp.max(jnp.abs(result)))

  def encoded_bits(self, encoded):
    return 8 * encoded.size


class OwnScaleInt8(fx.aggregators.EncodingStage):
  """int8 levels of each client's own max: decoded client by client."""

  def encode(self, state, value, key):
    scale = jnp.maximum(jnp.max(jnp.abs(value)), 1e-12) / 127
    return jnp.round(value / scale).astype(jnp.int8), scale

  def decode(self, state, encoded, num_summands):
    levels, scale = encoded
    return levels.astype(jnp.float32) * scale


@functools.cache
def process(name):
  f32x3 = fx.TensorType(np.float32, [3])
  return {
      'scale_int8': lambda: fx.aggregators.EncodedSumFactory(
          ScaleToInt8()).create(f32x3),
      'own_int8': lambda: fx.aggregators.EncodedSumFactory(
          OwnScaleInt8()).create(f32x3),
      'quantize': lambda: fx.aggregators.UniformQuantizationFactory(
          bits=3, seed=1).create(F32x200),
      'quantize_clip': lambda: fx.aggregators.UniformQuantizationFactory(
          bits=3, clip=2.0, seed=1).create(F32x200),
      'top_k': lambda: fx.aggregators.TopKSparsificationFactory(
          k=3).create(OD(a=(np.float32, [2, 2]), b=(np.float32, [3]))),
  }[name]()


def test_user_stage_that_commutes_with_sum():
  p = process('scale_int8')
  values = [[0.5, -0.25, 1.0], [0.25, 0.25, 0.75]]
  output = p.next(p.initialize(), values)
  expected = np.round(np.array(values) * 127).sum(0) / 127
  np.testing.assert_allclose(output.result, expected, rtol=1e-6)
  assert float(output.state['stage']) == pytest.approx(expected.max())
  assert float(output.measurements['bits_per_client']) == 24.0
  assert float(output.measurements['compression_ratio']) == 4.0
  assert str(p.state_type) == (
      '<stage=float32,key=uint32[2],inner_agg_process=<>>@SERVER')
  assert output.measurements['encoded_sum'] == ()
  scale = float(output.state['stage'])  # The largest |result|: ~1.75.
  second = p.next(output.state, values)
  expected = np.round(np.array(values) / scale * 127).sum(0) * scale / 127
  np.testing.assert_allclose(second.result, expected, rtol=1e-6)


def test_user_stage_decoded_per_client():
  p = process('own_int8')
  values = np.array([[0.5, -0.25, 1.0], [0.2, 0.1, -0.4]], np.float32)
  output = p.next(p.initialize(), values)
  scales = np.abs(values).max(1, keepdims=True) / np.float32(127)
  expected = (np.round(values / scales) * scales).sum(0)
  np.testing.assert_allclose(output.result, expected, rtol=1e-5)
  # Default bits: the int8 levels and the float32 scale.
  assert float(output.measurements['bits_per_client']) == 3 * 8 + 32
  assert list(output.measurements) == ['bits_per_client', 'compression_ratio']


def _unbiased(p, values, rounds, levels_span, clip=None):
  state, results = p.initialize(), []
  for _ in range(rounds):
    output = p.next(state, values)
    state = output.state
    results.append(output.result)
  results = np.stack(results)
  target = np.sum([np.clip(v, -clip, clip) if clip else v for v in values], 0)
  step = levels_span / (2**3 - 1)
  assert np.all(np.abs(results - target) <= len(values) * step + 1e-5)
  # Per coordinate the variance is at most n * step**2 / 4.
  std_error = np.sqrt(len(values) * step**2 / 4 / rounds)
  assert np.all(np.abs(results.mean(0) - target) < 5 * std_error)
  assert abs((results.mean(0) - target).mean()) < 4 * std_error / np.sqrt(
      target.size)
  return output


def test_uniform_quantization_between_each_clients_min_and_max():
  rng = np.random.default_rng(0)
  values = [rng.uniform(-1, 1, 200).astype(np.float32),
            rng.uniform(-3, 0, 200).astype(np.float32)]
  # The wider range sets the worst-case step.
  output = _unbiased(process('quantize'), values, 50, levels_span=3.0)
  assert float(output.measurements['bits_per_client']) == 3 * 200 + 64
  assert float(output.measurements['compression_ratio']) == pytest.approx(
      32 * 200 / 664)


def test_uniform_quantization_to_a_shared_range_decodes_the_sum():
  rng = np.random.default_rng(1)
  values = [rng.uniform(-2.5, 2.5, 200).astype(np.float32) for _ in range(2)]
  output = _unbiased(process('quantize_clip'), values, 50, levels_span=4.0,
                     clip=2.0)
  assert float(output.measurements['bits_per_client']) == 3 * 200
  assert output.measurements['encoded_sum'] == ()


def test_deterministic_uniform_quantization_and_threshold():
  p = fx.aggregators.UniformQuantizationFactory(
      bits=4, clip=1.0, stochastic=False, threshold=3).create(
          OD(big=(np.float32, [8]), small=(np.float32, [3])))
  big = np.linspace(-1, 1, 8, dtype=np.float32)
  small = np.array([0.123, -4.0, 7.5], np.float32)
  output = p.next(p.initialize(), [OD(big=big, small=small)])
  assert np.max(np.abs(output.result['big'] - big)) <= 1 / 15 + 1e-6
  assert output.result['small'].tolist() == small.tolist()  # Sent as is.
  assert float(output.measurements['bits_per_client']) == 4 * 8 + 32 * 3


def test_top_k_keeps_the_largest_magnitudes():
  p = process('top_k')
  a = np.array([[0.1, -5.0], [0.2, 0.3]], np.float32)
  b = np.array([4.0, -0.05, -3.0], np.float32)
  output = p.next(p.initialize(), [OD(a=a, b=b)])
  assert output.result['a'].tolist() == [[0.0, -5.0], [0.0, 0.0]]
  assert output.result['b'].tolist() == [4.0, 0.0, -3.0]
  assert float(output.measurements['bits_per_client']) == 3 * (32 + 3)
  two = p.next(p.initialize(), [OD(a=a, b=b), OD(a=-a, b=b / 2)])
  assert two.result['a'].tolist() == [[0.0, 0.0], [0.0, 0.0]]
  assert two.result['b'].tolist() == [6.0, 0.0, -4.5]


def test_top_k_fraction():
  p = fx.aggregators.TopKSparsificationFactory(fraction=0.25).create(
      fx.TensorType(np.float32, [10]))
  value = np.arange(10, dtype=np.float32) - 4.4
  result = p.next(p.initialize(), [value]).result
  assert np.count_nonzero(result) == 3
  np.testing.assert_allclose(result[[0, 8, 9]], [-4.4, 3.6, 4.6])


@pytest.mark.parametrize('name', ['own_int8', 'quantize_clip'])
def test_interpreter_agrees(name):
  p = process(name)
  size = 3 if name == 'own_int8' else 200
  rng = np.random.default_rng(2)
  values = [rng.uniform(-1, 1, size).astype(np.float32) for _ in range(2)]
  expected = p.next(p.initialize(), values)
  with fx.framework.install_context(
      fx.backends.interpreter.create_interpreter_context()):
    got = p.next(p.initialize(), values)
  np.testing.assert_allclose(got.result, expected.result, rtol=1e-6)
  np.testing.assert_array_equal(got.state['key'], expected.state['key'])
