"""`concat_factory`: aggregate a struct of tensors as one flat vector."""

from __future__ import annotations

import math

import numpy as np

from federax.aggregators import factory
from federax.core import dtypes as dtypes_lib
from federax.core import federated_computation
from federax.core import intrinsics
from federax.core import jax_computation
from federax.core import structure
from federax.core import types
from federax.templates import aggregation_process
from federax.templates import measured_process


def _leaves(t):
  if isinstance(t, types.StructType):
    return [leaf for e in t for leaf in _leaves(e)]
  return [t]


def _codec(value_type, who):
  """`(concat, unconcat)` computations between `value_type` and `T[N]`."""
  leaves = _leaves(value_type)
  dtypes = {np.dtype(t.dtype) for t in leaves}
  if len(dtypes) != 1:
    raise TypeError(f'{who}: value_type: expected tensors of one dtype, got '
                    f'{value_type}. Cast them to one dtype first.')
  dtype = dtypes.pop()
  if not (dtypes_lib.is_floating(dtype) or dtypes_lib.is_integer(dtype)):
    raise TypeError(f'{who}: value_type: expected integer or floating '
                    f'tensors, got {value_type}.')
  sizes = [math.prod(t.shape) for t in leaves]

  @jax_computation.jax_computation(value_type)
  def concat(value):
    import jax
    import jax.numpy as jnp
    return jnp.concatenate([jnp.ravel(x) for x in jax.tree.leaves(value)])

  vector_type = concat.type_signature.result
  container = value_type

  def unflatten(parts, t):
    if isinstance(t, types.StructType):
      return structure.build(t.container_type, t.names(),
                             [unflatten(parts, e) for e in t])
    return next(parts)

  @jax_computation.jax_computation(vector_type)
  def unconcat(vector):
    pieces, start = [], 0
    for t, size in zip(leaves, sizes):
      pieces.append(vector[start:start + size].reshape(t.shape))
      start += size
    return unflatten(iter(pieces), container)

  return concat, unconcat, vector_type


class _Concat:

  def __init__(self, inner):
    self._inner = inner

  def _create(self, value_type, weight_type=None):
    who = 'concat_factory(...).create'
    value_type = factory.value_type_of(value_type, who)
    concat, unconcat, vector_type = _codec(value_type, who)
    def output(inner_output):
      return measured_process.MeasuredProcessOutput(
          state=inner_output.state,
          result=intrinsics.federated_map(unconcat, inner_output.result),
          measurements=inner_output.measurements)

    if weight_type is None:
      inner = self._inner.create(vector_type)

      @federated_computation.federated_computation(
          inner.state_type, types.type_at_clients(value_type))
      def next_fn(state, value):
        return output(inner.next(state, intrinsics.federated_map(concat,
                                                                 value)))
    else:
      weight_type = factory.check_weight(weight_type, who)
      inner = self._inner.create(vector_type, weight_type)

      @federated_computation.federated_computation(
          inner.state_type, types.type_at_clients(value_type),
          types.type_at_clients(weight_type))
      def next_fn(state, value, weight):
        return output(inner.next(
            state, intrinsics.federated_map(concat, value), weight))

    return aggregation_process.AggregationProcess(inner.initialize, next_fn)


class _UnweightedConcat(_Concat, factory.UnweightedAggregationFactory):

  def create(self, value_type):
    return self._create(value_type)


class _WeightedConcat(_Concat, factory.WeightedAggregationFactory):

  def create(self, value_type, weight_type):
    return self._create(value_type, weight_type)


def concat_factory(inner_agg_factory):
  """Aggregates a struct of tensors as one vector with `inner_agg_factory`.

  Each client's value is flattened and concatenated into `T[N]`; the inner
  aggregation works on that vector (useful for transforms that must see the
  whole value, such as a rotation or Krum's distances); the result is split
  back into the original structure. All tensors must share one integer or
  floating dtype. The factory is weighted when the inner one is; state and
  measurements are the inner process's.

  Example:
    >>> import collections, numpy as np, federax as fx
    >>> process = fx.aggregators.concat_factory(
    ...     fx.aggregators.SumFactory()).create(collections.OrderedDict(
    ...         a=(np.float32, [2]), b=(np.float32, [2, 2])))
    >>> print(process.next.type_signature.parameter[1])
    {<a=float32[2],b=float32[2,2]>}@CLIENTS
    >>> value = collections.OrderedDict(a=[1.0, 2.0], b=[[3.0, 4.0], [5.0, 6.0]])
    >>> result = process.next(process.initialize(), [value, value]).result
    >>> result['a'].tolist(), result['b'].tolist()
    ([2.0, 4.0], [[6.0, 8.0], [10.0, 12.0]])
  """
  if isinstance(inner_agg_factory, factory.WeightedAggregationFactory):
    return _WeightedConcat(inner_agg_factory)
  if isinstance(inner_agg_factory, factory.UnweightedAggregationFactory):
    return _UnweightedConcat(inner_agg_factory)
  raise TypeError(f'concat_factory: inner_agg_factory: expected an '
                  f'aggregation factory (e.g. fx.aggregators.SumFactory()), '
                  f'got {type(inner_agg_factory).__name__}.')
