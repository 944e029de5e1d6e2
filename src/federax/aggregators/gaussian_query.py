"""The Gaussian sum query, the normalized query and the exact average.

As in TF Privacy: `GaussianSumQuery(l2_norm_clip, stddev)` clips each
record to an L2 norm and adds N(0, stddev^2) noise to the sum;
`NormalizedQuery(numerator, denominator)` divides another query's result
by a fixed denominator (the expected number of clients), and
`NoPrivacyAverageQuery` is the exact average, with no noise.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from federax.aggregators import dp_checks
from federax.aggregators import dp_query
from federax.aggregators import noise
from federax.aggregators import norms


class GaussianSumQuery(dp_query.SumAggregationDPQuery):
  """Clips each record to L2 norm `l2_norm_clip`; adds N(0, stddev^2) noise.

  The DP event of a round is `GaussianDpEvent(stddev / l2_norm_clip)`.

  Example:
    >>> import numpy as np, federax as fx
    >>> query = fx.aggregators.GaussianSumQuery(l2_norm_clip=1.0, stddev=0.0)
    >>> agg = fx.aggregators.DifferentiallyPrivateFactory(query).create(
    ...     fx.TensorType(np.float32, [2]))
    >>> print(agg.next(agg.initialize(), [[3.0, 4.0], [0.5, 0.0]]).result)
    [1.1 0.8]
  """

  class GlobalState(NamedTuple):
    l2_norm_clip: Any
    stddev: Any

  def __init__(self, l2_norm_clip: float, stddev: float):
    who = 'GaussianSumQuery'
    self._l2_norm_clip = dp_checks.positive(l2_norm_clip, 'l2_norm_clip', who)
    self._stddev = dp_checks.nonnegative(stddev, 'stddev', who,
                                         'Pass 0.0 for no noise.')

  @property
  def noise_multiplier(self) -> float:
    return self._stddev / self._l2_norm_clip

  def make_global_state(self, l2_norm_clip, stddev) -> 'GlobalState':
    import jax.numpy as jnp
    return self.GlobalState(jnp.asarray(l2_norm_clip, jnp.float32),
                            jnp.asarray(stddev, jnp.float32))

  def initial_global_state(self):
    return self.make_global_state(self._l2_norm_clip, self._stddev)

  def derive_sample_params(self, global_state):
    return global_state.l2_norm_clip

  def preprocess_record_impl(self, params, record):
    """`(clipped_record, norm_before_clipping)`."""
    return norms.clip_by_global_l2_norm(record, params)

  def preprocess_record(self, params, record):
    return self.preprocess_record_impl(params, record)[0]

  def get_noised_result(self, sample_state, global_state, key):
    import dp_accounting
    result = noise.add_gaussian_noise(key, sample_state, global_state.stddev)
    return (result, global_state,
            dp_accounting.GaussianDpEvent(self.noise_multiplier))


class NormalizedQuery(dp_query.SumAggregationDPQuery):
  """Another sum query's result divided by a fixed `denominator`.

  With `denominator` the expected number of clients per round, this is a
  private mean whose sensitivity does not depend on the actual count.

  Example:
    >>> import numpy as np, federax as fx
    >>> query = fx.aggregators.NormalizedQuery(
    ...     fx.aggregators.GaussianSumQuery(10.0, 0.0), denominator=4.0)
    >>> agg = fx.aggregators.DifferentiallyPrivateFactory(query).create(
    ...     fx.TensorType(np.float32))
    >>> float(agg.next(agg.initialize(), [1.0, 2.0, 3.0]).result)
    1.5
  """

  class GlobalState(NamedTuple):
    numerator_state: Any
    denominator: Any

  def __init__(self, numerator_query, denominator: float):
    who = 'NormalizedQuery'
    if not isinstance(numerator_query, dp_query.SumAggregationDPQuery):
      raise TypeError(f'{who}: numerator_query: expected an fx.aggregators.'
                      f'SumAggregationDPQuery (e.g. GaussianSumQuery(1.0, '
                      f'0.5)), got {dp_checks.describe(numerator_query)}.')
    self._numerator = numerator_query
    self._denominator = dp_checks.positive(denominator, 'denominator', who)

  @property
  def numerator_query(self):
    return self._numerator

  @property
  def denominator(self) -> float:
    return self._denominator

  def initial_global_state(self):
    import jax.numpy as jnp
    return self.GlobalState(self._numerator.initial_global_state(),
                            jnp.asarray(self._denominator, jnp.float32))

  def derive_sample_params(self, global_state):
    return self._numerator.derive_sample_params(global_state.numerator_state)

  def initial_sample_state(self, template):
    return self._numerator.initial_sample_state(template)

  def preprocess_record(self, params, record):
    return self._numerator.preprocess_record(params, record)

  def accumulate_preprocessed_record(self, sample_state, preprocessed_record):
    return self._numerator.accumulate_preprocessed_record(
        sample_state, preprocessed_record)

  def merge_sample_states(self, sample_state_1, sample_state_2):
    return self._numerator.merge_sample_states(sample_state_1, sample_state_2)

  def get_noised_result(self, sample_state, global_state, key):
    import jax
    total, numerator_state, event = self._numerator.get_noised_result(
        sample_state, global_state.numerator_state, key)
    mean = jax.tree.map(
        lambda x: x / global_state.denominator.astype(x.dtype), total)
    return mean, self.GlobalState(numerator_state,
                                  global_state.denominator), event

  def derive_metrics(self, global_state):
    return self._numerator.derive_metrics(global_state.numerator_state)

  def rounds_dp_event(self, round_event, num_rounds: int):
    return self._numerator.rounds_dp_event(round_event, num_rounds)


class NoPrivacyAverageQuery(dp_query.SumAggregationDPQuery):
  """The exact average of the records (0 with no records); not private.

  Each record is accumulated with a count of 1; the result is the sum over
  the count. The DP event is `NonPrivateDpEvent`.
  """

  def initial_sample_state(self, template):
    import jax.numpy as jnp
    return (super().initial_sample_state(template), jnp.float32(0.0))

  def preprocess_record(self, params, record):
    import jax.numpy as jnp
    del params
    return record, jnp.float32(1.0)

  def get_noised_result(self, sample_state, global_state, key):
    import dp_accounting
    import jax
    import jax.numpy as jnp
    del key
    total, count = sample_state
    safe = jnp.where(count == 0, 1.0, count)
    mean = jax.tree.map(
        lambda x: jnp.where(count == 0, jnp.zeros_like(x),
                            x / safe.astype(x.dtype)), total)
    return mean, global_state, dp_accounting.NonPrivateDpEvent()
