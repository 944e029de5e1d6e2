"""Finding the `MapReduceForm` of a round.

The round is run symbolically by the vectorized backend's evaluator, cut at
its broadcast and at its aggregation stage
(`federax.backends.jax.staging`); each piece becomes a JAX computation. A
round that does not fit (two round trips, CLIENTS-placed results,
`federated_select`, values the JAX backend cannot lower) raises `TypeError`
naming the construct.
"""

from __future__ import annotations

import inspect

from federax.compiler.forms.map_reduce_form import _SECURE, MapReduceForm
from federax.core import computation as computation_lib
from federax.core import jax_support
from federax.core import jax_computation
from federax.core import types


def _local(fn, *specs):
  """A JAX computation of `fn` over internal values of the `specs` types."""
  def body(*args):
    return fn(*(jax_support.python_to_internal(a, t, 'argument')
                for a, t in zip(args, specs)))
  body.__name__ = fn.__name__
  body.__signature__ = inspect.signature(fn)
  return jax_computation.jax_computation(body, *specs)


def _groups(aggregations):
  """Indices of the general aggregations, then of each secure-sum kind."""
  groups = [[i for i, a in enumerate(aggregations) if a.secure is None]]
  for kind in _SECURE:
    groups.append([i for i, a in enumerate(aggregations) if a.secure == kind])
  return groups


def get_map_reduce_form_for_computation(comp) -> MapReduceForm:
  """The `MapReduceForm` of a round `(<S@SERVER,{D}@CLIENTS> -> ...)`.

  Example:
    >>> import numpy as np, federax as fx
    >>> @fx.federated_computation(fx.type_at_server(np.float32),
    ...                           fx.type_at_clients(np.float32))
    ... def round_(state, data):
    ...   mean = fx.federated_mean(fx.federated_map(fx.jax_computation(
    ...       lambda x, s: x * s, np.float32, np.float32),
    ...       [data, fx.federated_broadcast(state)]))
    ...   return mean, fx.federated_max(data)
    >>> form = fx.compiler.get_map_reduce_form_for_computation(round_)
    >>> print(form.prepare.type_signature)
    (float32 -> <float32>)
  """
  from federax.backends.jax import ingest
  from federax.backends.jax import staging
  if not isinstance(comp, computation_lib.Computation):
    raise TypeError(f'comp: expected an fx.Computation with type specs, got '
                    f'{type(comp).__name__}.')
  reason = ingest.check_lowerable(comp)
  if reason:
    raise staging.NotFitting(f'the round cannot be lowered to JAX: {reason}.')
  stages = staging.Stages(comp)
  s, d = stages.state_type, stages.data_type
  jax = jax_support.jax()

  prepare = _local(stages.prepare, s)
  b = prepare.type_signature.result
  found = []  # The aggregations' kinds, found by tracing abstractly.
  jax.eval_shape(lambda: found.extend(stages.aggregations()))
  groups = _groups(found)

  def work(data, sent):
    rows = stages.work(data, sent)
    return tuple(tuple(rows[i] for i in g) for g in groups)

  work_c = _local(work, d, b)
  a = work_c.type_signature.result[0]
  general = groups[0]

  def zero():
    aggs = stages.aggregations()
    return tuple(aggs[i].init() for i in general)

  zero_c = _local(zero)
  u = zero_c.type_signature.result

  def accumulate(acc, value):
    aggs = stages.aggregations()
    return tuple(staging.accumulate(aggs[i], acc[k], value[k])
                 for k, i in enumerate(general))

  def merge(x, y):
    aggs = stages.aggregations()
    return tuple(aggs[i].combine(x[k], y[k]) for k, i in enumerate(general))

  def report(acc):
    aggs = stages.aggregations()
    return tuple(aggs[i].finish(acc[k]) for k, i in enumerate(general))

  def bounds(group):
    def bound():
      aggs = stages.aggregations()
      return tuple(jax.numpy.asarray(aggs[i].bound) for i in group)
    return _local(bound)

  report_c = _local(report, u)
  results_type = types.StructType([report_c.type_signature.result] + [
      types.StructType([t for t in work_c.type_signature.result[k]])
      for k in (1, 2, 3)])
  result_type = _unplaced(comp.type_signature.result)

  def update(state, results):
    flat = [None] * sum(len(g) for g in groups)
    for g, values in zip(groups, results):
      for i, v in zip(g, values):
        flat[i] = v
    new = stages.update(state, flat)
    return jax_support.internal_to_python(new, result_type)

  return MapReduceForm(
      comp.type_signature, prepare, work_c, zero_c,
      _local(accumulate, u, a), _local(merge, u, u), report_c,
      bounds(groups[1]), bounds(groups[2]), bounds(groups[3]),
      _local(update, s, results_type))


def _unplaced(t):
  if isinstance(t, types.StructType):
    return types.StructType([(n, _unplaced(e)) for n, e in t.elements],
                            t.container_type)
  return t.member


def get_map_reduce_form_for_process(process) -> MapReduceForm:
  """The `MapReduceForm` of an iterative process's `next` computation."""
  return get_map_reduce_form_for_computation(process.next)
