"""The federated operators users call: `fx.federated_*` and `fx.sequence_*`.

Each checks its arguments' types, raising `TypeError` that names the
argument, the expected and the actual type, and emits a call of the
intrinsic into the current trace. They can only be used while tracing a
`federated_computation`.
"""

from __future__ import annotations

import numpy as np

from federax.core import building_blocks as bb
from federax.core import dtypes as dtypes_lib
from federax.core import placements
from federax.core import structure
from federax.core import tracing
from federax.core import types
from federax.core.types import (FederatedType, FunctionType, SequenceType,
                                StructType, TensorType)
from federax.core.value import Value, to_function, to_value

_I32 = TensorType(np.int32)


def _error(op, arg, expected, actual, fix=''):
  return TypeError(f'{op}({arg}): expected {expected}, got {actual}.'
                   + (f' {fix}' if fix else ''))


def _require_tracing(op):
  if tracing.current_tracing_context() is None:
    raise RuntimeError(
        f'{op} can only be used inside a function decorated with '
        f'fx.federated_computation (while it is traced); call that '
        f'computation instead.')


def _value(x, op, arg, hint=None) -> Value:
  if isinstance(x, Value):
    return x
  try:
    return to_value(x, hint)
  except TypeError as e:
    raise TypeError(f'{op}({arg}): {e}') from None


def _call(uri, parameter_type, result_type, argument: Value) -> Value:
  fn = bb.Intrinsic(uri, FunctionType(parameter_type, result_type))
  return tracing.bind(bb.Call(fn, argument.comp))


def _struct(*values: Value) -> Value:
  return Value(bb.Struct([v.comp for v in values]))


def _federated(v: Value, op, arg, placement=None) -> FederatedType:
  t = v.type_signature
  if not isinstance(t, FederatedType) or (placement is not None and
                                          t.placement != placement):
    if placement is placements.SERVER:
      where = 'T@SERVER'
    elif placement is placements.CLIENTS:
      where = '{T}@CLIENTS'
    else:
      where = 'a placed value T@P'
    fix = ''
    if placement is placements.SERVER and isinstance(t, FederatedType):
      fix = 'Aggregate client values to the server first (e.g. federated_sum).'
    elif placement is placements.CLIENTS and isinstance(t, FederatedType):
      fix = 'Broadcast server values to clients with federated_broadcast.'
    elif not isinstance(t, FederatedType):
      fix = 'Place the value first with federated_value.'
    raise _error(op, arg, where, t, fix)
  return t


_NOT_PLACEABLE = (FederatedType, FunctionType, types.PlacementType)
_NOT_IN_SEQUENCE = _NOT_PLACEABLE + (SequenceType,)


def _check_local_result(op, arg, f: Value, kinds=_NOT_PLACEABLE,
                        where='placed'):
  """Raises unless `f`'s result can be a member (or element) type."""
  r = f.type_signature.result
  if types.contains(r, kinds):
    banned = ('placed values or functions' if kinds == _NOT_PLACEABLE else
              'placed values, functions or sequences')
    raise _error(op, arg, f'a function returning a value that can be '
                 f'{where} (no {banned} in it)', f.type_signature)
  return r


def _tensors(t, pred) -> bool:
  if isinstance(t, TensorType):
    return pred(t.dtype)
  if isinstance(t, StructType):
    return all(_tensors(e, pred) for e in t)
  return False


def _numeric(d):
  return d != dtypes_lib.STR and d != np.bool_


def _real(d):
  return _numeric(d) and d.kind != 'c'


def federated_broadcast(value):
  """Broadcasts a server value to every client: `T@SERVER -> T@CLIENTS`."""
  _require_tracing('federated_broadcast')
  v = _value(value, 'federated_broadcast', 'value')
  t = _federated(v, 'federated_broadcast', 'value', placements.SERVER)
  return _call('federated_broadcast', types.type_at_server(t.member),
               types.type_at_clients(t.member, all_equal=True), v)


def _all_placed(t) -> bool:
  """Whether `t` is a non-empty struct whose leaves are all placed values."""
  return isinstance(t, StructType) and len(t) > 0 and all(
      isinstance(e, FederatedType) or _all_placed(e) for e in t)


