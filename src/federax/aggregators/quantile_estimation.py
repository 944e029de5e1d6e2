"""`PrivateQuantileEstimationProcess`: a quantile of client values, adapted.

An `fx.templates.EstimationProcess` whose `next(state, values@CLIENTS)`
moves an estimate towards a target quantile of the clients' scalar values
(a `QuantileEstimatorQuery`, private or not), and whose `report(state)` is
the estimate at SERVER. Clipping and zeroing factories take one as an
adaptive norm.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from federax.aggregators import dp_checks
from federax.aggregators import factory
from federax.aggregators import noise
from federax.aggregators import quantile_query
from federax.aggregators import query_computations
from federax.core import federated_computation
from federax.core import intrinsics
from federax.core import jax_computation
from federax.core import placements
from federax.core import types
from federax.templates import estimation_process

VALUE_TYPE = types.TensorType('float32')


class QuantileEstimationState(NamedTuple):
  """The state of a `PrivateQuantileEstimationProcess`."""
  query_state: Any
  agg_state: Any
  noise_key: Any


class PrivateQuantileEstimationProcess(estimation_process.EstimationProcess):
  """Estimates a quantile of `float32@CLIENTS` values round after round.

  `next` has type `(<state@SERVER, {float32}@CLIENTS> -> state@SERVER)`;
  `report(state)` is the current estimate, `float32@SERVER`. The counts of
  values below the estimate are summed by `record_aggregation_factory`
  (`SumFactory()` by default); the query's noise uses a PRNG key in the
  state, seeded by `noise_seed`.

  Example:
    >>> import federax as fx
    >>> process = fx.aggregators.PrivateQuantileEstimationProcess.no_noise(
    ...     initial_estimate=1.0, target_quantile=0.5, learning_rate=0.2)
    >>> state = process.initialize()
    >>> for _ in range(3):
    ...   state = process.next(state, [4.0, 5.0, 6.0])  # All above: grows.
    >>> round(float(process.report(state)), 4)  # exp(3 * 0.2 * 0.5)
    1.3499
  """

  def __init__(self, quantile_estimator_query,
               record_aggregation_factory=None, *,
               noise_seed: int | None = None):
    who = 'PrivateQuantileEstimationProcess'
    if not isinstance(quantile_estimator_query,
                      quantile_query.QuantileEstimatorQuery):
      raise TypeError(
          f'{who}: quantile_estimator_query: expected an fx.aggregators.'
          f'QuantileEstimatorQuery (or NoPrivacyQuantileEstimatorQuery), got '
          f'{dp_checks.describe(quantile_estimator_query)}.')
    if record_aggregation_factory is not None and not isinstance(
        record_aggregation_factory, factory.UnweightedAggregationFactory):
      raise TypeError(
          f'{who}: record_aggregation_factory: expected an unweighted '
          f'aggregation factory (e.g. fx.aggregators.SumFactory()), got '
          f'{dp_checks.describe(record_aggregation_factory)}.')
    self.query = quantile_estimator_query
    comps = query_computations.QueryComputations(
        quantile_estimator_query, VALUE_TYPE, record_aggregation_factory)
    initial_key = noise.initial_key_fn(dp_checks.seed(noise_seed, who))

    @federated_computation.federated_computation()
    def init_fn():
      return intrinsics.federated_zip(QuantileEstimationState(
          intrinsics.federated_eval(comps.initial_state, placements.SERVER),
          comps.initialize_aggregation(),
          intrinsics.federated_eval(initial_key, placements.SERVER)))

    @federated_computation.federated_computation(
        init_fn.type_signature.result, types.type_at_clients(VALUE_TYPE))
    def next_fn(state, value):
      _, query_state, key, agg_state, _ = comps.aggregate(
          state.query_state, state.agg_state, state.noise_key, value)
      return intrinsics.federated_zip(
          QuantileEstimationState(query_state, agg_state, key))

    estimate = jax_computation.jax_computation(
        lambda s: s.query_state.current_estimate,
        init_fn.type_signature.result.member)
    super().__init__(init_fn, next_fn, estimate)

  @classmethod
  def no_noise(cls, initial_estimate: float, target_quantile: float,
               learning_rate: float, multiplier: float = 1.0,
               increment: float = 0.0, secure_estimation: bool = False):
    """Estimates `C`, the `target_quantile`, and reports `multiplier * C +
    increment`; geometric updates (Andrew et al. 2019), no noise, so no
    privacy.

    With `secure_estimation`, the counts are summed with
    `fx.aggregators.SecureSumFactory(1.0)`.
    """
    who = 'PrivateQuantileEstimationProcess.no_noise'
    dp_checks.positive(initial_estimate, 'initial_estimate', who)
    dp_checks.probability(target_quantile, 'target_quantile', who)
    dp_checks.positive(learning_rate, 'learning_rate', who)
    multiplier = dp_checks.positive(multiplier, 'multiplier', who)
    increment = dp_checks.nonnegative(increment, 'increment', who)
    record_factory = None
    if secure_estimation:
      from federax import aggregators
      secure_sum = getattr(aggregators, 'SecureSumFactory', None)
      if secure_sum is None:
        raise NotImplementedError(f'{who}: secure_estimation needs '
                                  f'fx.aggregators.SecureSumFactory.')
      record_factory = secure_sum(1.0)
    process = cls(quantile_query.NoPrivacyQuantileEstimatorQuery(
        initial_estimate, target_quantile, learning_rate,
        geometric_update=True), record_factory)
    if multiplier == 1.0 and increment == 0.0:
      return process
    return process.map(jax_computation.jax_computation(
        lambda c: multiplier * c + increment, VALUE_TYPE))
