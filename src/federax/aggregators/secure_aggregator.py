"""`secure_aggregator`: TFF's preset for means through secure sums."""

from __future__ import annotations

from federax.aggregators import mean
from federax.aggregators import quantile_estimation
from federax.aggregators import secure_sum_factory
from federax.aggregators.robust import presets


def secure_aggregator(zeroing: bool = True, clipping: bool = True,
                      weighted: bool = True):
  """A mean whose sums are secure, inside adaptive clipping and zeroing.

  As TFF's: the weighted values are summed by a `SecureSumFactory` whose
  bound is the estimated 0.95 quantile of the clients' largest values
  (times two, starting at 50), the weights by `SecureSumFactory(2**20 - 1,
  0.0)` (the count by `SecureSumFactory(1, 0)` when not `weighted`);
  adaptive L2 clipping and zeroing wrap it, their own estimates counted with
  secure sums too. Every client-to-server movement is then a secure sum:
  in simulation, run it under `fx.aggregators.secure_protocol` to have the
  masking protocol carry them.

  Example:
    >>> import numpy as np, federax as fx
    >>> process = fx.aggregators.secure_aggregator(
    ...     zeroing=False, clipping=False).create(
    ...     fx.TensorType(np.float32), fx.TensorType(np.float32))
    >>> output = process.next(process.initialize(), [1.0, 4.0], [3.0, 1.0])
    >>> round(float(output.result), 4)
    1.75
  """
  presets.check_flags('secure_aggregator', zeroing=zeroing,
                      clipping=clipping, weighted=weighted)
  bound = quantile_estimation.PrivateQuantileEstimationProcess.no_noise(
      initial_estimate=50.0, target_quantile=0.95, learning_rate=1.0,
      multiplier=2.0, secure_estimation=True)
  values = secure_sum_factory.SecureSumFactory(bound)
  if weighted:
    result = mean.MeanFactory(
        value_sum_factory=values,
        weight_sum_factory=secure_sum_factory.SecureSumFactory(
            float(2**20 - 1), 0.0))
  else:
    result = mean.UnweightedMeanFactory(
        value_sum_factory=values,
        count_sum_factory=secure_sum_factory.SecureSumFactory(1, 0))
  if clipping:
    result = presets.default_clipping(result, secure_estimation=True)
  if zeroing:
    result = presets.default_zeroing(result, secure_estimation=True)
  return result
