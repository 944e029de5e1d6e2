"""Compression factories composed: rotation, discretization, modular sum."""

import functools

import numpy as np

import federax as fx
from federax import serialization

agg = fx.aggregators
F32x6 = fx.TensorType(np.float32, [6])


@functools.cache
def pipeline():
  return agg.HadamardTransformFactory(agg.StochasticDiscretizationFactory(
      agg.ModularClippingSumFactory(-2**9, 2**9), step_size=0.05),
                                      seed=2).create(F32x6)


def _values(n=3):
  rng = np.random.default_rng(0)
  return [rng.uniform(-2, 2, 6).astype(np.float32) for _ in range(n)]


def test_pipeline_sums_within_the_rounding_error_and_reports_bits():
  values = _values()
  output = pipeline().next(pipeline().initialize(), values)
  # Each client is off by at most step * sqrt(d) in L2 norm (d = 8 padded).
  error = np.linalg.norm(output.result - sum(values))
  assert error <= 3 * 0.05 * np.sqrt(8)
  # Rotated: 8 float32; discretized: 8 int32; wrapped: 8 of 10 bits.
  assert float(output.measurements['bits_per_client']) == 32 * 8
  discretized = output.measurements['hd']
  assert float(discretized['bits_per_client']) == 32 * 8
  wrapped = discretized['stochastic_discretization']
  assert float(wrapped['bits_per_client']) == 10 * 8
  assert wrapped['compression_ratio'] == np.float32(32 / 10)
  assert str(pipeline().state_type) == (
      '<inner_agg_process=<step_size=float32,inner_agg_process=<>,'
      'key=uint32[2]>,key=uint32[2]>@SERVER')


def test_pipeline_serializes_and_runs_alike():
  process = pipeline()
  next_fn = serialization.deserialize(serialization.serialize(process.next))
  values = _values()
  expected = process.next(process.initialize(), values)
  got = next_fn(process.initialize(), values)
  np.testing.assert_array_equal(got.result, expected.result)


def test_chunked_backend_agrees_for_per_client_decoding():
  process = agg.TopKSparsificationFactory(k=2).create(F32x6)
  values = _values(5)
  expected = process.next(process.initialize(), values).result
  dense = sum(np.where(np.abs(v) >= np.sort(np.abs(v))[-2], v, 0.0)
              for v in values)
  np.testing.assert_allclose(expected, dense, rtol=1e-6)
  with fx.framework.install_context(
      fx.backends.jax.create_jax_context(chunk_size=2)):
    got = process.next(process.initialize(), values).result
  np.testing.assert_allclose(got, expected, rtol=1e-6)
