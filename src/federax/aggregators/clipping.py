"""`clipping_factory` and `zeroing_factory`: bound each client value's norm.

Both wrap an inner factory (weighted or not; the wrapper is of the same
kind). The norm is a float, or an `fx.templates.EstimationProcess` whose
`next` takes the clients' norms (`float32@CLIENTS`) and whose `report`
gives the norm (`float32@SERVER`), so it adapts as rounds go, e.g.
`fx.aggregators.PrivateQuantileEstimationProcess.no_noise(...)`.

State `<{p}ing_norm, inner_agg, {p}ed_count_agg>`, measurements
`<{p}ing, {p}ing_norm, {p}ed_count>` with `p` = `clipp` or `zero`, as in TFF.
"""

from __future__ import annotations

import collections
import numbers

from federax.aggregators import dp_checks
from federax.aggregators import factory
from federax.aggregators import norms
from federax.aggregators import sum_factory
from federax.core import federated_computation
from federax.core import intrinsics
from federax.core import jax_computation
from federax.core import placements
from federax.core import types
from federax.templates import aggregation_process
from federax.templates import checks
from federax.templates import estimation_process
from federax.templates import measured_process

NORM_TYPE = types.TensorType('float32')
COUNT_TYPE = types.TensorType('int32')


def clipping_factory(clipping_norm, inner_agg_factory,
                     clipped_count_sum_factory=None):
  """Scales each client value whose global L2 norm exceeds the norm down to it.

  Then aggregates with `inner_agg_factory`. Measures `clipping_norm` (the
  norm used this round), `clipped_count` (how many values were clipped)
  and, under `clipping`, the inner aggregation's measurements.

  Example:
    >>> import numpy as np, federax as fx
    >>> agg = fx.aggregators.clipping_factory(
    ...     1.0, fx.aggregators.SumFactory()).create(
    ...     fx.TensorType(np.float32, [2]))
    >>> output = agg.next(agg.initialize(), [[3.0, 4.0], [0.1, 0.2]])
    >>> print(output.result.round(3), output.measurements['clipped_count'])
    [0.7 1. ] 1
  """
  who = 'clipping_factory'
  counts = _count_factory(clipped_count_sum_factory,
                          'clipped_count_sum_factory', who)

  def make_clip_fn(value_type):
    @jax_computation.jax_computation(value_type, NORM_TYPE)
    def clip(value, clipping_norm):
      clipped, norm = norms.clip_by_global_l2_norm(value, clipping_norm)
      return clipped, norm, (norm > clipping_norm).astype('int32')
    return clip

  return _wrap(who, clipping_norm, 'clipping_norm', inner_agg_factory, counts,
               make_clip_fn, 'clipp')


def zeroing_factory(zeroing_norm, inner_agg_factory, norm_order: float = 2.0,
                    zeroed_count_sum_factory=None):
  """Replaces each client value whose norm exceeds the norm with zeros.

  Then aggregates with `inner_agg_factory` (a weight is kept as it is, so a
  weighted mean is pulled towards zero by zeroed values, as in TFF). The
  norm is the global L1, L2 or L-infinity norm (`norm_order` 1.0, 2.0 or
  `math.inf`). A value with a non-finite norm (a NaN or an inf in it) is
  zeroed too. Measures `zeroing_norm`, `zeroed_count` and, under
  `zeroing`, the inner aggregation's measurements.

  Example:
    >>> import numpy as np, federax as fx
    >>> agg = fx.aggregators.zeroing_factory(
    ...     10.0, fx.aggregators.UnweightedMeanFactory()).create(
    ...     fx.TensorType(np.float32))
    >>> output = agg.next(agg.initialize(), [1.0, 3.0, 100.0])
    >>> round(float(output.result), 4), int(output.measurements['zeroed_count'])
    (1.3333, 1)
  """
  who = 'zeroing_factory'
  counts = _count_factory(zeroed_count_sum_factory,
                          'zeroed_count_sum_factory', who)
  order = dp_checks.number(norm_order, 'norm_order', who)
  if order not in norms.NORM_ORDERS:
    raise ValueError(f'{who}: norm_order: expected 1.0, 2.0 or math.inf, got '
                     f'{norm_order}.')

  def make_zero_fn(value_type):
    @jax_computation.jax_computation(value_type, NORM_TYPE)
    def zero(value, zeroing_norm):
      import jax
      import jax.numpy as jnp
      norm = norms.global_norm(value, order)
      keep = norm <= zeroing_norm  # False for a NaN norm: zeroed.
      zeroed = jax.tree.map(
          lambda x: jnp.where(keep, x, jnp.zeros_like(x)), value)
      return zeroed, norm, jnp.logical_not(keep).astype(jnp.int32)
    return zero

  return _wrap(who, zeroing_norm, 'zeroing_norm', inner_agg_factory, counts,
               make_zero_fn, 'zero')


