"""ModularClippingSumFactory: values and sums wrap into [lower, upper)."""

import functools

import numpy as np
import pytest

import federax as fx

I32x5 = fx.TensorType(np.int32, [5])


def wrap(x, lower, upper):
  return lower + np.mod(np.asarray(x, np.int64) - lower, upper - lower)


@functools.cache
def process(lower, upper, inner=False):
  inner_factory = fx.aggregators.SumFactory() if inner else None
  return fx.aggregators.ModularClippingSumFactory(
      lower, upper, inner_factory).create(I32x5)


def test_tff_example():
  p = fx.aggregators.ModularClippingSumFactory(-5, 10).create(
      fx.TensorType(np.int32, [4]))
  result = p.next(p.initialize(), [[20, 5, -15, 10]]).result
  assert result.tolist() == [5, 5, 0, -5]


@pytest.mark.parametrize('inner', [False, True])
@pytest.mark.parametrize('lower,upper', [(-5, 10), (0, 256), (-1000, 7)])
def test_sums_wrap(lower, upper, inner):
  rng = np.random.default_rng(upper)
  values = rng.integers(-3000, 3000, (3, 5)).astype(np.int32)
  output = process(lower, upper, inner).next(process(lower, upper,
                                                     inner).initialize(),
                                             values)
  expected = wrap(wrap(values, lower, upper).sum(0), lower, upper)
  assert output.result.tolist() == expected.tolist()
  assert np.all((lower <= output.result) & (output.result < upper))
  bits = int(np.ceil(np.log2(upper - lower)))
  assert float(output.measurements['bits_per_client']) == 5 * bits
  assert float(output.measurements['compression_ratio']) == pytest.approx(
      32 / bits)
  assert output.measurements['modclip'] == ()


def test_a_sum_inside_the_range_is_exact():
  values = [[1, -2, 3, 100, -100], [2, 2, -3, 20, -27]]
  output = process(-128, 128).next(process(-128, 128).initialize(), values)
  assert output.result.tolist() == [3, 0, 0, 120, -127]


def test_extreme_int32_values_do_not_overflow():
  big = np.iinfo(np.int32)
  values = [[big.max, big.min, big.max - 1, big.min + 1, 0]]
  output = process(-5, 10).next(process(-5, 10).initialize(), values)
  assert output.result.tolist() == wrap(values[0], -5, 10).tolist()


def test_interpreter_agrees():
  values = np.random.default_rng(0).integers(-50, 50, (4, 5)).astype(np.int32)
  expected = process(-5, 10).next(process(-5, 10).initialize(), values).result
  with fx.framework.install_context(
      fx.backends.interpreter.create_interpreter_context()):
    got = process(-5, 10).next(process(-5, 10).initialize(), values).result
  assert got.tolist() == expected.tolist()


def test_estimated_stddev():
  p = fx.aggregators.ModularClippingSumFactory(
      -1000, 1000, estimate_stddev=True).create(fx.TensorType(np.int32,
                                                              [2000]))
  value = np.round(np.random.default_rng(1).normal(0, 50, 2000)).astype(
      np.int32)
  output = p.next(p.initialize(), [value])
  assert 45 < float(output.measurements['estimated_stddev']) < 55
  assert list(output.measurements) == ['modclip', 'estimated_stddev',
                                       'bits_per_client', 'compression_ratio']