def _zip_if_needed(value, op, arg) -> Value:
  if not isinstance(value, Value) and structure.is_container(value):
    return _zip(value, op, arg)
  v = _value(value, op, arg)
  if _all_placed(v.type_signature):
    return _zip(v, op, arg)
  return v


def federated_map(fn, arg):
  """Applies `fn` to each member of a placed value.

  `<(T->U),{T}@CLIENTS> -> {U}@CLIENTS`; on an all-equal value the result is
  all-equal, and on a SERVER value this is `federated_apply`. A list, tuple
  or dict of placed values is zipped first, so a two-parameter computation
  can be mapped over two placed values.
  """
  _require_tracing('federated_map')
  v = _zip_if_needed(arg, 'federated_map', 'arg')
  t = _federated(v, 'federated_map', 'arg')
  f = to_function(fn, t.member, 'federated_map(fn)')
  _check_local_result('federated_map', 'fn', f)
  ft = f.type_signature
  if t.placement is placements.SERVER:
    return _call('federated_apply', StructType([ft, types.type_at_server(
        ft.parameter)]), types.type_at_server(ft.result), _struct(f, v))
  if t.all_equal:
    return _call('federated_map_all_equal', StructType(
        [ft, types.type_at_clients(ft.parameter, True)]),
                 types.type_at_clients(ft.result, True), _struct(f, v))
  return _call('federated_map', StructType(
      [ft, types.type_at_clients(ft.parameter)]),
               types.type_at_clients(ft.result), _struct(f, v))


def federated_apply(fn, arg):
  """Applies `fn` to a server value: `<(T->U),T@SERVER> -> U@SERVER`."""
  _require_tracing('federated_apply')
  v = _zip_if_needed(arg, 'federated_apply', 'arg')
  _federated(v, 'federated_apply', 'arg', placements.SERVER)
  return federated_map(fn, v)


def federated_eval(fn, placement):
  """Evaluates a no-argument `fn` at `placement` (per client at CLIENTS)."""
  _require_tracing('federated_eval')
  if not isinstance(placement, placements.PlacementLiteral):
    raise _error('federated_eval', 'placement', 'fx.CLIENTS or fx.SERVER',
                 repr(placement))
  f = to_function(fn, None, 'federated_eval(fn)')
  result = _check_local_result('federated_eval', 'fn', f)
  if placement is placements.CLIENTS:
    return _call('federated_eval_at_clients', f.type_signature,
                 types.type_at_clients(result), f)
  return _call('federated_eval_at_server', f.type_signature,
               types.type_at_server(result), f)


def federated_value(value, placement):
  """Places an unplaced value: `T -> T@CLIENTS` (all-equal) or `T@SERVER`."""
  _require_tracing('federated_value')
  if not isinstance(placement, placements.PlacementLiteral):
    raise _error('federated_value', 'placement', 'fx.CLIENTS or fx.SERVER',
                 repr(placement))
  v = _value(value, 'federated_value', 'value')
  t = v.type_signature
  if types.contains(t, FederatedType):
    raise _error('federated_value', 'value', 'an unplaced value T', t,
                 'The value is already placed; use federated_broadcast to '
                 'move it from SERVER to CLIENTS.')
  if types.contains(t, _NOT_PLACEABLE):
    raise _error('federated_value', 'value', 'an unplaced value T', t,
                 'Functions cannot be placed; use federated_eval to run a '
                 'function at a placement.')
  if placement is placements.CLIENTS:
    return _call('federated_value_at_clients', t,
                 types.type_at_clients(t, True), v)
  return _call('federated_value_at_server', t, types.type_at_server(t), v)


def federated_zip(value):
  """Zips a struct of placed values into a placed struct (names kept).

  `<{A}@P,{B}@P> -> {<A,B>}@P`; nested structs are zipped recursively.
  """
  _require_tracing('federated_zip')
  return _zip(value, 'federated_zip', 'value')


