"""Quantile estimation and adaptive clipping as DP queries (TF Privacy's).

`QuantileEstimatorQuery` tracks a quantile of scalar records (client
update norms): each round it privately estimates the fraction of records
at or below the current estimate and moves the estimate towards the
target quantile, geometrically (`estimate * exp(-lr * (fraction -
target))`) or arithmetically (Andrew et al. 2019, "Differentially Private
Learning with Adaptive Clipping", arXiv:1905.03871).
`QuantileAdaptiveClipSumQuery` is a Gaussian sum whose clipping norm is
such a quantile of the norms of the records it clips.
"""

from __future__ import annotations

import collections
from typing import Any, NamedTuple

from federax.aggregators import dp_checks
from federax.aggregators import dp_query
from federax.aggregators import gaussian_query
from federax.aggregators import noise


class QuantileEstimatorQuery(dp_query.SumAggregationDPQuery):
  """Estimates the `target_quantile` of scalar records, privately.

  A record counts `+0.5` if it is at most the estimate and `-0.5` if not
  (sensitivity 0.5); the sum gets N(0, below_estimate_stddev^2) noise and
  is divided by `expected_num_records`. The result of a round is the new
  estimate.

  Example:
    >>> import numpy as np, federax as fx
    >>> query = fx.aggregators.QuantileEstimatorQuery(
    ...     initial_estimate=1.0, target_quantile=0.5, learning_rate=0.5,
    ...     below_estimate_stddev=0.0, expected_num_records=4)
    >>> process = fx.aggregators.PrivateQuantileEstimationProcess(query)
    >>> state = process.next(process.initialize(), [2.0, 3.0, 4.0, 5.0])
    >>> round(float(process.report(state)), 4)  # exp(0.5 * 0.5)
    1.284
  """

  class GlobalState(NamedTuple):
    current_estimate: Any
    target_quantile: Any
    learning_rate: Any
    below_estimate_state: Any

  class SampleParams(NamedTuple):
    current_estimate: Any
    below_estimate_params: Any

  def __init__(self, initial_estimate: float, target_quantile: float,
               learning_rate: float, below_estimate_stddev: float,
               expected_num_records: float, geometric_update: bool = True):
    who = type(self).__name__
    self._initial_estimate = dp_checks.number(initial_estimate,
                                              'initial_estimate', who)
    if geometric_update:
      dp_checks.positive(initial_estimate, 'initial_estimate', who,
                         'A geometric update needs a positive estimate.')
    self._target_quantile = dp_checks.probability(target_quantile,
                                                  'target_quantile', who)
    self._learning_rate = dp_checks.nonnegative(learning_rate,
                                                'learning_rate', who)
    self._geometric_update = bool(geometric_update)
    self._below_estimate_query = self._below_query(below_estimate_stddev,
                                                   expected_num_records, who)

  def _below_query(self, stddev, expected_num_records, who):
    stddev = dp_checks.nonnegative(stddev, 'below_estimate_stddev', who,
                                   'Pass 0.0 for no noise.')
    expected = dp_checks.positive(expected_num_records,
                                  'expected_num_records', who)
    return gaussian_query.NormalizedQuery(
        gaussian_query.GaussianSumQuery(0.5, stddev), expected)

  def initial_global_state(self):
    import jax.numpy as jnp
    f32 = jnp.float32
    return self.GlobalState(f32(self._initial_estimate),
                            f32(self._target_quantile),
                            f32(self._learning_rate),
                            self._below_estimate_query.initial_global_state())

  def derive_sample_params(self, global_state):
    return self.SampleParams(
        global_state.current_estimate,
        self._below_estimate_query.derive_sample_params(
            global_state.below_estimate_state))

  def initial_sample_state(self, template=None):
    import jax.numpy as jnp
    del template  # Records are scalars.
    return self._below_estimate_query.initial_sample_state(jnp.float32(0.0))

  def preprocess_record(self, params, record):
    import jax.numpy as jnp
    below = (jnp.asarray(record, jnp.float32) <= params.current_estimate
             ).astype(jnp.float32) - 0.5
    return self._below_estimate_query.preprocess_record(
        params.below_estimate_params, below)

  def get_noised_result(self, sample_state, global_state, key):
    import jax.numpy as jnp
    below, below_state, event = self._below_estimate_query.get_noised_result(
        sample_state, global_state.below_estimate_state, key)
    fraction = jnp.clip(below + 0.5, 0.0, 1.0)
    update = global_state.learning_rate * (fraction -
                                           global_state.target_quantile)
    if self._geometric_update:
      estimate = global_state.current_estimate * jnp.exp(-update)
    else:
      estimate = global_state.current_estimate - update
    return estimate, global_state._replace(
        current_estimate=estimate, below_estimate_state=below_state), event


