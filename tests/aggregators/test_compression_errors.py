"""Misuse of the compression aggregators: errors name the argument and fix."""

import jax.numpy as jnp
import numpy as np
import pytest

import federax as fx

agg = fx.aggregators
SUM = agg.SumFactory()
F32x3 = fx.TensorType(np.float32, [3])
I32x3 = fx.TensorType(np.int32, [3])


@pytest.mark.parametrize('make,error,match', [
    # Bit widths, steps, ranges.
    (lambda: agg.UniformQuantizationStage(bits=0), ValueError,
     r'bits: expected an int in \[1, 16\], got 0'),
    (lambda: agg.UniformQuantizationStage(bits=17), ValueError,
     r'bits: expected an int in \[1, 16\], got 17'),
    (lambda: agg.UniformQuantizationFactory(bits=8.0), TypeError,
     'bits: expected an int, got float'),
    (lambda: agg.UniformQuantizationStage(clip=-1.0), ValueError,
     'clip: expected a finite float > 0, got -1.0'),
    (lambda: agg.EncodedSumFactory.quantize_above_threshold(
        quantization_bits=40), ValueError, r'in \[1, 16\], got 40'),
    (lambda: agg.StochasticDiscretizationFactory(SUM, step_size=0.0),
     ValueError, 'step_size: expected a finite float > 0, got 0.0'),
    (lambda: agg.StochasticDiscretizationFactory(SUM, 1.0, beta=1.0),
     ValueError, r'beta: expected a float in \[0, 1\), got 1.0'),
    (lambda: agg.StochasticDiscretizationFactory(SUM, 1.0, seed=-1),
     ValueError, r'seed: expected an int in \[0, 4294967295\], got -1'),
    (lambda: agg.DeterministicDiscretizationFactory(None, 'big'), TypeError,
     'step_size: expected a positive float, got str'),
    (lambda: agg.ModularClippingSumFactory(10, -5), ValueError,
     'clip_range_lower must be < clip_range_upper, got 10 >= -5'),
    (lambda: agg.ModularClippingSumFactory(-2**31, 2**31 - 1), ValueError,
     'width at most 2\\*\\*31 - 1'),
    (lambda: agg.ModularClippingSumFactory(0.0, 10), TypeError,
     'clip_range_lower: expected an int, got float'),
    (lambda: agg.HadamardTransformFactory(num_repeats=0), ValueError,
     'num_repeats: expected an int >= 1, got 0'),
    (lambda: agg.DiscreteFourierTransformFactory(inner_agg_factory=SUM.create),
     TypeError, 'inner_agg_factory: expected an unweighted aggregation '
     'factory'),
    (lambda: agg.StochasticDiscretizationFactory(agg.MeanFactory(), 1.0),
     TypeError, 'inner_agg_factory: expected an unweighted aggregation '
     'factory .* got MeanFactory'),
    (lambda: agg.TopKStage(), ValueError, 'exactly one of k and fraction'),
    (lambda: agg.TopKStage(k=2, fraction=0.5), ValueError,
     'exactly one of k and fraction'),
    (lambda: agg.TopKSparsificationFactory(fraction=1.5), ValueError,
     r'fraction: expected a float in \(0, 1\], got 1.5'),
    (lambda: agg.EncodedSumFactory(lambda x: x), TypeError,
     'stage: expected an fx.aggregators.EncodingStage'),
    (lambda: agg.EncodedSumFactory(agg.TopKStage(k=1), SUM), ValueError,
     'TopKStage does not commute with sum'),
    (lambda: agg.compression_aggregator(weighted='yes'), TypeError,
     'weighted: expected a bool, got str'),
])
def test_constructor_errors(make, error, match):
  with pytest.raises(error, match=match):
    make()


@pytest.mark.parametrize('factory,value_type,match', [
    (agg.StochasticDiscretizationFactory(SUM, 1.0), I32x3,
     r'value_type: expected floating-point tensors, got int32\[3\]'),
    (agg.ModularClippingSumFactory(0, 8), F32x3,
     r'value_type: expected integer tensors, got float32\[3\].*Discretize'),
    (agg.ModularClippingSumFactory(0, 8), fx.TensorType(np.int8, [3]),
     r'expected int32 tensors, got int8\[3\]'),
    (agg.HadamardTransformFactory(), fx.TensorType(np.float32, [None]),
     r'expected tensors of known shape, got float32\[\?\]'),
    (agg.UniformQuantizationFactory(), I32x3,
     r'UniformQuantizationStage: value: expected floating-point tensors, got '
     r'int32\[3\]'),
    (agg.TopKSparsificationFactory(k=4), F32x3,
     "k: expected at most the value's 3 elements, got 4"),
    (agg.DiscreteFourierTransformFactory(), fx.type_at_clients(np.float32),
     'value_type: expected a tensor or a struct of tensors'),
])
def test_create_errors(factory, value_type, match):
  with pytest.raises(TypeError if 'k:' not in match else ValueError,
                     match=match):
    factory.create(value_type)


class WrongDtype(agg.EncodingStage):

  def encode(self, state, value, key):
    return value

  def decode(self, state, encoded, num_summands):
    return encoded.astype(jnp.int32)


class NoBits(WrongDtype):

  def decode(self, state, encoded, num_summands):
    return encoded

  def encoded_bits(self, encoded):
    return 0


def test_stage_errors():
  with pytest.raises(TypeError, match=r'WrongDtype.decode: expected '
                     r'float32\[3\], got int32\[3\]. Return the structure'):
    agg.EncodedSumFactory(WrongDtype()).create(F32x3)
  with pytest.raises(TypeError, match='NoBits.encoded_bits: expected a '
                     'positive int'):
    agg.EncodedSumFactory(NoBits()).create(F32x3)
  with pytest.raises(TypeError, match="Can't instantiate abstract class"):
    agg.EncodingStage()
