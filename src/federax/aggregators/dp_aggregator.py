"""`dp_aggregator`: TFF's preset for differentially private learning.

Adaptive zeroing of very large updates (robustness to corrupted clients),
then `DifferentiallyPrivateFactory.gaussian_adaptive`: adaptive clipping to
the median norm and Gaussian noise, divided by `clients_per_round`.
"""

from __future__ import annotations

import math

from federax.aggregators import clipping
from federax.aggregators import differential_privacy
from federax.aggregators import quantile_estimation


def default_zeroing(inner_factory):
  """TFF's default adaptive zeroing around `inner_factory`.

  The norm is `2 * C + 1` with `C` the 0.98 quantile of the L-infinity
  norms (starting at 10, learning rate `log(10)`): values far larger than
  nearly all others are zeroed.
  """
  norm = quantile_estimation.PrivateQuantileEstimationProcess.no_noise(
      initial_estimate=10.0, target_quantile=0.98,
      learning_rate=math.log(10.0), multiplier=2.0, increment=1.0)
  return clipping.zeroing_factory(norm, inner_factory, norm_order=math.inf)


def dp_aggregator(noise_multiplier: float, clients_per_round: float,
                  zeroing: bool = True, *, noise_seed: int | None = None):
  """An unweighted DP mean: adaptive zeroing, adaptive clipping and noise.

  For DP FedAvg (McMahan et al. 2017, with the adaptive clipping of Andrew
  et al. 2019), pass it as `model_aggregator` of
  `fx.learning.algorithms.build_weighted_fed_avg` (every client then
  counts once). `noise_multiplier` of 1.0 or more gives meaningful
  privacy; `fx.aggregators.compute_epsilon(aggregator, rounds, delta,
  population_size=...)` tells how much.

  Example:
    >>> import numpy as np, federax as fx
    >>> agg = fx.aggregators.dp_aggregator(
    ...     noise_multiplier=0.0, clients_per_round=2).create(
    ...     fx.TensorType(np.float32))
    >>> output = agg.next(agg.initialize(), [0.05, -0.03])
    >>> round(float(output.result), 4)
    0.01
    >>> sorted(output.measurements)
    ['zeroed_count', 'zeroing', 'zeroing_norm']
  """
  factory = differential_privacy.DifferentiallyPrivateFactory.gaussian_adaptive(
      noise_multiplier, clients_per_round, noise_seed=noise_seed)
  if not isinstance(zeroing, bool):
    raise TypeError(f'dp_aggregator: zeroing: expected a bool, got '
                    f'{type(zeroing).__name__}.')
  return default_zeroing(factory) if zeroing else factory
