"""`MeanFactory` (weighted) and `UnweightedMeanFactory`."""

from __future__ import annotations

import collections

import numpy as np

from federax.aggregators import factory
from federax.aggregators import sum_factory
from federax.core import federated_computation
from federax.core import intrinsics
from federax.core import jax_computation
from federax.core import placements
from federax.core import types
from federax.templates import aggregation_process
from federax.templates import measured_process


def _check_sum_factory(value, name, who):
  if value is None:
    return sum_factory.SumFactory()
  if not isinstance(value, factory.UnweightedAggregationFactory):
    raise TypeError(f'{who}: {name}: expected an unweighted aggregation '
                    f'factory (e.g. fx.aggregators.SumFactory()), got '
                    f'{type(value).__name__}.')
  return value


def _divide(no_nan_division):
  def divide(total, weight):
    import jax
    import jax.numpy as jnp

    def div(x):
      w = jnp.asarray(weight, x.dtype)
      if no_nan_division:
        return jnp.where(w == 0, jnp.zeros_like(x), x / jnp.where(w == 0, 1, w))
      return x / w
    return jax.tree.map(div, total)
  return divide


def _zip(**values):
  return intrinsics.federated_zip(collections.OrderedDict(values))


class MeanFactory(factory.WeightedAggregationFactory):
  """The weighted mean: `sum(w_i * v_i) / sum(w_i)`.

  The two sums go through `value_sum_factory` and `weight_sum_factory`
  (both `SumFactory()` by default), so a secure or private sum can be put
  underneath. With all-zero weights the mean is non-finite unless
  `no_nan_division=True`, which makes it 0. The state is
  `<value_sum_process, weight_sum_process>`, the measurements
  `<mean_value, mean_weight>` (the inner processes' measurements).

  Example:
    >>> import numpy as np, federax as fx
    >>> process = fx.aggregators.MeanFactory().create(
    ...     fx.TensorType(np.float32), fx.TensorType(np.float32))
    >>> output = process.next(process.initialize(), [1.0, 4.0], [3.0, 1.0])
    >>> float(output.result)
    1.75
  """

  def __init__(self, value_sum_factory=None, weight_sum_factory=None,
               no_nan_division: bool = False):
    who = 'MeanFactory'
    self._value_sum_factory = _check_sum_factory(value_sum_factory,
                                                 'value_sum_factory', who)
    self._weight_sum_factory = _check_sum_factory(weight_sum_factory,
                                                  'weight_sum_factory', who)
    if not isinstance(no_nan_division, bool):
      raise TypeError(f'{who}: no_nan_division: expected a bool, got '
                      f'{type(no_nan_division).__name__}.')
    self._no_nan_division = no_nan_division

  def create(self, value_type,
             weight_type) -> aggregation_process.AggregationProcess:
    who = 'MeanFactory.create'
    value_type = factory.value_type_of(value_type, who)
    factory.check_float(value_type, who)
    weight_type = factory.check_weight(weight_type, who)
    value_sum = self._value_sum_factory.create(value_type)
    weight_sum = self._weight_sum_factory.create(weight_type)

    @jax_computation.jax_computation(value_type, weight_type)
    def multiply(value, weight):
      import jax
      import jax.numpy as jnp
      return jax.tree.map(lambda x: x * jnp.asarray(weight, x.dtype), value)

    divide = jax_computation.jax_computation(
        _divide(self._no_nan_division), value_type,
        weight_sum.result_type.member)

    @federated_computation.federated_computation()
    def init_fn():
      return _zip(value_sum_process=value_sum.initialize(),
                  weight_sum_process=weight_sum.initialize())

    @federated_computation.federated_computation(
        init_fn.type_signature.result, types.type_at_clients(value_type),
        types.type_at_clients(weight_type))
    def next_fn(state, value, weight):
      weighted = intrinsics.federated_map(multiply, [value, weight])
      values = value_sum.next(state.value_sum_process, weighted)
      weights = weight_sum.next(state.weight_sum_process, weight)
      return measured_process.MeasuredProcessOutput(
          state=_zip(value_sum_process=values.state,
                     weight_sum_process=weights.state),
          result=intrinsics.federated_map(divide,
                                          [values.result, weights.result]),
          measurements=_zip(mean_value=values.measurements,
                            mean_weight=weights.measurements))

    return aggregation_process.AggregationProcess(init_fn, next_fn)


class UnweightedMeanFactory(factory.UnweightedAggregationFactory):
  """The mean with every client counting once: `sum(v_i) / n`.

  The sums go through `value_sum_factory` and `count_sum_factory`
  (`SumFactory()` by default). The state is `<value_sum_process,
  count_sum_process>`, the measurements `<mean_value, mean_count>`.

  Example:
    >>> import numpy as np, federax as fx
    >>> process = fx.aggregators.UnweightedMeanFactory().create(
    ...     fx.TensorType(np.float32))
    >>> float(process.next(process.initialize(), [1.0, 2.0, 6.0]).result)
    3.0
  """

  def __init__(self, value_sum_factory=None, count_sum_factory=None):
    who = 'UnweightedMeanFactory'
    self._value_sum_factory = _check_sum_factory(value_sum_factory,
                                                 'value_sum_factory', who)
    self._count_sum_factory = _check_sum_factory(count_sum_factory,
                                                 'count_sum_factory', who)

  def create(self, value_type) -> aggregation_process.AggregationProcess:
    who = 'UnweightedMeanFactory.create'
    value_type = factory.value_type_of(value_type, who)
    factory.check_float(value_type, who)
    count_type = types.TensorType('int32')
    value_sum = self._value_sum_factory.create(value_type)
    count_sum = self._count_sum_factory.create(count_type)
    one = jax_computation.jax_computation(lambda: np.int32(1))
    divide = jax_computation.jax_computation(
        _divide(False), value_type, count_sum.result_type.member)

    @federated_computation.federated_computation()
    def init_fn():
      return _zip(value_sum_process=value_sum.initialize(),
                  count_sum_process=count_sum.initialize())

    @federated_computation.federated_computation(
        init_fn.type_signature.result, types.type_at_clients(value_type))
    def next_fn(state, value):
      values = value_sum.next(state.value_sum_process, value)
      counts = count_sum.next(
          state.count_sum_process,
          intrinsics.federated_eval(one, placements.CLIENTS))
      return measured_process.MeasuredProcessOutput(
          state=_zip(value_sum_process=values.state,
                     count_sum_process=counts.state),
          result=intrinsics.federated_map(divide,
                                          [values.result, counts.result]),
          measurements=_zip(mean_value=values.measurements,
                            mean_count=counts.measurements))

    return aggregation_process.AggregationProcess(init_fn, next_fn)
