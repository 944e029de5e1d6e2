"""`build_encoded_broadcast_process`: the server's value sent encoded."""

import collections

import jax.numpy as jnp
import numpy as np
import pytest

import federax as fx
from tests.learning.algorithms import fedavg_testing as t

OD = collections.OrderedDict
VALUE_TYPE = OD(w=(np.float32, [4, 8]), b=(np.float32, [3]))


class HalfPrecision(fx.aggregators.EncodingStage):
  """Sends float16; counts the rounds in its state."""

  def initial_state(self):
    return np.int32(0)

  def encode(self, state, value, key):
    return {k: v.astype(jnp.float16) for k, v in value.items()}

  def decode(self, state, encoded, num_summands):
    return OD((k, encoded[k].astype(jnp.float32)) for k in ('w', 'b'))

  def update_state(self, state, result):
    return state + 1


def _value(seed=0):
  rng = np.random.default_rng(seed)
  return OD(w=rng.normal(size=(4, 8)).astype(np.float32),
            b=rng.normal(size=3).astype(np.float32))


def test_user_stage_broadcast():
  process = fx.learning.templates.build_encoded_broadcast_process(
      HalfPrecision(), VALUE_TYPE)
  assert isinstance(process, fx.learning.templates.DistributionProcess)
  assert str(process.result_type) == '<w=float32[4,8],b=float32[3]>@CLIENTS'
  value = _value()
  output = process.next(process.initialize(), value)
  for k in value:
    np.testing.assert_array_equal(
        output.result[k], value[k].astype(np.float16).astype(np.float32))
  assert int(output.state['stage']) == 1
  assert float(output.measurements['bits_per_client']) == 16 * 35
  assert float(output.measurements['compression_ratio']) == 2.0


def test_quantized_broadcast_error_is_bounded_and_seeded():
  process = fx.learning.templates.build_encoded_broadcast_process(
      fx.aggregators.UniformQuantizationStage(bits=4), VALUE_TYPE, seed=3)
  value = _value(1)
  first = process.next(process.initialize(), value)
  again = process.next(process.initialize(), value)
  second = process.next(first.state, value)
  for k in value:
    step = (value[k].max() - value[k].min()) / 15
    assert np.max(np.abs(first.result[k] - value[k])) <= step + 1e-5
    np.testing.assert_array_equal(first.result[k], again.result[k])
  assert not np.array_equal(first.result['w'], second.result['w'])
  assert float(first.measurements['bits_per_client']) == 4 * 35 + 2 * 64
  with fx.framework.install_context(
      fx.backends.interpreter.create_interpreter_context()):
    got = process.next(process.initialize(), value)
  for k in value:
    np.testing.assert_allclose(got.result[k], first.result[k], rtol=1e-6)


def test_errors():
  with pytest.raises(TypeError, match='stage: expected an '
                     'fx.aggregators.EncodingStage'):
    fx.learning.templates.build_encoded_broadcast_process(None, VALUE_TYPE)
  with pytest.raises(ValueError, match='seed: expected an int'):
    fx.learning.templates.build_encoded_broadcast_process(
        HalfPrecision(), VALUE_TYPE, seed=-3)


def test_fed_avg_with_a_quantized_broadcast_trains():
  model = t.model()
  weights_type = fx.infer_type(
      fx.learning.models.ModelWeights.from_model(model))
  process = fx.learning.algorithms.build_weighted_fed_avg(
      model, fx.learning.optimizers.build_sgdm(0.5),
      model_distributor=fx.learning.templates.build_encoded_broadcast_process(
          fx.aggregators.UniformQuantizationStage(bits=8), weights_type))
  data = t.clients([20, 30, 25, 15])
  state, losses = process.initialize(), []
  for _ in range(4):
    state, metrics = process.next(state, data)
    losses.append(float(metrics['client_work']['train']['loss']))
  assert losses[-1] < losses[0] - 0.03
  assert float(metrics['distributor']['bits_per_client']) == 8 * 18 + 2 * 64