def _count_factory(value, name, who):
  if value is None:
    return sum_factory.SumFactory()
  if not isinstance(value, factory.UnweightedAggregationFactory):
    raise TypeError(f'{who}: {name}: expected an unweighted aggregation '
                    f'factory (e.g. fx.aggregators.SumFactory()), got '
                    f'{dp_checks.describe(value)}.')
  return value


def _constant_process(norm: float) -> estimation_process.EstimationProcess:
  """An `EstimationProcess` that always reports `norm`."""
  init_fn = federated_computation.federated_computation(
      lambda: sum_factory.empty_at_server())
  next_fn = federated_computation.federated_computation(
      lambda state, norms_: state, init_fn.type_signature.result,
      types.type_at_clients(NORM_TYPE))
  report_fn = federated_computation.federated_computation(
      lambda state: intrinsics.federated_value(
          NORM_TYPE.dtype.type(norm), placements.SERVER),
      init_fn.type_signature.result)
  return estimation_process.EstimationProcess(init_fn, next_fn, report_fn)


def norm_process(norm, name: str, who: str):
  """`norm` (a float or an `EstimationProcess`) as a checked process."""
  if isinstance(norm, numbers.Real) and not isinstance(norm, bool):
    return _constant_process(dp_checks.positive(
        norm, name, who, 'Pass the norm above which values are bounded.'))
  if not isinstance(norm, estimation_process.EstimationProcess):
    raise TypeError(
        f'{who}: {name}: expected a float > 0 or an fx.templates.'
        f'EstimationProcess (e.g. fx.aggregators.PrivateQuantileEstimation'
        f'Process.no_noise(1.0, 0.8, 0.2)), got {dp_checks.describe(norm)} '
        f'{norm!r}.')
  params = checks.parameters(norm.next)
  clients_norms = types.type_at_clients(NORM_TYPE)
  if len(params) != 2 or not params[1].is_assignable_from(clients_norms):
    raise TypeError(f'{who}: {name}: its next must take (state, norms) with '
                    f'norms {clients_norms}, got {norm.next.type_signature}.')
  if not isinstance(norm.state_type, types.FederatedType) or (
      norm.state_type.placement is not placements.SERVER):
    raise TypeError(f'{who}: {name}: expected its state at SERVER, got '
                    f'{norm.state_type}.')
  if not norm.state_type.is_assignable_from(norm.next.type_signature.result):
    raise TypeError(f'{who}: {name}: its next must return the state '
                    f'{norm.state_type} alone, got '
                    f'{norm.next.type_signature.result}.')
  reported = report_type(norm)
  if reported != types.type_at_server(NORM_TYPE):
    raise TypeError(f'{who}: {name}: its report must give the norm as '
                    f'float32@SERVER, got {reported}. Map it with '
                    f'process.map(...) to a float32.')
  return norm


def _maps_report(process) -> bool:
  """Whether `report` takes the state's member (and is mapped over it)."""
  param = checks.parameters(process.report)[0]
  return not param.is_assignable_from(process.state_type)


def report_type(process) -> types.Type:
  if _maps_report(process):
    return types.type_at_server(process.report_type)
  return process.report_type


