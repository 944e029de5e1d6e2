"""`as_weighted_aggregator`: an unweighted factory where a weighted one is
expected."""

from __future__ import annotations

from federax.aggregators import factory
from federax.core import federated_computation
from federax.core import types
from federax.templates import aggregation_process


class _UnweightedAsWeighted(factory.WeightedAggregationFactory):
  """A weighted factory that ignores the weights (see
  `as_weighted_aggregator`)."""

  def __init__(self, unweighted: factory.UnweightedAggregationFactory):
    self._factory = unweighted

  def create(self, value_type,
             weight_type) -> aggregation_process.AggregationProcess:
    who = 'as_weighted_aggregator(...).create'
    value_type = factory.value_type_of(value_type, who)
    weight_type = factory.check_weight(weight_type, who)
    inner = self._factory.create(value_type)

    @federated_computation.federated_computation(
        inner.state_type, types.type_at_clients(value_type),
        types.type_at_clients(weight_type))
    def next_fn(state, value, weight):
      del weight  # Every client counts the same.
      return inner.next(state, value)

    return aggregation_process.AggregationProcess(inner.initialize, next_fn)


def as_weighted_aggregator(
    unweighted_aggregator) -> factory.WeightedAggregationFactory:
  """A weighted factory that aggregates as `unweighted_aggregator`,
  ignoring the weights (every client counts the same).

  Useful where a weighted factory is expected, e.g. a robust aggregator as
  the `model_aggregator` of weighted FedAvg. State and measurements are the
  unweighted process's.

  Example:
    >>> import numpy as np, federax as fx
    >>> weighted = fx.aggregators.as_weighted_aggregator(
    ...     fx.aggregators.UnweightedMeanFactory())
    >>> process = weighted.create(fx.TensorType(np.float32),
    ...                           fx.TensorType(np.float32))
    >>> float(process.next(process.initialize(), [1.0, 5.0], [9.0, 1.0]).result)
    3.0
  """
  if not isinstance(unweighted_aggregator,
                    factory.UnweightedAggregationFactory):
    kind = ('a weighted factory; it needs no wrapping' if isinstance(
        unweighted_aggregator, factory.WeightedAggregationFactory) else
            type(unweighted_aggregator).__name__)
    raise TypeError(f'as_weighted_aggregator: unweighted_aggregator: '
                    f'expected an fx.aggregators.UnweightedAggregationFactory,'
                    f' got {kind}.')
  return _UnweightedAsWeighted(unweighted_aggregator)