def _zip(value, op, arg) -> Value:
  """`federated_zip`, with errors reported as coming from `op(arg)`."""
  if not isinstance(value, Value) and structure.is_container(value):
    elements = structure.elements_of(value)
    zipped = []
    for n, e in elements:
      if not isinstance(e, Value) and structure.is_container(e):
        e = _zip(e, op, arg)
      zipped.append((n, _value(e, op, arg).comp))
    container = None if isinstance(value, structure.Struct) else type(value)
    value = Value(bb.Struct(zipped, container))
  v = _value(value, op, arg)
  t = v.type_signature
  if not isinstance(t, StructType) or not len(t):
    raise _error(op, arg, 'a non-empty struct of placed values '
                 '<{A}@P,{B}@P,...>', t)
  if any(isinstance(e, StructType) for e in t):
    v = Value(bb.Struct(
        [(n, _zip(v[i], op, arg).comp if isinstance(e, StructType) else
          v[i].comp) for i, (n, e) in enumerate(t.elements)],
        t.container_type))
    t = v.type_signature
  placement = None
  for i, (n, e) in enumerate(t.elements):
    if not isinstance(e, FederatedType):
      raise _error(op, arg, 'a struct of placed values <{A}@P,{B}@P,...>', t,
                   f'Element {n if n else i} of type {e} is not placed; '
                   f'place it with federated_value.')
    if placement is None:
      placement = e.placement
    elif e.placement != placement:
      raise _error(op, arg, f'all values at {placement}', t,
                   'Zip values at the same placement only (broadcast '
                   'SERVER values to CLIENTS with federated_broadcast).')
  param = StructType([(n, FederatedType(e.member, placement))
                      for n, e in t.elements])
  member = StructType([(n, e.member) for n, e in t.elements],
                      t.container_type)
  return _call(f'federated_zip_at_{placement.uri}', param,
               FederatedType(member, placement), v)


def _aggregate(uri, op, value, pred, what):
  v = _value(value, op, 'value')
  t = _federated(v, op, 'value', placements.CLIENTS)
  if not _tensors(t.member, pred):
    raise _error(op, 'value', f'{{T}}@CLIENTS with T {what} tensors or a '
                 f'struct of them', t)
  return _call(uri, types.type_at_clients(t.member),
               types.type_at_server(t.member), v)


def federated_sum(value):
  """Sums client values at the server: `{T}@CLIENTS -> T@SERVER`."""
  _require_tracing('federated_sum')
  return _aggregate('federated_sum', 'federated_sum', value, _numeric,
                    'numeric')


def federated_min(value):
  """Elementwise minimum of client values: `{T}@CLIENTS -> T@SERVER`."""
  _require_tracing('federated_min')
  return _aggregate('federated_min', 'federated_min', value, _real,
                    'real numeric')


def federated_max(value):
  """Elementwise maximum of client values: `{T}@CLIENTS -> T@SERVER`."""
  _require_tracing('federated_max')
  return _aggregate('federated_max', 'federated_max', value, _real,
                    'real numeric')


def federated_mean(value, weight=None):
  """The (weighted) mean of client values: `{T}@CLIENTS -> T@SERVER`.

  `T` must be floating; `weight`, if given, a scalar int or float at CLIENTS.
  """
  _require_tracing('federated_mean')
  v = _value(value, 'federated_mean', 'value')
  t = _federated(v, 'federated_mean', 'value', placements.CLIENTS)
  if not _tensors(t.member, dtypes_lib.is_floating):
    raise _error('federated_mean', 'value', '{T}@CLIENTS with T floating', t,
                 'Cast integers to a float dtype first (in a jax_computation '
                 'mapped with federated_map).')
  if weight is None:
    return _call('federated_mean', types.type_at_clients(t.member),
                 types.type_at_server(t.member), v)
  w = _value(weight, 'federated_mean', 'weight')
  wt = _federated(w, 'federated_mean', 'weight', placements.CLIENTS)
  m = wt.member
  if not (isinstance(m, TensorType) and m.shape == () and _real(m.dtype)):
    raise _error('federated_mean', 'weight',
                 'a scalar int or float at CLIENTS, e.g. {float32}@CLIENTS',
                 wt)
  return _call('federated_weighted_mean', StructType(
      [types.type_at_clients(t.member), types.type_at_clients(m)]),
               types.type_at_server(t.member), _struct(v, w))


