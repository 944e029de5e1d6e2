"""Checks and IR helpers shared by the `fx.federated_*` and `fx.sequence_*`
operators.

Private to the intrinsic modules (`intrinsics`, `aggregation_intrinsics`,
`sequence_intrinsics`): converting arguments to traced values, raising
`TypeError`s that name the operator, the argument, and the expected and actual
types, and emitting a call of an intrinsic into the current trace.
"""

from __future__ import annotations

import numpy as np

from federax.core import building_blocks as bb
from federax.core import dtypes as dtypes_lib
from federax.core import placements
from federax.core import tracing
from federax.core import types
from federax.core.types import (FederatedType, FunctionType, SequenceType,
                                StructType, TensorType)
from federax.core.value import Value, to_value

INT32 = TensorType(np.int32)


def arg_error(op, arg, expected, actual, fix=''):
  return TypeError(f'{op}({arg}): expected {expected}, got {actual}.' +
                   (f' {fix}' if fix else ''))


def require_tracing(op):
  if tracing.current_tracing_context() is None:
    raise RuntimeError(
        f'{op} can only be used inside a function decorated with '
        f'fx.federated_computation (while it is traced); call that '
        f'computation instead.')


def as_value(x, op, arg, hint=None) -> Value:
  if isinstance(x, Value):
    return x
  try:
    return to_value(x, hint)
  except TypeError as e:
    raise TypeError(f'{op}({arg}): {e}') from None


def call_intrinsic(uri, parameter_type, result_type, argument: Value) -> Value:
  fn = bb.Intrinsic(uri, FunctionType(parameter_type, result_type))
  return tracing.bind(bb.Call(fn, argument.comp))


def struct_of(*values: Value) -> Value:
  return Value(bb.Struct([v.comp for v in values]))


def placed_type(v: Value, op, arg, placement=None) -> FederatedType:
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
    raise arg_error(op, arg, where, t, fix)
  return t


NOT_PLACEABLE = (FederatedType, FunctionType, types.PlacementType)
NOT_IN_SEQUENCE = NOT_PLACEABLE + (SequenceType,)


def check_local_result(op, arg, f: Value, kinds=NOT_PLACEABLE, where='placed'):
  """Raises unless `f`'s result can be a member (or element) type."""
  r = f.type_signature.result
  if types.contains(r, kinds):
    banned = ('placed values or functions' if kinds == NOT_PLACEABLE else
              'placed values, functions or sequences')
    raise arg_error(
        op, arg, f'a function returning a value that can be '
        f'{where} (no {banned} in it)', f.type_signature)
  return r


def all_tensors(t, pred) -> bool:
  if isinstance(t, TensorType):
    return pred(t.dtype)
  if isinstance(t, StructType):
    return all(all_tensors(e, pred) for e in t)
  return False


def is_numeric(d):
  return d != dtypes_lib.STR and d != np.bool_


def is_real(d):
  return is_numeric(d) and d.kind != 'c'


def state_hint(fn):
  """The state type `U` a typed `(<U,T> -> U)` function declares, if any."""
  sig = getattr(fn, 'type_signature', None)
  if isinstance(sig, FunctionType) and isinstance(
      sig.parameter, StructType) and len(sig.parameter) == 2:
    return sig.parameter[0]
  return None


def unnamed(t):
  return types.map_types(
      t, lambda s: StructType(list(s)) if isinstance(s, StructType) else s)


def state_type(u, hint):
  """The type of zero, named as `hint` when it differs only by names.

  A zero given as a list or tuple, e.g. `[0.0, 0]`, then matches an
  accumulator over a NamedTuple or dict of the same elements.
  """
  if (hint is not None and hint != u and hint.is_assignable_from(u) and
      unnamed(hint) == unnamed(u)):
    return hint
  return u


def check_result(op, arg, u, f: Value):
  if not u.is_assignable_from(f.type_signature.result):
    raise arg_error(op, arg, f'a function returning the type of zero, {u}',
                    f.type_signature, 'Make zero and the result types agree.')
