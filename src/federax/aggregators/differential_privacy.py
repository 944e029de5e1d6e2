"""`DifferentiallyPrivateFactory`: aggregation by a `DPQuery`, with presets.

The created process broadcasts the query's sample parameters, preprocesses
(clips) each client value, sums the records (through
`record_aggregation_factory`, `SumFactory()` by default) and noises the
sum at the server. Its state is `DPAggregatorState(query_state, agg_state,
noise_key)`: the query's global state, the record aggregation's state and
the JAX PRNG key the noise is drawn with (seeded by `noise_seed`, so runs
are reproducible). Measurements: `<dp_query_metrics, dp>` (the query's
metrics and the record aggregation's measurements), as in TFF.

`factory.dp_event(num_rounds, population_size=None)` is the
`dp_accounting.DpEvent` of a run, and
`fx.aggregators.compute_epsilon(factory, num_rounds, delta)` its epsilon.
"""

from __future__ import annotations

import collections
from typing import Any, NamedTuple
import warnings

from federax.aggregators import dp_checks
from federax.aggregators import dp_query
from federax.aggregators import factory
from federax.aggregators import gaussian_query
from federax.aggregators import noise
from federax.aggregators import quantile_query
from federax.aggregators import query_computations
from federax.aggregators import tree_query
from federax.core import federated_computation
from federax.core import intrinsics
from federax.core import placements
from federax.core import types
from federax.templates import aggregation_process
from federax.templates import measured_process


class DPAggregatorState(NamedTuple):
  """The state of a private aggregation process."""
  query_state: Any
  agg_state: Any
  noise_key: Any


def adaptive_clip_noise_params(noise_multiplier: float,
                               expected_clients_per_round: float,
                               clipped_count_stddev: float | None = None):
  """`(value_noise_multiplier, clipped_count_stddev)` for adaptive clipping.

  The clipped count is noised too (stddev `clipped_count_stddev`, default
  `0.05 * expected_clients_per_round`), so the values get a slightly larger
  noise multiplier for the two together to be as private as a Gaussian
  mechanism with `noise_multiplier`: `(z^-2 - (2 s)^-2)^-1/2`.

  Example:
    >>> from federax.aggregators import differential_privacy as dp
    >>> [round(x, 4) for x in dp.adaptive_clip_noise_params(1.0, 100)]
    [1.005, 5.0]
  """
  who = 'adaptive_clip_noise_params'
  if noise_multiplier <= 0:
    return 0.0, 0.0 if clipped_count_stddev is None else clipped_count_stddev
  if clipped_count_stddev is None:
    clipped_count_stddev = 0.05 * expected_clients_per_round
  if noise_multiplier >= 2 * clipped_count_stddev:
    raise ValueError(
        f'{who}: clipped_count_stddev: {clipped_count_stddev} (0.05 * '
        f'clients_per_round unless given) is too low for noise_multiplier '
        f'{noise_multiplier}: it must exceed noise_multiplier / 2. Pass a '
        f'larger clipped_count_stddev or more clients_per_round.')
  value_noise_multiplier = (noise_multiplier**-2 -
                            (2 * clipped_count_stddev)**-2)**-0.5
  if value_noise_multiplier / noise_multiplier >= 2:
    warnings.warn(f'{who}: the values get {value_noise_multiplier:.3g} '
                  f'times the clip as noise (for noise_multiplier '
                  f'{noise_multiplier}); increase clipped_count_stddev or '
                  f'clients_per_round to add less.')
  return value_noise_multiplier, clipped_count_stddev


