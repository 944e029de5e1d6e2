"""`MapReduceForm`: a round as local pieces around one map and one reduce.

As in TFF (`tff.backends.mapreduce.MapReduceForm`), a round
`(<S@SERVER,{D}@CLIENTS> -> <S@SERVER,M@SERVER>)` that fits the form is

    sent    = federated_broadcast(federated_map(prepare, state))
    outputs = federated_map(work, <client_data, sent>)
    r       = federated_aggregate(outputs[0], zero(), accumulate, merge, report)
    bw      = federated_secure_sum_bitwidth(outputs[1], secure_sum_bitwidth())
    mx      = federated_secure_sum(outputs[2], secure_sum_max_input())
    mod     = federated_secure_modular_sum(outputs[3],
                                           secure_modular_sum_modulus())
    <state, metrics> = federated_map(update, <state, <r, bw, mx, mod>>)

where every piece is a local (unplaced) computation. This is what a
production system (or the Ray backend) needs: the client part and the
aggregation part separately.
"""

from __future__ import annotations

import dataclasses

from federax.core import computation as computation_lib
from federax.core import structure
from federax.core import types

_SECURE = ('federated_secure_sum_bitwidth', 'federated_secure_sum',
           'federated_secure_modular_sum')


def _is_empty(t) -> bool:
  return isinstance(t, types.StructType) and not len(t)


@dataclasses.dataclass(frozen=True)
class MapReduceForm:
  """The pieces of a round that fits the map-reduce form (see module doc).

  `type_signature` is the round's type; all other fields are local
  computations. Build one with
  `fx.compiler.get_map_reduce_form_for_computation(round)`, and the round
  back with `fx.compiler.get_computation_for_map_reduce_form(form)`.
  """

  type_signature: types.FunctionType
  prepare: computation_lib.Computation       # (S -> B)
  work: computation_lib.Computation          # (<D,B> -> <A,SB,SM,SMod>)
  zero: computation_lib.Computation          # ( -> U)
  accumulate: computation_lib.Computation    # (<U,A> -> U)
  merge: computation_lib.Computation         # (<U,U> -> U)
  report: computation_lib.Computation        # (U -> R)
  secure_sum_bitwidth: computation_lib.Computation         # ( -> <...>)
  secure_sum_max_input: computation_lib.Computation        # ( -> <...>)
  secure_modular_sum_modulus: computation_lib.Computation  # ( -> <...>)
  update: computation_lib.Computation  # (<S,<R,SBr,SMr,SModr>> -> <S,M>)

  def __post_init__(self):
    for f in dataclasses.fields(self)[1:]:
      value = getattr(self, f.name)
      if not isinstance(value, computation_lib.Computation):
        raise TypeError(f'MapReduceForm({f.name}): expected an fx.Computation, '
                        f'got {type(value).__name__}.')
      if types.contains(value.type_signature, types.FederatedType):
        raise TypeError(f'MapReduceForm({f.name}): expected a local '
                        f'(unplaced) computation, got one of type '
                        f'{value.type_signature}.')
    s = self.type_signature.parameter[0].member
    b = self.prepare.type_signature.result
    u = self.zero.type_signature.result
    work_out = self.work.type_signature.result
    self._expect('prepare', self.prepare.type_signature.parameter, s)
    self._expect('work', self.work.type_signature.parameter[1], b)
    self._expect('accumulate', self.accumulate.type_signature.parameter,
                 types.StructType([u, work_out[0]]))
    self._expect('merge', self.merge.type_signature.parameter,
                 types.StructType([u, u]))
    self._expect('report', self.report.type_signature.parameter, u)

  def _expect(self, name, parameter, argument):
    if parameter is None or not parameter.is_assignable_from(argument):
      raise TypeError(f'MapReduceForm({name}): its parameter {parameter} does '
                      f'not accept {argument}, which the form passes it.')

  def summary(self) -> str:
    """One line per piece with its type signature."""
    return '\n'.join(f'{f.name}: {getattr(self, f.name).type_signature}'
                     for f in dataclasses.fields(self)[1:])


def get_computation_for_map_reduce_form(form: MapReduceForm):
  """The federated round a `MapReduceForm` describes (the reverse conversion).

  Example:
    >>> import numpy as np, federax as fx
    >>> @fx.federated_computation(fx.type_at_server(np.float32),
    ...                           fx.type_at_clients(np.float32))
    ... def round_(state, data):
    ...   total = fx.federated_sum(data)
    ...   return fx.federated_map(fx.jax_computation(
    ...       lambda s, t: s + t, np.float32, np.float32), [state, total])
    >>> form = fx.compiler.get_map_reduce_form_for_computation(round_)
    >>> again = fx.compiler.get_computation_for_map_reduce_form(form)
    >>> float(again(1.0, [2.0, 3.0]))
    6.0
  """
  from federax.core import aggregation_intrinsics as agg
  from federax.core import intrinsics
  from federax.core.federated_computation import federated_computation
  from federax.core.placements import SERVER

  ft = form.type_signature
  work_out = form.work.type_signature.result
  bounds = (form.secure_sum_bitwidth, form.secure_sum_max_input,
            form.secure_modular_sum_modulus)
  secure_ops = (agg.federated_secure_sum_bitwidth, agg.federated_secure_sum,
                agg.federated_secure_modular_sum)

  def round_(state, data):
    sent = intrinsics.federated_broadcast(
        intrinsics.federated_map(form.prepare, state))
    outputs = intrinsics.federated_map(form.work, [data, sent])
    results = []
    if _is_empty(work_out[0]):
      results.append(intrinsics.federated_value((), SERVER))
    else:
      results.append(agg.federated_aggregate(
          outputs[0], form.zero(), form.accumulate, form.merge, form.report))
    for i, (bound, op) in enumerate(zip(bounds, secure_ops), start=1):
      if _is_empty(work_out[i]):
        results.append(intrinsics.federated_value((), SERVER))
      else:
        results.append(op(outputs[i], bound()))
    new = intrinsics.federated_map(
        form.update, [state, intrinsics.federated_zip(results)])
    return unzip(new, ft.result)

  return federated_computation(_named(round_, ft.parameter.names()),
                               *ft.parameter)


def unzip(value, result_type):
  """A placed struct `value` as the struct of placed values `result_type`."""
  if not isinstance(result_type, types.StructType):
    return value
  return structure.build(result_type.container_type, result_type.names(),
                         [unzip(value[i], e) for i, e in enumerate(result_type)])


def _named(fn, names):
  """`fn` taking positional parameters called `names` (the round's own)."""
  import inspect

  def wrapper(*args):
    return fn(*args)

  wrapper.__name__ = 'round'
  wrapper.__signature__ = inspect.Signature(
      [inspect.Parameter(n or f'arg{i}', inspect.Parameter.POSITIONAL_OR_KEYWORD)
       for i, n in enumerate(names)])
  return wrapper
