"""The aggregations: `fx.federated_sum`, `mean`, `min`, `max`, `aggregate`
and the secure sums, all `{T}@CLIENTS -> T@SERVER` in shape.

Like the placement operators in `intrinsics`, each checks its arguments'
types, raising `TypeError` that names the argument, the expected and the
actual type, and can only be used while tracing a `federated_computation`.
"""

from __future__ import annotations

import numpy as np

from federax.core import building_blocks as bb
from federax.core import dtypes as dtypes_lib
from federax.core import placements
from federax.core import types
from federax.core.intrinsic_checks import (call_intrinsic, check_local_result,
                                           check_result, arg_error, placed_type,
                                           is_numeric, is_real, require_tracing,
                                           state_hint, state_type, struct_of,
                                           all_tensors, as_value)
from federax.core.types import (FederatedType, FunctionType, StructType,
                                TensorType)
from federax.core.value import to_function


def _aggregate(uri, op, value, pred, what):
  v = as_value(value, op, 'value')
  t = placed_type(v, op, 'value', placements.CLIENTS)
  if not all_tensors(t.member, pred):
    raise arg_error(
        op, 'value', f'{{T}}@CLIENTS with T {what} tensors or a '
        f'struct of them', t)
  return call_intrinsic(uri, types.type_at_clients(t.member),
                        types.type_at_server(t.member), v)


def federated_sum(value):
  """Sums client values at the server: `{T}@CLIENTS -> T@SERVER`.

  Example:
    >>> import numpy as np, federax as fx
    >>> @fx.federated_computation(fx.type_at_clients(np.float32))
    ... def total(x):
    ...   return fx.federated_sum(x)
    >>> print(total.type_signature)
    ({float32}@CLIENTS -> float32@SERVER)
    >>> float(total([1.0, 2.0, 4.5]))
    7.5
  """
  require_tracing('federated_sum')
  return _aggregate('federated_sum', 'federated_sum', value, is_numeric,
                    'numeric')


def federated_min(value):
  """Elementwise minimum of client values: `{T}@CLIENTS -> T@SERVER`.

  Example:
    >>> import numpy as np, federax as fx
    >>> @fx.federated_computation(fx.type_at_clients((np.int32, [2])))
    ... def smallest(x):
    ...   return fx.federated_min(x)
    >>> print(smallest.type_signature)
    ({int32[2]}@CLIENTS -> int32[2]@SERVER)
    >>> smallest(np.array([[3, 1], [2, 5]], np.int32)).tolist()
    [2, 1]
  """
  require_tracing('federated_min')
  return _aggregate('federated_min', 'federated_min', value, is_real,
                    'real numeric')


def federated_max(value):
  """Elementwise maximum of client values: `{T}@CLIENTS -> T@SERVER`.

  Example:
    >>> import numpy as np, federax as fx
    >>> @fx.federated_computation(fx.type_at_clients((np.int32, [2])))
    ... def largest(x):
    ...   return fx.federated_max(x)
    >>> print(largest.type_signature)
    ({int32[2]}@CLIENTS -> int32[2]@SERVER)
    >>> largest(np.array([[3, 1], [2, 5]], np.int32)).tolist()
    [3, 5]
  """
  require_tracing('federated_max')
  return _aggregate('federated_max', 'federated_max', value, is_real,
                    'real numeric')


