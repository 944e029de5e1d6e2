"""Ready-made compression factories and TFF's `compression_aggregator`."""

from __future__ import annotations

import math

from federax.aggregators import factory
from federax.aggregators.compression import encoded
from federax.aggregators.compression import stages


class UniformQuantizationFactory(encoded.EncodedSumFactory):
  """The sum of float values quantized to `bits` bits per element.

  Clients encode with `fx.aggregators.UniformQuantizationStage(bits, clip,
  stochastic, threshold)`: `2**bits` levels between each client's own min
  and max (`clip=None`: the server decodes each client; no inner factory),
  or between `-clip` and `clip` for all (the integer codes are summed by
  `inner_agg_factory`, default `SumFactory()`, and decoded once: clients
  encode, the server decodes the sum). Stochastic rounding makes the
  result unbiased (for values within `clip`). Measurements include
  `bits_per_client` and `compression_ratio`.

  Example:
    >>> import numpy as np, federax as fx
    >>> process = fx.aggregators.UniformQuantizationFactory(
    ...     bits=4, clip=1.0).create(fx.TensorType(np.float32, [3]))
    >>> output = process.next(process.initialize(), [[-1.0, 0.0, 1.0]] * 2)
    >>> print(process.next.type_signature.result.measurements)
    <encoded_sum=<>,bits_per_client=float32,compression_ratio=float32>@SERVER
    >>> float(output.measurements['bits_per_client'])
    12.0
  """

  def __init__(self, bits: int = 8, clip=None, inner_agg_factory=None, *,
               stochastic: bool = True, threshold: int = 0, seed: int = 0):
    super().__init__(stages.UniformQuantizationStage(
        bits, clip=clip, stochastic=stochastic, threshold=threshold),
                     inner_agg_factory=inner_agg_factory, seed=seed)


class TopKSparsificationFactory(encoded.EncodedSumFactory):
  """The sum of the clients' top-`k` coordinates (by magnitude).

  Each client sends its `k` (or `ceil(fraction * d)`) largest coordinates
  across the whole value with their positions
  (`fx.aggregators.TopKStage`); the server adds them into zeros. Biased:
  no error feedback (clients keep no state between rounds).

  Example:
    >>> import numpy as np, federax as fx
    >>> process = fx.aggregators.TopKSparsificationFactory(k=1).create(
    ...     fx.TensorType(np.float32, [3]))
    >>> output = process.next(process.initialize(),
    ...                       [[0.5, -2.0, 1.0], [3.0, 0.0, 0.1]])
    >>> output.result.tolist(), float(output.measurements['bits_per_client'])
    ([3.0, -2.0, 0.0], 34.0)
  """

  def __init__(self, k=None, fraction=None, *, seed: int = 0):
    super().__init__(stages.TopKStage(k=k, fraction=fraction), seed=seed)


def _zeroing(inner):
  from federax.aggregators import clipping
  from federax.aggregators import quantile_estimation
  norm = quantile_estimation.PrivateQuantileEstimationProcess.no_noise(
      initial_estimate=10.0, target_quantile=0.98,
      learning_rate=math.log(10.0), multiplier=2.0, increment=1.0)
  return clipping.zeroing_factory(norm, inner)


def _clipping(inner):
  from federax.aggregators import clipping
  from federax.aggregators import quantile_estimation
  norm = quantile_estimation.PrivateQuantileEstimationProcess.no_noise(
      initial_estimate=1.0, target_quantile=0.8, learning_rate=0.2)
  return clipping.clipping_factory(norm, inner)


def compression_aggregator(zeroing: bool = True, clipping: bool = True,
                           weighted: bool = True, *,
                           debug_measurements_fn=None,
                           quantization_bits: int = 8,
                           threshold: int = 20000, seed: int = 0):
  """A mean with adaptive zeroing and clipping whose sum is quantized (TFF).

  As TFF's `compression_aggregator`: `MeanFactory` (`UnweightedMeanFactory`
  when not `weighted`) whose value sum is
  `EncodedSumFactory.quantize_above_threshold(quantization_bits,
  threshold)` (the weighted values of each tensor of more than `threshold`
  elements are sent as 8-bit stochastic codes; Suresh et al. 2017), inside
  adaptive L2 clipping (to the estimated 0.8 quantile of norms) and
  adaptive zeroing (of values beyond twice the 0.98 quantile plus one), as
  TFF sets them. `debug_measurements_fn`, if given, takes the factory and
  returns one to use.

  Example:
    >>> import numpy as np, federax as fx
    >>> process = fx.aggregators.compression_aggregator().create(
    ...     fx.TensorType(np.float32, [3]), fx.TensorType(np.float32))
    >>> measurements = str(process.next.type_signature.result.measurements)
    >>> 'zeroed_count' in measurements, 'bits_per_client' in measurements
    (True, True)
  """
  who = 'compression_aggregator'
  for name, flag in (('zeroing', zeroing), ('clipping', clipping),
                     ('weighted', weighted)):
    if not isinstance(flag, bool):
      raise TypeError(f'{who}: {name}: expected a bool, got '
                      f'{type(flag).__name__}.')
  from federax.aggregators import mean
  quantized = encoded.EncodedSumFactory.quantize_above_threshold(
      quantization_bits, threshold, seed=seed)
  result = (mean.MeanFactory(quantized) if weighted else
            mean.UnweightedMeanFactory(quantized))
  if clipping:
    result = _clipping(result)
  if zeroing:
    result = _zeroing(result)
  if debug_measurements_fn is not None:
    result = debug_measurements_fn(result)
    kind = (factory.WeightedAggregationFactory if weighted else
            factory.UnweightedAggregationFactory)
    if not isinstance(result, kind):
      raise TypeError(f'{who}: debug_measurements_fn: expected it to return '
                      f'a {kind.__name__} (weighted={weighted}), got '
                      f'{type(result).__name__}.')
  return result
