"""`robust_aggregator` (TFF's preset, with Byzantine-robust estimators) and
`norm_bounded_mean`."""

from __future__ import annotations

import math

from federax.aggregators import clipping as clipping_lib
from federax.aggregators import factory
from federax.aggregators import factory_utils
from federax.aggregators import mean
from federax.aggregators import quantile_estimation
from federax.aggregators.robust import factories

_Quantile = quantile_estimation.PrivateQuantileEstimationProcess


def _secure_counts(secure_estimation: bool):
  if not secure_estimation:
    return None
  from federax.aggregators import secure_sum_factory
  return secure_sum_factory.SecureSumFactory(1, 0)


def default_zeroing(inner, secure_estimation: bool = False):
  """TFF's adaptive zeroing: values whose L-infinity norm exceeds twice the
  estimated 0.98 quantile plus one are zeroed (counts summed securely with
  `secure_estimation`)."""
  norm = _Quantile.no_noise(
      initial_estimate=10.0, target_quantile=0.98,
      learning_rate=math.log(10.0), multiplier=2.0, increment=1.0,
      secure_estimation=secure_estimation)
  return clipping_lib.zeroing_factory(
      norm, inner, norm_order=math.inf,
      zeroed_count_sum_factory=_secure_counts(secure_estimation))


def default_clipping(inner, secure_estimation: bool = False):
  """TFF's adaptive clipping: L2 norms clipped to the estimated 0.8
  quantile (counts summed securely with `secure_estimation`)."""
  norm = _Quantile.no_noise(initial_estimate=1.0, target_quantile=0.8,
                            learning_rate=0.2,
                            secure_estimation=secure_estimation)
  return clipping_lib.clipping_factory(
      norm, inner, clipped_count_sum_factory=_secure_counts(secure_estimation))


def check_flags(who: str, **flags) -> None:
  for name, flag in flags.items():
    if not isinstance(flag, bool):
      raise TypeError(f'{who}: {name}: expected a bool, got '
                      f'{type(flag).__name__}.')


def _estimator(estimator, weighted: bool):
  who = 'robust_aggregator'
  if isinstance(estimator, str):
    named = {'mean': None, 'median': factories.CoordinateWiseMedianFactory,
             'trimmed_mean': factories.TrimmedMeanFactory}
    if estimator not in named:
      raise ValueError(f"{who}: estimator: expected 'mean', 'median', "
                       f"'trimmed_mean' or an unweighted factory (e.g. "
                       f"fx.aggregators.KrumFactory(2)), got {estimator!r}.")
    if named[estimator] is None:
      return mean.MeanFactory() if weighted else mean.UnweightedMeanFactory()
    estimator = named[estimator]()
  if not isinstance(estimator, factory.UnweightedAggregationFactory):
    raise TypeError(f'{who}: estimator: expected a name or an unweighted '
                    f'aggregation factory, got {type(estimator).__name__}.')
  return (factory_utils.as_weighted_aggregator(estimator) if weighted else
          estimator)


def robust_aggregator(zeroing: bool = True, clipping: bool = True,
                      weighted: bool = True, *, estimator='mean',
                      debug_measurements_fn=None):
  """TFF's robust preset: a mean inside adaptive clipping and zeroing,
  with the mean optionally replaced by a Byzantine-robust estimator.

  With `estimator='mean'` this is TFF's `robust_aggregator`: values with
  extreme norms are zeroed (robustness to corrupted clients) and the rest
  clipped to a moderately high L2 norm, both norms estimated each round
  from quantiles of the clients' norms. `estimator` may instead be
  `'median'` (`CoordinateWiseMedianFactory()`), `'trimmed_mean'`
  (`TrimmedMeanFactory()`) or any unweighted factory such as
  `KrumFactory(num_byzantine)`; these ignore weights (`weighted=True` only
  makes the factory weighted). `debug_measurements_fn`, if given, takes the
  inner factory and returns one to use.

  Example:
    >>> import numpy as np, federax as fx
    >>> process = fx.aggregators.robust_aggregator(
    ...     estimator='median').create(fx.TensorType(np.float32, [2]),
    ...                                fx.TensorType(np.float32))
    >>> output = process.next(process.initialize(),
    ...                       [[0.1, 0.2], [0.3, 0.0], [50.0, -50.0]],
    ...                       [1.0, 1.0, 1.0])
    >>> print(output.result.round(3))  # [50, -50] was zeroed.
    [0.1 0. ]
    >>> sorted(output.measurements)
    ['zeroed_count', 'zeroing', 'zeroing_norm']
  """
  who = 'robust_aggregator'
  check_flags(who, zeroing=zeroing, clipping=clipping, weighted=weighted)
  result = _estimator(estimator, weighted)
  if debug_measurements_fn is not None:
    result = debug_measurements_fn(result)
    kind = (factory.WeightedAggregationFactory if weighted else
            factory.UnweightedAggregationFactory)
    if not isinstance(result, kind):
      raise TypeError(f'{who}: debug_measurements_fn: expected it to return '
                      f'a {kind.__name__} (weighted={weighted}), got '
                      f'{type(result).__name__}.')
  if clipping:
    result = default_clipping(result)
  if zeroing:
    result = default_zeroing(result)
  return result


def norm_bounded_mean(norm_bound, weighted: bool = True):
  """The mean of client values clipped to L2 norm `norm_bound`: the
  norm-bounding defence against backdoors of Sun et al. (2019).

  `norm_bound` is a float or an `EstimationProcess` (an adaptive bound);
  this is `clipping_factory(norm_bound, MeanFactory())` (or
  `UnweightedMeanFactory()`), with its measurements `<clipping,
  clipping_norm, clipped_count>`.

  Example:
    >>> import numpy as np, federax as fx
    >>> process = fx.aggregators.norm_bounded_mean(1.0, weighted=False).create(
    ...     fx.TensorType(np.float32, [2]))
    >>> output = process.next(process.initialize(), [[0.0, 0.5], [30.0, 40.0]])
    >>> print(output.result.round(3), int(output.measurements['clipped_count']))
    [0.3  0.65] 1
  """
  check_flags('norm_bounded_mean', weighted=weighted)
  inner = mean.MeanFactory() if weighted else mean.UnweightedMeanFactory()
  return clipping_lib.clipping_factory(norm_bound, inner)