def federated_mean(value, weight=None):
  """The (weighted) mean of client values: `{T}@CLIENTS -> T@SERVER`.

  `T` must be floating; `weight`, if given, a scalar int or float at CLIENTS.

  Example:
    >>> import numpy as np, federax as fx
    >>> @fx.federated_computation(fx.type_at_clients(np.float32),
    ...                           fx.type_at_clients(np.float32))
    ... def weighted_mean(x, w):
    ...   return fx.federated_mean(x, weight=w)
    >>> print(weighted_mean.type_signature)
    (<x={float32}@CLIENTS,w={float32}@CLIENTS> -> float32@SERVER)
    >>> float(weighted_mean([1.0, 4.0], [3.0, 1.0]))
    1.75
  """
  require_tracing('federated_mean')
  v = as_value(value, 'federated_mean', 'value')
  t = placed_type(v, 'federated_mean', 'value', placements.CLIENTS)
  if not all_tensors(t.member, dtypes_lib.is_floating):
    raise arg_error(
        'federated_mean', 'value', '{T}@CLIENTS with T floating', t,
        'Cast integers to a float dtype first (in a jax_computation '
        'mapped with federated_map).')
  if weight is None:
    return call_intrinsic('federated_mean', types.type_at_clients(t.member),
                          types.type_at_server(t.member), v)
  w = as_value(weight, 'federated_mean', 'weight')
  wt = placed_type(w, 'federated_mean', 'weight', placements.CLIENTS)
  m = wt.member
  if not (isinstance(m, TensorType) and m.shape == () and is_real(m.dtype)):
    raise arg_error('federated_mean', 'weight',
                    'a scalar int or float at CLIENTS, e.g. {float32}@CLIENTS',
                    wt)
  return call_intrinsic(
      'federated_weighted_mean',
      StructType([types.type_at_clients(t.member),
                  types.type_at_clients(m)]), types.type_at_server(t.member),
      struct_of(v, w))


def federated_aggregate(value, zero, accumulate, merge, report):
  """Generalized aggregation: accumulate per client, merge, then report.

  `<{T}@CLIENTS,U,(<U,T>->U),(<U,U>->U),(U->R)> -> R@SERVER`.

  Example:
    >>> import numpy as np, federax as fx
    >>> accumulate = fx.jax_computation(lambda n, x: n + 1, np.int32,
    ...                                 np.float32)
    >>> merge = fx.jax_computation(lambda a, b: a + b, np.int32, np.int32)
    >>> report = fx.jax_computation(lambda n: n * 10, np.int32)
    >>> @fx.federated_computation(fx.type_at_clients(np.float32))
    ... def count_times_ten(x):
    ...   return fx.federated_aggregate(x, 0, accumulate, merge, report)
    >>> print(count_times_ten.type_signature)
    ({float32}@CLIENTS -> int32@SERVER)
    >>> int(count_times_ten([0.5, 1.5, 2.5]))
    30
  """
  require_tracing('federated_aggregate')
  op = 'federated_aggregate'
  v = as_value(value, op, 'value')
  t = placed_type(v, op, 'value', placements.CLIENTS)
  hint = state_hint(accumulate)
  z = as_value(zero, op, 'zero', hint)
  u = state_type(z.type_signature, hint)
  if types.contains(u, (FederatedType, FunctionType)):
    raise arg_error(op, 'zero', 'an unplaced value U', u)
  acc = to_function(accumulate, StructType([u, t.member]), f'{op}(accumulate)')
  check_result(op, 'accumulate', u, acc)
  mer = to_function(merge, StructType([u, u]), f'{op}(merge)')
  check_result(op, 'merge', u, mer)
  rep = to_function(report, u, f'{op}(report)')
  r = check_local_result(op, 'report', rep)
  param = StructType([
      types.type_at_clients(t.member), u,
      FunctionType(StructType([u, t.member]), u),
      FunctionType(StructType([u, u]), u),
      FunctionType(u, r)
  ])
  return call_intrinsic('federated_aggregate', param, types.type_at_server(r),
                        struct_of(v, z, acc, mer, rep))