def federated_aggregate(value, zero, accumulate, merge, report):
  """Generalized aggregation: accumulate per client, merge, then report.

  `<{T}@CLIENTS,U,(<U,T>->U),(<U,U>->U),(U->R)> -> R@SERVER`.
  """
  _require_tracing('federated_aggregate')
  op = 'federated_aggregate'
  v = _value(value, op, 'value')
  t = _federated(v, op, 'value', placements.CLIENTS)
  hint = _state_hint(accumulate)
  z = _value(zero, op, 'zero', hint)
  u = _state_type(z.type_signature, hint)
  if types.contains(u, (FederatedType, FunctionType)):
    raise _error(op, 'zero', 'an unplaced value U', u)
  acc = to_function(accumulate, StructType([u, t.member]),
                    f'{op}(accumulate)')
  _check_result(op, 'accumulate', u, acc)
  mer = to_function(merge, StructType([u, u]), f'{op}(merge)')
  _check_result(op, 'merge', u, mer)
  rep = to_function(report, u, f'{op}(report)')
  r = _check_local_result(op, 'report', rep)
  param = StructType([
      types.type_at_clients(t.member), u,
      FunctionType(StructType([u, t.member]), u),
      FunctionType(StructType([u, u]), u), FunctionType(u, r)
  ])
  return _call('federated_aggregate', param, types.type_at_server(r),
               _struct(v, z, acc, mer, rep))


def _state_hint(fn):
  """The state type `U` a typed `(<U,T> -> U)` function declares, if any."""
  sig = getattr(fn, 'type_signature', None)
  if isinstance(sig, FunctionType) and isinstance(
      sig.parameter, StructType) and len(sig.parameter) == 2:
    return sig.parameter[0]
  return None


def _unnamed(t):
  return types.map_types(t, lambda s: StructType(list(s)) if isinstance(
      s, StructType) else s)


def _state_type(u, hint):
  """The type of zero, named as `hint` when it differs only by names.

  A zero given as a list or tuple, e.g. `[0.0, 0]`, then matches an
  accumulator over a NamedTuple or dict of the same elements.
  """
  if (hint is not None and hint != u and hint.is_assignable_from(u) and
      _unnamed(hint) == _unnamed(u)):
    return hint
  return u


def _check_result(op, arg, u, f: Value):
  if not u.is_assignable_from(f.type_signature.result):
    raise _error(op, arg, f'a function returning the type of zero, {u}',
                 f.type_signature, 'Make zero and the result types agree.')


def _secure(uri, value, bound, bound_name):
  v = _value(value, uri, 'value')
  t = _federated(v, uri, 'value', placements.CLIENTS)
  if not _tensors(t.member, dtypes_lib.is_integer):
    raise _error(uri, 'value', '{V}@CLIENTS with V integer tensors', t,
                 'Secure sums work on integers; quantize floats first.')
  b = _value(bound, uri, bound_name)
  bt = b.type_signature
  if types.contains(bt, (FederatedType, FunctionType)) or not _tensors(
      bt, dtypes_lib.is_integer):
    raise _error(uri, bound_name, 'an unplaced integer constant', bt)
  return _call(uri, StructType([types.type_at_clients(t.member), bt]),
               types.type_at_server(t.member), _struct(v, b))


def federated_secure_sum(value, max_input):
  """Sums integers in `[0, max_input]` securely: `<{V}@CLIENTS,M> -> V@SERVER`."""
  _require_tracing('federated_secure_sum')
  return _secure('federated_secure_sum', value, max_input, 'max_input')


def federated_secure_sum_bitwidth(value, bitwidth):
  """Sums integers of `bitwidth` bits securely: `<{V}@CLIENTS,B> -> V@SERVER`."""
  _require_tracing('federated_secure_sum_bitwidth')
  return _secure('federated_secure_sum_bitwidth', value, bitwidth, 'bitwidth')


def federated_secure_modular_sum(value, modulus):
  """Sums integers modulo `modulus` securely: `<{V}@CLIENTS,M> -> V@SERVER`."""
  _require_tracing('federated_secure_modular_sum')
  return _secure('federated_secure_modular_sum', value, modulus, 'modulus')


