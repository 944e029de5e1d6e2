"""The sequence operators: `fx.sequence_map`, `sequence_reduce` and
`sequence_sum`.

Each works on a sequence `T*`, or per member on a placed sequence
(`{T*}@CLIENTS`, through `federated_map`), checks its arguments' types like
the other intrinsics, and can only be used while tracing a
`federated_computation`.
"""

from __future__ import annotations

from federax.core import types
from federax.core.intrinsic_checks import (NOT_IN_SEQUENCE, call_intrinsic,
                                           check_local_result, check_result,
                                           arg_error, is_numeric,
                                           require_tracing, state_hint,
                                           state_type, struct_of, all_tensors,
                                           as_value)
from federax.core.intrinsics import federated_map
from federax.core.types import (FederatedType, FunctionType, SequenceType,
                                StructType)
from federax.core.value import Value, to_function


def _sequence(value, op, arg) -> tuple[Value, SequenceType | None]:
  v = as_value(value, op, arg)
  t = v.type_signature
  if isinstance(t, SequenceType):
    return v, t
  if isinstance(t, FederatedType) and isinstance(t.member, SequenceType):
    return v, None
  raise arg_error(op, arg, 'a sequence T* (or a placed one {T*}@P)', t)


def _per_member(v: Value, fn):
  """`fn` applied inside each member of a placed sequence."""
  return federated_map(lambda s: fn(s), v)


def sequence_map(fn, arg):
  """Applies `fn` to each element: `<(T->U),T*> -> U*` (or per member).

  Example:
    >>> import numpy as np, federax as fx
    >>> double = fx.jax_computation(lambda x: x * 2, np.int32)
    >>> @fx.federated_computation(fx.SequenceType(np.int32))
    ... def double_all(seq):
    ...   return fx.sequence_map(double, seq)
    >>> print(double_all.type_signature)
    (int32* -> int32*)
    >>> [int(x) for x in double_all([1, 2, 3])]
    [2, 4, 6]
  """
  require_tracing('sequence_map')
  v, t = _sequence(arg, 'sequence_map', 'arg')
  if t is None:
    return _per_member(v, lambda s: sequence_map(fn, s))
  f = to_function(fn, t.element, 'sequence_map(fn)')
  check_local_result('sequence_map', 'fn', f, NOT_IN_SEQUENCE,
                     'a sequence element')
  ft = f.type_signature
  return call_intrinsic('sequence_map',
                        StructType([ft, SequenceType(ft.parameter)]),
                        SequenceType(ft.result), struct_of(f, v))


def sequence_reduce(value, zero, op):
  """Folds a sequence: `<T*,U,(<U,T>->U)> -> U` (or per member).

  Example:
    >>> import numpy as np, federax as fx
    >>> add = fx.jax_computation(lambda total, x: total + x, np.float32,
    ...                          np.int32)
    >>> @fx.federated_computation(fx.type_at_clients(fx.SequenceType(np.int32)))
    ... def client_totals(datasets):
    ...   return fx.sequence_reduce(datasets, np.float32(0.5), add)
    >>> print(client_totals.type_signature)
    ({int32*}@CLIENTS -> {float32}@CLIENTS)
    >>> [float(x) for x in client_totals([[1, 2, 3], [4, 5]])]
    [6.5, 9.5]
  """
  require_tracing('sequence_reduce')
  v, t = _sequence(value, 'sequence_reduce', 'value')
  if t is None:
    return _per_member(v, lambda s: sequence_reduce(s, zero, op))
  hint = state_hint(op)
  z = as_value(zero, 'sequence_reduce', 'zero', hint)
  u = state_type(z.type_signature, hint)
  if types.contains(u, (FederatedType, FunctionType)):
    raise arg_error('sequence_reduce', 'zero', 'an unplaced value U', u)
  f = to_function(op, StructType([u, t.element]), 'sequence_reduce(op)')
  check_result('sequence_reduce', 'op', u, f)
  return call_intrinsic(
      'sequence_reduce',
      StructType([t, u, FunctionType(StructType([u, t.element]), u)]), u,
      struct_of(v, z, f))


def sequence_sum(value):
  """Sums a sequence's elements: `T* -> T` (or per member).

  Example:
    >>> import numpy as np, federax as fx
    >>> @fx.federated_computation(fx.SequenceType(np.int32))
    ... def total(seq):
    ...   return fx.sequence_sum(seq)
    >>> print(total.type_signature)
    (int32* -> int32)
    >>> int(total([1, 2, 3, 4]))
    10
  """
  require_tracing('sequence_sum')
  v, t = _sequence(value, 'sequence_sum', 'value')
  if t is None:
    return _per_member(v, sequence_sum)
  if not all_tensors(t.element, is_numeric):
    raise arg_error('sequence_sum', 'value', 'T* with T numeric', t)
  return call_intrinsic('sequence_sum', t, t.element, v)