def _secure(uri, value, bound, bound_name):
  v = as_value(value, uri, 'value')
  t = placed_type(v, uri, 'value', placements.CLIENTS)
  if not all_tensors(t.member, dtypes_lib.is_integer):
    raise arg_error(uri, 'value', '{V}@CLIENTS with V integer tensors', t,
                    'Secure sums work on integers; quantize floats first.')
  b = as_value(bound, uri, bound_name)
  bt = b.type_signature
  if types.contains(bt, (FederatedType, FunctionType)) or not all_tensors(
      bt, dtypes_lib.is_integer):
    raise arg_error(uri, bound_name, 'an unplaced integer constant', bt)
  return call_intrinsic(uri, StructType([types.type_at_clients(t.member), bt]),
                        types.type_at_server(t.member), struct_of(v, b))


def _constants(comp):
  """The numbers of a literal or a struct of literals, else None."""
  if isinstance(comp, bb.Literal):
    return [comp.value]
  if isinstance(comp, bb.Struct):
    parts = [_constants(e) for _, e in comp.elements]
    return None if any(p is None for p in parts) else sum(parts, [])
  return None


def _check_bitwidth(value_type, bitwidth):
  """Constant bitwidths must lie in `[1, bits the value's dtypes hold]`."""
  constants = _constants(bitwidth.comp)
  if constants is None:
    return
  dtypes, todo = [], [value_type]
  while todo:
    t = todo.pop()
    if isinstance(t, StructType):
      todo.extend(t)
    else:
      dtypes.append(t.dtype)
  limit = min(np.iinfo(d).bits - (np.iinfo(d).min < 0) for d in dtypes)
  for b in constants:
    if not 1 <= int(b) <= limit:
      raise ValueError(
          f'federated_secure_sum_bitwidth(bitwidth): expected a bitwidth in '
          f'[1, {limit}] (the bits of the values), got {int(b)}. Clients '
          f'send values in [0, 2**bitwidth - 1].')


def federated_secure_sum(value, max_input):
  """Sums integers in `[0, max_input]` securely: `<{V}@CLIENTS,M> -> V@SERVER`.

  Example:
    >>> import numpy as np, federax as fx
    >>> @fx.federated_computation(fx.type_at_clients(np.int32))
    ... def secure_total(x):
    ...   return fx.federated_secure_sum(x, 100)
    >>> print(secure_total.type_signature)
    ({int32}@CLIENTS -> int32@SERVER)
    >>> int(secure_total([3, 4, 6]))
    13
  """
  require_tracing('federated_secure_sum')
  return _secure('federated_secure_sum', value, max_input, 'max_input')


def federated_secure_sum_bitwidth(value, bitwidth):
  """Sums integers of `bitwidth` bits securely: `<{V}@CLIENTS,B> -> V@SERVER`.

  Example:
    >>> import numpy as np, federax as fx
    >>> @fx.federated_computation(fx.type_at_clients(np.int32))
    ... def secure_total(x):
    ...   return fx.federated_secure_sum_bitwidth(x, 8)
    >>> print(secure_total.type_signature)
    ({int32}@CLIENTS -> int32@SERVER)
    >>> int(secure_total([3, 4, 6]))
    13
  """
  require_tracing('federated_secure_sum_bitwidth')
  op = 'federated_secure_sum_bitwidth'
  v, b = as_value(value, op, 'value'), as_value(bitwidth, op, 'bitwidth')
  result = _secure(op, v, b, 'bitwidth')
  _check_bitwidth(v.type_signature.member, b)
  return result


def federated_secure_modular_sum(value, modulus):
  """Sums integers modulo `modulus` securely: `<{V}@CLIENTS,M> -> V@SERVER`.

  Example:
    >>> import numpy as np, federax as fx
    >>> @fx.federated_computation(fx.type_at_clients(np.int32))
    ... def total_mod_5(x):
    ...   return fx.federated_secure_modular_sum(x, 5)
    >>> print(total_mod_5.type_signature)
    ({int32}@CLIENTS -> int32@SERVER)
    >>> int(total_mod_5([3, 4, 6]))
    3
  """
  require_tracing('federated_secure_modular_sum')
  return _secure('federated_secure_modular_sum', value, modulus, 'modulus')
