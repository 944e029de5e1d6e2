"""`add_measurements`: report more about an aggregation."""

from __future__ import annotations

import collections

from federax.aggregators import factory
from federax.core import federated_computation
from federax.core import intrinsics
from federax.core import placements
from federax.core import types
from federax.core import value as value_lib
from federax.templates import aggregation_process
from federax.templates import measured_process

_WHO = 'add_measurements'


def _extra(fn, args, what):
  """`fn(*args)` checked: a dict of names to values at SERVER."""
  added = fn(*args)
  if not isinstance(added, dict):
    raise TypeError(f'{_WHO}: {what}: expected it to return a dict of names '
                    f'to values at SERVER, got {type(added).__name__}.')
  for name, v in added.items():
    t = getattr(v, 'type_signature', None)
    if not (isinstance(v, value_lib.Value) and
            isinstance(t, types.FederatedType) and
            t.placement is placements.SERVER):
      raise TypeError(
          f'{_WHO}: {what}: {name!r}: expected a value placed at SERVER '
          f'(e.g. fx.federated_sum(...)), got {t if t else type(v).__name__}.')
  return added


def _merged(inner_measurements, added: dict):
  """The inner process's named measurements followed by `added`."""
  member = inner_measurements.type_signature.member
  if not isinstance(member, types.StructType) or (
      len(member) and not all(member.names())):
    raise TypeError(
        f'{_WHO}: inner_agg_factory: its measurements must be a struct with '
        f'names (or empty) to add to, got {member}.')
  entries = collections.OrderedDict(
      (n, inner_measurements[n]) for n in member.names())
  for name, v in added.items():
    if name in entries:
      raise ValueError(f'{_WHO}: the added measurement {name!r} is already '
                       f'one of the inner measurements {list(entries)}; '
                       f'rename it.')
    entries[name] = v
  return intrinsics.federated_zip(entries)


class _Added:

  def __init__(self, inner, client_fn, server_fn):
    self._inner, self._client_fn, self._server_fn = inner, client_fn, server_fn

  def _output(self, output, client_args):
    added = {}
    if self._client_fn is not None:
      added.update(_extra(self._client_fn, client_args,
                          'client_measurement_fn'))
    if self._server_fn is not None:
      added.update(_extra(self._server_fn, (output.result,),
                          'server_measurement_fn'))
    return measured_process.MeasuredProcessOutput(
        state=output.state, result=output.result,
        measurements=_merged(output.measurements, added))


class _UnweightedAdded(_Added, factory.UnweightedAggregationFactory):

  def create(self, value_type) -> aggregation_process.AggregationProcess:
    inner = self._inner.create(value_type)

    @federated_computation.federated_computation(
        inner.state_type, types.type_at_clients(inner.value_type))
    def next_fn(state, value):
      return self._output(inner.next(state, value), (value,))

    return aggregation_process.AggregationProcess(inner.initialize, next_fn)


class _WeightedAdded(_Added, factory.WeightedAggregationFactory):

  def create(self, value_type,
             weight_type) -> aggregation_process.AggregationProcess:
    inner = self._inner.create(value_type, weight_type)
    params = [p.member for p in inner.next.type_signature.parameter][1:]

    @federated_computation.federated_computation(
        inner.state_type, types.type_at_clients(params[0]),
        types.type_at_clients(params[1]))
    def next_fn(state, value, weight):
      return self._output(inner.next(state, value, weight), (value, weight))

    return aggregation_process.AggregationProcess(inner.initialize, next_fn)


def add_measurements(inner_agg_factory, client_measurement_fn=None,
                     server_measurement_fn=None):
  """`inner_agg_factory` with more measurements (TFF's newer signature).

  `client_measurement_fn(value)` (or `(value, weight)` for a weighted
  factory) is traced with the CLIENTS-placed inputs, and
  `server_measurement_fn(result)` with the SERVER-placed result; each
  returns a dict of names to values at SERVER, added after the inner
  process's measurements (which must be a named struct or empty).

  Example:
    >>> import numpy as np, federax as fx
    >>> factory = fx.aggregators.add_measurements(
    ...     fx.aggregators.SumFactory(),
    ...     client_measurement_fn=lambda v: {'largest': fx.federated_max(v)})
    >>> process = factory.create(fx.TensorType(np.float32))
    >>> output = process.next(process.initialize(), [1.0, 4.0])
    >>> float(output.result), float(output.measurements['largest'])
    (5.0, 4.0)
  """
  if client_measurement_fn is None and server_measurement_fn is None:
    raise ValueError(f'{_WHO}: expected client_measurement_fn or '
                     f'server_measurement_fn (or both), got neither.')
  for name, fn in (('client_measurement_fn', client_measurement_fn),
                   ('server_measurement_fn', server_measurement_fn)):
    if fn is not None and not callable(fn):
      raise TypeError(f'{_WHO}: {name}: expected a callable, got '
                      f'{type(fn).__name__}.')
  if isinstance(inner_agg_factory, factory.WeightedAggregationFactory):
    return _WeightedAdded(inner_agg_factory, client_measurement_fn,
                          server_measurement_fn)
  if isinstance(inner_agg_factory, factory.UnweightedAggregationFactory):
    return _UnweightedAdded(inner_agg_factory, client_measurement_fn,
                            server_measurement_fn)
  raise TypeError(f'{_WHO}: inner_agg_factory: expected an aggregation '
                  f'factory (e.g. fx.aggregators.MeanFactory()), got '
                  f'{type(inner_agg_factory).__name__}.')