class NoPrivacyQuantileEstimatorQuery(QuantileEstimatorQuery):
  """`QuantileEstimatorQuery` with the exact fraction: no noise, not private.

  Example:
    >>> import federax as fx
    >>> query = fx.aggregators.NoPrivacyQuantileEstimatorQuery(1.0, 0.5, 0.2)
    >>> float(query.initial_global_state().current_estimate)
    1.0
  """

  def __init__(self, initial_estimate: float, target_quantile: float,
               learning_rate: float, geometric_update: bool = True):
    super().__init__(initial_estimate, target_quantile, learning_rate, None,
                     None, geometric_update)

  def _below_query(self, stddev, expected_num_records, who):
    del stddev, expected_num_records, who
    return gaussian_query.NoPrivacyAverageQuery()


class QuantileAdaptiveClipSumQuery(dp_query.SumAggregationDPQuery):
  """A Gaussian sum whose clip adapts to a quantile of the record norms.

  The noise stddev is `noise_multiplier` times the current clip. The
  fraction of unclipped records is estimated with N(0,
  clipped_count_stddev^2) noise on the count; the clip then moves towards
  the `target_unclipped_quantile` of the norms at `learning_rate`. The DP
  event of a round composes the two Gaussian mechanisms. Metrics:
  `clip`, the clip used next round.

  Example:
    >>> import numpy as np, federax as fx
    >>> query = fx.aggregators.QuantileAdaptiveClipSumQuery(
    ...     initial_l2_norm_clip=1.0, noise_multiplier=0.0,
    ...     target_unclipped_quantile=0.5, learning_rate=0.2,
    ...     clipped_count_stddev=0.0, expected_num_records=2)
    >>> agg = fx.aggregators.DifferentiallyPrivateFactory(query).create(
    ...     fx.TensorType(np.float32))
    >>> output = agg.next(agg.initialize(), [4.0, -0.5])
    >>> metrics = output.measurements['dp_query_metrics']
    >>> float(output.result), float(metrics['clip'])
    (0.5, 1.0)
  """

  class GlobalState(NamedTuple):
    noise_multiplier: Any
    sum_state: Any
    quantile_estimator_state: Any

  class SampleState(NamedTuple):
    sum_state: Any
    quantile_estimator_state: Any

  class SampleParams(NamedTuple):
    sum_params: Any
    quantile_estimator_params: Any

  def __init__(self, initial_l2_norm_clip: float, noise_multiplier: float,
               target_unclipped_quantile: float, learning_rate: float,
               clipped_count_stddev: float, expected_num_records: float,
               geometric_update: bool = True):
    who = 'QuantileAdaptiveClipSumQuery'
    self._noise_multiplier = dp_checks.nonnegative(
        noise_multiplier, 'noise_multiplier', who, 'Pass 0.0 for no noise.')
    clip = dp_checks.positive(initial_l2_norm_clip, 'initial_l2_norm_clip',
                              who)
    self._quantile_estimator_query = QuantileEstimatorQuery(
        clip, target_unclipped_quantile, learning_rate, clipped_count_stddev,
        expected_num_records, geometric_update)
    self._sum_query = gaussian_query.GaussianSumQuery(
        clip, self._noise_multiplier * clip)

  @property
  def noise_multiplier(self) -> float:
    return self._noise_multiplier

  def initial_global_state(self):
    import jax.numpy as jnp
    return self.GlobalState(
        jnp.float32(self._noise_multiplier),
        self._sum_query.initial_global_state(),
        self._quantile_estimator_query.initial_global_state())

  def derive_sample_params(self, global_state):
    return self.SampleParams(
        self._sum_query.derive_sample_params(global_state.sum_state),
        self._quantile_estimator_query.derive_sample_params(
            global_state.quantile_estimator_state))

  def initial_sample_state(self, template):
    return self.SampleState(
        self._sum_query.initial_sample_state(template),
        self._quantile_estimator_query.initial_sample_state())

  def preprocess_record(self, params, record):
    clipped, norm = self._sum_query.preprocess_record_impl(params.sum_params,
                                                           record)
    unclipped = self._quantile_estimator_query.preprocess_record(
        params.quantile_estimator_params, norm)
    return self.SampleState(clipped, unclipped)

  def get_noised_result(self, sample_state, global_state, key):
    import dp_accounting
    import jax.numpy as jnp
    sum_key, quantile_key = noise.split(key)
    noised, _, sum_event = self._sum_query.get_noised_result(
        sample_state.sum_state, global_state.sum_state, sum_key)
    clip, quantile_state, quantile_event = (
        self._quantile_estimator_query.get_noised_result(
            sample_state.quantile_estimator_state,
            global_state.quantile_estimator_state, quantile_key))
    clip = jnp.maximum(clip, 0.0)
    sum_state = self._sum_query.make_global_state(
        clip, clip * global_state.noise_multiplier)
    event = dp_accounting.ComposedDpEvent([sum_event, quantile_event])
    return noised, self.GlobalState(global_state.noise_multiplier, sum_state,
                                    quantile_state), event

  def derive_metrics(self, global_state):
    return collections.OrderedDict(clip=global_state.sum_state.l2_norm_clip)
