"""Aggregation factories: `create(value_type[, weight_type])` makes a process.

As in TFF, an aggregation is described by a factory that, given the type of
the client values (and weights), creates an `fx.templates.AggregationProcess`.
Factories nest: a `MeanFactory` sums through the factories it is given.
"""

from __future__ import annotations

import abc

from federax.core import dtypes as dtypes_lib
from federax.core import type_conversions
from federax.core import types
from federax.templates import aggregation_process


class UnweightedAggregationFactory(abc.ABC):
  """Creates `AggregationProcess`es whose `next` is `(state, value)`."""

  @abc.abstractmethod
  def create(self, value_type) -> aggregation_process.AggregationProcess:
    """An aggregation process for client values of `value_type`."""


class WeightedAggregationFactory(abc.ABC):
  """Creates `AggregationProcess`es whose `next` is `(state, value, weight)`."""

  @abc.abstractmethod
  def create(self, value_type,
             weight_type) -> aggregation_process.AggregationProcess:
    """An aggregation process for values of `value_type` weighted by
    `weight_type`."""


AggregationFactory = UnweightedAggregationFactory | WeightedAggregationFactory


def value_type_of(value_type, who: str) -> types.Type:
  """`value_type` as an unplaced tensor-or-struct type, or a TypeError."""
  try:
    t = type_conversions.to_type(value_type)
  except (TypeError, ValueError) as e:
    raise TypeError(f'{who}: value_type: expected a type (e.g. '
                    f'fx.TensorType(np.float32, [3])), got {value_type!r}: '
                    f'{e}') from None
  if not isinstance(t, (types.TensorType, types.StructType)) or any(
      not isinstance(leaf, types.TensorType) for leaf in _leaves(t)):
    raise TypeError(f'{who}: value_type: expected a tensor or a struct of '
                    f'tensors (unplaced), got {t}.')
  return t


def _leaves(t: types.Type):
  if isinstance(t, types.StructType):
    for e in t:
      yield from _leaves(e)
  else:
    yield t


def check_float(t: types.Type, who: str, argument: str = 'value_type') -> None:
  """Every tensor of `t` must have a floating dtype."""
  bad = [leaf for leaf in _leaves(t) if not dtypes_lib.is_floating(leaf.dtype)]
  if bad:
    raise TypeError(
        f'{who}: {argument}: expected floating-point tensors (a mean of '
        f'integers is not an integer), got {t}. Cast the values to float32 '
        f'before aggregating, or use fx.aggregators.SumFactory for integers.')


def check_weight(t, who: str) -> types.Type:
  """`t` must be a numeric scalar type: a weight."""
  try:
    weight = type_conversions.to_type(t)
  except (TypeError, ValueError):
    weight = None
  if not (isinstance(weight, types.TensorType) and weight.shape == () and
          (dtypes_lib.is_floating(weight.dtype) or
           dtypes_lib.is_integer(weight.dtype))):
    shown = str(weight) if weight is not None else repr(t)
    raise TypeError(f'{who}: weight_type: expected a numeric scalar such as '
                    f'float32, got {shown}. '
                    f'Pass one weight per client value.')
  return weight