class DifferentiallyPrivateFactory(factory.UnweightedAggregationFactory):
  """An unweighted aggregation by a `DPQuery` (TFF's, on JAX).

  `record_aggregation_factory` sums the preprocessed records of a
  `SumAggregationDPQuery` (it must not increase their sensitivity); any
  other `DPQuery` is aggregated with its own accumulate and merge. The
  noise comes from a PRNG key seeded with `noise_seed` (drawn from the
  operating system when None).

  Example:
    >>> import numpy as np, federax as fx
    >>> dp = fx.aggregators.DifferentiallyPrivateFactory.gaussian_fixed(
    ...     noise_multiplier=0.0, clients_per_round=2, clip=1.0)
    >>> agg = dp.create(fx.TensorType(np.float32, [2]))
    >>> print(agg.next(agg.initialize(), [[3.0, 4.0], [0.0, 0.2]]).result)
    [0.3 0.5]
  """

  def __init__(self, query: dp_query.DPQuery,
               record_aggregation_factory=None, *,
               noise_seed: int | None = None,
               clients_per_round: float | None = None):
    who = 'DifferentiallyPrivateFactory'
    if not isinstance(query, dp_query.DPQuery):
      raise TypeError(f'{who}: query: expected an fx.aggregators.DPQuery '
                      f'(e.g. GaussianSumQuery(1.0, 0.5), or a subclass of '
                      f'your own), got {dp_checks.describe(query)}.')
    if record_aggregation_factory is not None:
      if not isinstance(record_aggregation_factory,
                        factory.UnweightedAggregationFactory):
        raise TypeError(
            f'{who}: record_aggregation_factory: expected an unweighted '
            f'aggregation factory (e.g. fx.aggregators.SumFactory()), got '
            f'{dp_checks.describe(record_aggregation_factory)}.')
      if not isinstance(query, dp_query.SumAggregationDPQuery):
        raise TypeError(
            f'{who}: record_aggregation_factory: only a '
            f'SumAggregationDPQuery\'s records can be summed by a factory, '
            f'got a {dp_checks.describe(query)}. Leave it None to use the '
            f'query\'s own accumulate and merge.')
    self._query = query
    self._record_aggregation_factory = record_aggregation_factory
    self._noise_seed = dp_checks.seed(noise_seed, who)
    if clients_per_round is None and isinstance(
        query, gaussian_query.NormalizedQuery):
      clients_per_round = query.denominator
    if clients_per_round is not None:
      clients_per_round = dp_checks.clients_per_round(clients_per_round, who)
    self._clients_per_round = clients_per_round
    self._value_type = _tree_record_type(query)

  @classmethod
  def gaussian_fixed(cls, noise_multiplier: float, clients_per_round: float,
                     clip: float, *, noise_seed: int | None = None):
    """Clips to L2 norm `clip`, sums, adds N(0, (clip * z)^2), divides by
    `clients_per_round` (McMahan et al. 2017, arXiv:1710.06963)."""
    who = 'DifferentiallyPrivateFactory.gaussian_fixed'
    z = dp_checks.nonnegative(noise_multiplier, 'noise_multiplier', who,
                              'Pass 0.0 for no noise.')
    n = dp_checks.clients_per_round(clients_per_round, who)
    clip = dp_checks.positive(clip, 'clip', who)
    return cls(gaussian_query.NormalizedQuery(
        gaussian_query.GaussianSumQuery(clip, clip * z), n),
               noise_seed=noise_seed)

  @classmethod
  def gaussian_adaptive(cls, noise_multiplier: float,
                        clients_per_round: float,
                        initial_l2_norm_clip: float = 0.1,
                        target_unclipped_quantile: float = 0.5,
                        learning_rate: float = 0.2,
                        clipped_count_stddev: float | None = None, *,
                        noise_seed: int | None = None):
    """Like `gaussian_fixed`, the clip adapting to the target quantile of
    the client norms (Andrew et al. 2019, arXiv:1905.03871, geometric).

    `noise_multiplier` is the effective one, counting the privacy spent on
    the clipped count (see `adaptive_clip_noise_params`).
    """
    who = 'DifferentiallyPrivateFactory.gaussian_adaptive'
    z = dp_checks.nonnegative(noise_multiplier, 'noise_multiplier', who,
                              'Pass 0.0 for no noise.')
    n = dp_checks.clients_per_round(clients_per_round, who)
    clip = dp_checks.positive(initial_l2_norm_clip, 'initial_l2_norm_clip',
                              who)
    quantile = dp_checks.probability(target_unclipped_quantile,
                                     'target_unclipped_quantile', who)
    rate = dp_checks.nonnegative(learning_rate, 'learning_rate', who)
    if clipped_count_stddev is not None:
      clipped_count_stddev = dp_checks.nonnegative(
          clipped_count_stddev, 'clipped_count_stddev', who)
    value_z, count_stddev = adaptive_clip_noise_params(z, n,
                                                       clipped_count_stddev)
    query = quantile_query.QuantileAdaptiveClipSumQuery(
        clip, value_z, quantile, rate, count_stddev, n, geometric_update=True)
    return cls(gaussian_query.NormalizedQuery(query, n), noise_seed=noise_seed)

  @classmethod
  def tree_aggregation(cls, noise_multiplier: float, clients_per_round: float,
                       l2_norm_clip: float, record_specs,
                       noise_seed: int | None = None,
                       use_efficient: bool = True,
                       record_aggregation_factory=None, *,
                       tree_depth: int = 16):
    """DP-FTRL: clipped sums with tree noise, divided by
    `clients_per_round` (see `fx.aggregators.TreeResidualSumQuery`).

    Each tree node's noise has stddev `l2_norm_clip * noise_multiplier`
    (before the division). Use it with SGD on the server (FedAvg's default
    server optimizer) for DP-FTRL. `record_specs` is the value type.
    """
    who = 'DifferentiallyPrivateFactory.tree_aggregation'
    z = dp_checks.nonnegative(noise_multiplier, 'noise_multiplier', who,
                              'Pass 0.0 for no noise.')
    n = dp_checks.clients_per_round(clients_per_round, who)
    clip = dp_checks.positive(l2_norm_clip, 'l2_norm_clip', who)
    query = tree_query.TreeResidualSumQuery(clip, z, record_specs,
                                            use_efficient, tree_depth)
    return cls(gaussian_query.NormalizedQuery(query, n),
               record_aggregation_factory, noise_seed=noise_seed)

  @property
  def query(self) -> dp_query.DPQuery:
    return self._query

  @property
  def clients_per_round(self) -> float | None:
    """The expected number of clients per round, where known."""
    return self._clients_per_round

  def create(self, value_type) -> aggregation_process.AggregationProcess:
    who = 'DifferentiallyPrivateFactory.create'
    value_type = factory.value_type_of(value_type, who)
    factory.check_float(value_type, who)
    expected = _tree_record_type(self._query)
    if expected is not None and not expected.is_assignable_from(value_type):
      raise TypeError(f'{who}: value_type: expected the record_specs '
                      f'{expected} of the tree, got {value_type}. Build '
                      f'the factory with record_specs={value_type}.')
    self._value_type = value_type  # For the DP event's template.
    comps = query_computations.QueryComputations(
        self._query, value_type, self._record_aggregation_factory)
    initial_key = noise.initial_key_fn(self._noise_seed)

    @federated_computation.federated_computation()
    def init_fn():
      return intrinsics.federated_zip(DPAggregatorState(
          intrinsics.federated_eval(comps.initial_state, placements.SERVER),
          comps.initialize_aggregation(),
          intrinsics.federated_eval(initial_key, placements.SERVER)))

    @federated_computation.federated_computation(
        init_fn.type_signature.result, types.type_at_clients(value_type))
    def next_fn(state, value):
      result, query_state, key, agg_state, agg_measurements = (
          comps.aggregate(state.query_state, state.agg_state,
                          state.noise_key, value))
      metrics = intrinsics.federated_map(comps.metrics, query_state)
      return measured_process.MeasuredProcessOutput(
          state=intrinsics.federated_zip(
              DPAggregatorState(query_state, agg_state, key)),
          result=result,
          measurements=intrinsics.federated_zip(collections.OrderedDict(
              dp_query_metrics=metrics, dp=agg_measurements)))

    return aggregation_process.AggregationProcess(init_fn, next_fn)

  def round_dp_event(self):
    """The `dp_accounting.DpEvent` of one round (what the query returns)."""
    value_type = self._value_type or types.TensorType('float32')
    return query_computations.round_dp_event(
        self._query, query_computations.template_of(value_type))

  def dp_event(self, num_rounds: int, population_size: int | None = None,
               clients_per_round: float | None = None):
    """The `dp_accounting.DpEvent` of `num_rounds` rounds.

    Without `population_size`, every round's event composes as is (each
    round's clients are the whole population). With it, each round is
    Poisson-sampled with probability `clients_per_round /
    population_size` (the factory's `clients_per_round` unless given), the
    usual model of sampling a cohort each round.

    Example:
      >>> import federax as fx
      >>> dp = fx.aggregators.DifferentiallyPrivateFactory.gaussian_fixed(
      ...     noise_multiplier=1.0, clients_per_round=10, clip=0.5)
      >>> print(dp.dp_event(100, population_size=1000))
      SelfComposedDpEvent(event=PoissonSampledDpEvent(sampling_probability=0.01, event=GaussianDpEvent(noise_multiplier=1.0)), count=100)
    """
    who = 'DifferentiallyPrivateFactory.dp_event'
    num_rounds = dp_checks.rounds(num_rounds, who)
    if clients_per_round is None:
      clients_per_round = self._clients_per_round
    event = dp_checks.sampled(self.round_dp_event(), population_size,
                    clients_per_round, who)
    return self._query.rounds_dp_event(event, num_rounds)


def _tree_record_type(query):
  """The record type of a (normalized) tree query, else None."""
  if isinstance(query, gaussian_query.NormalizedQuery):
    query = query.numerator_query
  return getattr(query, 'record_type', None) if isinstance(
      query, tree_query.TreeResidualSumQuery) else None
