"""Privacy accounting with `dp_accounting`: the DP event and epsilon of a run.

A private aggregation's noise is fixed by its factory's parameters, so the
`dp_accounting.DpEvent` of a run follows from the factory and the number
of rounds: `dp_event_of(factory, num_rounds, population_size=None)` finds
the `DifferentiallyPrivateFactory`s inside any factory (a preset, a
`zeroing_factory(..., DifferentiallyPrivateFactory...)`, a mean of private
sums) and composes their events; `compute_epsilon` turns that into epsilon
at a delta with the RDP or PLD accountant. A training loop reports the
epsilon spent after round `t` with `compute_epsilon(model_aggregator, t,
delta, population_size=...)`.
"""

from __future__ import annotations

from federax.aggregators import differential_privacy
from federax.aggregators import dp_checks
from federax.aggregators import factory as factory_lib

ACCOUNTANTS = ('rdp', 'pld')


def dp_factories(factory) -> list:
  """The `DifferentiallyPrivateFactory`s in `factory` (itself included),
  found through the attributes of the factories that wrap them."""
  found, seen = [], set()

  def visit(obj):
    if id(obj) in seen:
      return
    seen.add(id(obj))
    if isinstance(obj, differential_privacy.DifferentiallyPrivateFactory):
      found.append(obj)
      return
    if isinstance(obj, (factory_lib.UnweightedAggregationFactory,
                        factory_lib.WeightedAggregationFactory)):
      for value in vars(obj).values():
        visit(value)

  visit(factory)
  return found


def dp_event_of(factory, num_rounds: int, population_size: int | None = None,
                clients_per_round: float | None = None):
  """The `dp_accounting.DpEvent` of `num_rounds` rounds of `factory`, or
  None if it adds no DP noise.

  Example:
    >>> import federax as fx
    >>> aggregator = fx.aggregators.dp_aggregator(
    ...     noise_multiplier=1.0, clients_per_round=100)
    >>> print(fx.aggregators.dp_event_of(aggregator, 2))  # doctest: +ELLIPSIS
    SelfComposedDpEvent(event=ComposedDpEvent(events=[GaussianDpEvent(...), GaussianDpEvent(...)]), count=2)
    >>> print(fx.aggregators.dp_event_of(fx.aggregators.MeanFactory(), 2))
    None
  """
  import dp_accounting
  events = [f.dp_event(num_rounds, population_size, clients_per_round)
            for f in dp_factories(factory)]
  if not events:
    return None
  return events[0] if len(events) == 1 else dp_accounting.ComposedDpEvent(
      events)


def compute_epsilon(dp_event_or_factory, num_rounds: int, delta: float,
                    accountant: str = 'rdp',
                    population_size: int | None = None,
                    clients_per_round: float | None = None) -> float:
  """Epsilon of `num_rounds` rounds at `delta` (add/remove-one-client DP;
  replace-one for tree aggregation, as dp_accounting requires).

  `dp_event_or_factory` is an aggregation factory (its private parts are
  found by `dp_event_of`) or the `dp_accounting.DpEvent` of one round.
  With `population_size`, each round samples `clients_per_round` of
  `population_size` clients (Poisson sampling; the factory's
  `clients_per_round` unless given), which amplifies privacy.
  `accountant` is `'rdp'` (Renyi DP, fast) or `'pld'` (privacy loss
  distributions, tighter, slower).

  Example:
    >>> import federax as fx
    >>> dp = fx.aggregators.DifferentiallyPrivateFactory.gaussian_fixed(
    ...     noise_multiplier=1.0, clients_per_round=100, clip=0.1)
    >>> eps = fx.aggregators.compute_epsilon(dp, 100, delta=1e-5,
    ...                                      population_size=10_000)
    >>> round(eps, 2)
    1.21
  """
  import dp_accounting
  who = 'compute_epsilon'
  delta = dp_checks.number(delta, 'delta', who)
  if not 0 < delta < 1:
    raise ValueError(f'{who}: delta: expected a float in (0, 1), e.g. 1e-5 '
                     f'(below 1 / population), got {delta}.')
  if accountant not in ACCOUNTANTS:
    raise ValueError(f'{who}: accountant: expected \'rdp\' or \'pld\', got '
                     f'{accountant!r}.')
  if isinstance(dp_event_or_factory, dp_accounting.DpEvent):
    event = _rounds_of_event(dp_event_or_factory, num_rounds,
                             population_size, clients_per_round, who)
  elif isinstance(dp_event_or_factory,
                  (factory_lib.UnweightedAggregationFactory,
                   factory_lib.WeightedAggregationFactory)):
    event = dp_event_of(dp_event_or_factory, num_rounds, population_size,
                        clients_per_round)
    if event is None:
      raise ValueError(
          f'{who}: dp_event_or_factory: expected a factory that adds DP '
          f'noise (one with an fx.aggregators.DifferentiallyPrivateFactory '
          f'inside), got {type(dp_event_or_factory).__name__}, which has '
          f'none. Use e.g. fx.aggregators.dp_aggregator(...).')
  else:
    raise TypeError(f'{who}: dp_event_or_factory: expected an aggregation '
                    f'factory or a dp_accounting.DpEvent, got '
                    f'{type(dp_event_or_factory).__name__}.')
  relation = dp_accounting.NeighboringRelation.ADD_OR_REMOVE_ONE
  if _has_tree(event):  # Tree aggregation is accounted for this relation.
    relation = dp_accounting.NeighboringRelation.REPLACE_SPECIAL
  if accountant == 'rdp':
    acc = dp_accounting.rdp.RdpAccountant(neighboring_relation=relation)
  else:
    acc = dp_accounting.pld.PLDAccountant(neighboring_relation=relation)
  if not acc.supports(event):
    raise ValueError(f'{who}: accountant: the {accountant!r} accountant '
                     f'cannot account for {event}. Tree aggregation needs '
                     f'accountant=\'rdp\' and no population_size.')
  return float(acc.compose(event).get_epsilon(delta))


def _has_tree(event) -> bool:
  import dp_accounting
  if isinstance(event, dp_accounting.SingleEpochTreeAggregationDpEvent):
    return True
  inner = getattr(event, 'events', None) or [getattr(event, 'event', None)]
  return any(_has_tree(e) for e in inner if e is not None)


def _rounds_of_event(event, num_rounds, population_size, clients_per_round,
                     who):
  import dp_accounting
  num_rounds = dp_checks.rounds(num_rounds, who)
  event = dp_checks.sampled(event, population_size, clients_per_round, who)
  return dp_accounting.SelfComposedDpEvent(event, num_rounds)
