"""`SumFactory`: the plain federated sum, stateless."""

from __future__ import annotations

from federax.core import aggregation_intrinsics
from federax.core import federated_computation
from federax.core import intrinsics
from federax.core import placements
from federax.core import types
from federax.aggregators import factory
from federax.templates import aggregation_process
from federax.templates import measured_process


def empty_at_server():
  """The empty struct `<>@SERVER` (stateless processes' state)."""
  return intrinsics.federated_value((), placements.SERVER)


class SumFactory(factory.UnweightedAggregationFactory):
  """Sums the client values (`fx.federated_sum`); no state, no measurements.

  Example:
    >>> import numpy as np, federax as fx
    >>> process = fx.aggregators.SumFactory().create(
    ...     fx.TensorType(np.int32, [2]))
    >>> output = process.next(process.initialize(), [[1, 2], [3, 4]])
    >>> output.result.tolist()
    [4, 6]
  """

  def create(self, value_type) -> aggregation_process.AggregationProcess:
    value_type = factory.value_type_of(value_type, 'SumFactory.create')

    @federated_computation.federated_computation()
    def init_fn():
      return empty_at_server()

    @federated_computation.federated_computation(
        init_fn.type_signature.result, types.type_at_clients(value_type))
    def next_fn(state, value):
      return measured_process.MeasuredProcessOutput(
          state=state, result=aggregation_intrinsics.federated_sum(value),
          measurements=empty_at_server())

    return aggregation_process.AggregationProcess(init_fn, next_fn)