def federated_select(client_keys, max_key, server_val, select_fn):
  """Each client receives `select_fn(server_val, k)` for each of its keys.

  `<{int32[n]}@CLIENTS,int32@SERVER,T@SERVER,(<T,int32>->U)> -> {U*}@CLIENTS`.
  """
  _require_tracing('federated_select')
  op = 'federated_select'
  k = _value(client_keys, op, 'client_keys')
  kt = _federated(k, op, 'client_keys', placements.CLIENTS)
  if not (isinstance(kt.member, TensorType) and kt.member.dtype == np.int32 and
          kt.member.rank == 1):
    raise _error(op, 'client_keys', '{int32[n]}@CLIENTS', kt)
  m = _value(max_key, op, 'max_key')
  if m.type_signature != types.type_at_server(_I32):
    raise _error(op, 'max_key', 'int32@SERVER', m.type_signature,
                 'Place it with federated_value(max_key, fx.SERVER).')
  s = _value(server_val, op, 'server_val')
  st = _federated(s, op, 'server_val', placements.SERVER)
  f = to_function(select_fn, StructType([st.member, _I32]), f'{op}(select_fn)')
  u = _check_local_result(op, 'select_fn', f, _NOT_IN_SEQUENCE,
                          'a sequence element')
  param = StructType([types.type_at_clients(kt.member),
                      types.type_at_server(_I32), types.type_at_server(
                          st.member), FunctionType(StructType(
                              [st.member, _I32]), u)])
  return _call('federated_select', param,
               types.type_at_clients(SequenceType(u)), _struct(k, m, s, f))


def _sequence(value, op, arg) -> tuple[Value, SequenceType | None]:
  v = _value(value, op, arg)
  t = v.type_signature
  if isinstance(t, SequenceType):
    return v, t
  if isinstance(t, FederatedType) and isinstance(t.member, SequenceType):
    return v, None
  raise _error(op, arg, 'a sequence T* (or a placed one {T*}@P)', t)


def _per_member(v: Value, fn):
  """`fn` applied inside each member of a placed sequence."""
  return federated_map(lambda s: fn(s), v)


def sequence_map(fn, arg):
  """Applies `fn` to each element: `<(T->U),T*> -> U*` (or per member)."""
  _require_tracing('sequence_map')
  v, t = _sequence(arg, 'sequence_map', 'arg')
  if t is None:
    return _per_member(v, lambda s: sequence_map(fn, s))
  f = to_function(fn, t.element, 'sequence_map(fn)')
  _check_local_result('sequence_map', 'fn', f, _NOT_IN_SEQUENCE,
                      'a sequence element')
  ft = f.type_signature
  return _call('sequence_map', StructType([ft, SequenceType(ft.parameter)]),
               SequenceType(ft.result), _struct(f, v))


def sequence_reduce(value, zero, op):
  """Folds a sequence: `<T*,U,(<U,T>->U)> -> U` (or per member)."""
  _require_tracing('sequence_reduce')
  v, t = _sequence(value, 'sequence_reduce', 'value')
  if t is None:
    return _per_member(v, lambda s: sequence_reduce(s, zero, op))
  hint = _state_hint(op)
  z = _value(zero, 'sequence_reduce', 'zero', hint)
  u = _state_type(z.type_signature, hint)
  if types.contains(u, (FederatedType, FunctionType)):
    raise _error('sequence_reduce', 'zero', 'an unplaced value U', u)
  f = to_function(op, StructType([u, t.element]), 'sequence_reduce(op)')
  _check_result('sequence_reduce', 'op', u, f)
  return _call('sequence_reduce', StructType([t, u, FunctionType(
      StructType([u, t.element]), u)]), u, _struct(v, z, f))


def sequence_sum(value):
  """Sums a sequence's elements: `T* -> T` (or per member)."""
  _require_tracing('sequence_sum')
  v, t = _sequence(value, 'sequence_sum', 'value')
  if t is None:
    return _per_member(v, sequence_sum)
  if not _tensors(t.element, _numeric):
    raise _error('sequence_sum', 'value', 'T* with T numeric', t)
  return _call('sequence_sum', t, t.element, v)