def report(process, state):
  """The estimate of `process` for `state@SERVER`, at SERVER."""
  if _maps_report(process):
    return intrinsics.federated_map(process.report, state)
  return process.report(state)


class _NormBounded:
  """What the clipping and zeroing wrappers share."""

  def __init__(self, who, norm_process_, inner_agg_factory, count_factory,
               make_fn, prefix):
    self._who = who
    self.norm_process = norm_process_
    self.inner_agg_factory = inner_agg_factory
    self.count_factory = count_factory
    self._make_fn = make_fn
    self._prefix = prefix

  def _build(self, value_type, weight_type=None):
    who = f'{self._who}(...).create'
    value_type = factory.value_type_of(value_type, who)
    factory.check_float(value_type, who)
    if weight_type is None:
      inner = self.inner_agg_factory.create(value_type)
    else:
      inner = self.inner_agg_factory.create(value_type, weight_type)
      weight_type = inner.next.type_signature.parameter[2].member
    bound = self._make_fn(value_type)
    counts = self.count_factory.create(COUNT_TYPE)
    norm = self.norm_process
    p = self._prefix

    @federated_computation.federated_computation()
    def init_fn():
      return intrinsics.federated_zip(collections.OrderedDict([
          (p + 'ing_norm', norm.initialize()),
          ('inner_agg', inner.initialize()),
          (p + 'ed_count_agg', counts.initialize())]))

    def next_impl(state, value, *weight):
      bound_norm = report(norm, getattr(state, p + 'ing_norm'))
      bounded, value_norms, was_bounded = intrinsics.federated_map(
          bound, [value, intrinsics.federated_broadcast(bound_norm)])
      norm_state = norm.next(getattr(state, p + 'ing_norm'), value_norms)
      inner_output = inner.next(state.inner_agg, bounded, *weight)
      count_output = counts.next(getattr(state, p + 'ed_count_agg'),
                                 was_bounded)
      return measured_process.MeasuredProcessOutput(
          state=intrinsics.federated_zip(collections.OrderedDict([
              (p + 'ing_norm', norm_state),
              ('inner_agg', inner_output.state),
              (p + 'ed_count_agg', count_output.state)])),
          result=inner_output.result,
          measurements=intrinsics.federated_zip(collections.OrderedDict([
              (p + 'ing', inner_output.measurements),
              (p + 'ing_norm', bound_norm),
              (p + 'ed_count', count_output.result)])))

    state_type = init_fn.type_signature.result
    if weight_type is None:
      next_fn = federated_computation.federated_computation(
          lambda state, value: next_impl(state, value), state_type,
          types.type_at_clients(value_type))
    else:
      next_fn = federated_computation.federated_computation(
          lambda state, value, weight: next_impl(state, value, weight),
          state_type, types.type_at_clients(value_type),
          types.type_at_clients(weight_type))
    return aggregation_process.AggregationProcess(init_fn, next_fn)


class _UnweightedNormBounded(_NormBounded,
                             factory.UnweightedAggregationFactory):

  def create(self, value_type) -> aggregation_process.AggregationProcess:
    return self._build(value_type)


class _WeightedNormBounded(_NormBounded, factory.WeightedAggregationFactory):

  def create(self, value_type,
             weight_type) -> aggregation_process.AggregationProcess:
    return self._build(value_type, weight_type)


def _wrap(who, norm, norm_name, inner_agg_factory, count_factory, make_fn,
          prefix):
  process = norm_process(norm, norm_name, who)
  if isinstance(inner_agg_factory, factory.WeightedAggregationFactory):
    cls = _WeightedNormBounded
  elif isinstance(inner_agg_factory, factory.UnweightedAggregationFactory):
    cls = _UnweightedNormBounded
  else:
    raise TypeError(f'{who}: inner_agg_factory: expected an aggregation '
                    f'factory (e.g. fx.aggregators.MeanFactory()), got '
                    f'{dp_checks.describe(inner_agg_factory)}.')
  return cls(who, process, inner_agg_factory, count_factory, make_fn, prefix)

