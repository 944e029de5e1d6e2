"""The placement operators: `fx.federated_broadcast`, `map`, `apply`, `eval`,
`value`, `zip` and `select`.

Each checks its arguments' types, raising `TypeError` that names the
argument, the expected and the actual type, and emits a call of the
intrinsic into the current trace. They can only be used while tracing a
`federated_computation`. The aggregations (`federated_sum`, `mean`, ...) are
in `aggregation_intrinsics`, the `sequence_*` operators in
`sequence_intrinsics`, and the checks they share in `intrinsic_checks`.
"""

from __future__ import annotations

import numpy as np

from federax.core import building_blocks as bb
from federax.core import placements
from federax.core import structure
from federax.core import types
from federax.core.intrinsic_checks import (INT32, NOT_IN_SEQUENCE,
                                           NOT_PLACEABLE, call_intrinsic,
                                           check_local_result, arg_error,
                                           placed_type, require_tracing,
                                           struct_of, as_value)
from federax.core.types import (FederatedType, FunctionType, SequenceType,
                                StructType, TensorType)
from federax.core.value import Value, to_function


def federated_broadcast(value):
  """Broadcasts a server value to every client: `T@SERVER -> T@CLIENTS`.

  Example:
    >>> import numpy as np, federax as fx
    >>> @fx.federated_computation(fx.type_at_server(np.float32))
    ... def to_clients(x):
    ...   return fx.federated_broadcast(x)
    >>> print(to_clients.type_signature)
    (float32@SERVER -> float32@CLIENTS)
    >>> float(to_clients(2.5))
    2.5
  """
  require_tracing('federated_broadcast')
  v = as_value(value, 'federated_broadcast', 'value')
  t = placed_type(v, 'federated_broadcast', 'value', placements.SERVER)
  return call_intrinsic('federated_broadcast', types.type_at_server(t.member),
                        types.type_at_clients(t.member, all_equal=True), v)


def _all_placed(t) -> bool:
  """Whether `t` is a non-empty struct whose leaves are all placed values."""
  return isinstance(t, StructType) and len(t) > 0 and all(
      isinstance(e, FederatedType) or _all_placed(e) for e in t)


def _zip_if_needed(value, op, arg) -> Value:
  if not isinstance(value, Value) and structure.is_container(value):
    return _zip(value, op, arg)
  v = as_value(value, op, arg)
  if _all_placed(v.type_signature):
    return _zip(v, op, arg)
  return v


def federated_map(fn, arg):
  """Applies `fn` to each member of a placed value.

  `<(T->U),{T}@CLIENTS> -> {U}@CLIENTS`; on an all-equal value the result is
  all-equal, and on a SERVER value this is `federated_apply`. A list, tuple
  or dict of placed values is zipped first, so a two-parameter computation
  can be mapped over two placed values.

  Example:
    >>> import numpy as np, federax as fx
    >>> double = fx.jax_computation(lambda x: x * 2, np.float32)
    >>> @fx.federated_computation(fx.type_at_clients(np.float32))
    ... def double_each(x):
    ...   return fx.federated_map(double, x)
    >>> print(double_each.type_signature)
    ({float32}@CLIENTS -> {float32}@CLIENTS)
    >>> [float(v) for v in double_each([1.0, 2.0, 3.0])]
    [2.0, 4.0, 6.0]
  """
  require_tracing('federated_map')
  v = _zip_if_needed(arg, 'federated_map', 'arg')
  t = placed_type(v, 'federated_map', 'arg')
  f = to_function(fn, t.member, 'federated_map(fn)')
  check_local_result('federated_map', 'fn', f)
  ft = f.type_signature
  if t.placement is placements.SERVER:
    return call_intrinsic('federated_apply',
                          StructType([ft,
                                      types.type_at_server(ft.parameter)]),
                          types.type_at_server(ft.result), struct_of(f, v))
  if t.all_equal:
    return call_intrinsic(
        'federated_map_all_equal',
        StructType([ft, types.type_at_clients(ft.parameter, True)]),
        types.type_at_clients(ft.result, True), struct_of(f, v))
  return call_intrinsic('federated_map',
                        StructType([ft, types.type_at_clients(ft.parameter)]),
                        types.type_at_clients(ft.result), struct_of(f, v))


def federated_apply(fn, arg):
  """Applies `fn` to a server value: `<(T->U),T@SERVER> -> U@SERVER`.

  Example:
    >>> import numpy as np, federax as fx
    >>> increment = fx.jax_computation(lambda x: x + 1, np.int32)
    >>> @fx.federated_computation(fx.type_at_server(np.int32))
    ... def next_round(round_num):
    ...   return fx.federated_apply(increment, round_num)
    >>> print(next_round.type_signature)
    (int32@SERVER -> int32@SERVER)
    >>> int(next_round(41))
    42
  """
  require_tracing('federated_apply')
  v = _zip_if_needed(arg, 'federated_apply', 'arg')
  placed_type(v, 'federated_apply', 'arg', placements.SERVER)
  return federated_map(fn, v)


def federated_eval(fn, placement):
  """Evaluates a no-argument `fn` at `placement` (per client at CLIENTS).

  Example:
    >>> import numpy as np, federax as fx
    >>> @fx.federated_computation
    ... def initialize():
    ...   return fx.federated_eval(
    ...       fx.jax_computation(lambda: np.float32(0.5)), fx.SERVER)
    >>> print(initialize.type_signature)
    ( -> float32@SERVER)
    >>> float(initialize())
    0.5
  """
  require_tracing('federated_eval')
  if not isinstance(placement, placements.PlacementLiteral):
    raise arg_error('federated_eval', 'placement', 'fx.CLIENTS or fx.SERVER',
                    repr(placement))
  f = to_function(fn, None, 'federated_eval(fn)')
  result = check_local_result('federated_eval', 'fn', f)
  if placement is placements.CLIENTS:
    return call_intrinsic('federated_eval_at_clients', f.type_signature,
                          types.type_at_clients(result), f)
  return call_intrinsic('federated_eval_at_server', f.type_signature,
                        types.type_at_server(result), f)


def federated_value(value, placement):
  """Places an unplaced value: `T -> T@CLIENTS` (all-equal) or `T@SERVER`.

  Example:
    >>> import numpy as np, federax as fx
    >>> @fx.federated_computation
    ... def ten():
    ...   return fx.federated_value(10, fx.SERVER)
    >>> print(ten.type_signature)
    ( -> int32@SERVER)
    >>> int(ten())
    10
  """
  require_tracing('federated_value')
  if not isinstance(placement, placements.PlacementLiteral):
    raise arg_error('federated_value', 'placement', 'fx.CLIENTS or fx.SERVER',
                    repr(placement))
  v = as_value(value, 'federated_value', 'value')
  t = v.type_signature
  if types.contains(t, FederatedType):
    raise arg_error(
        'federated_value', 'value', 'an unplaced value T', t,
        'The value is already placed; use federated_broadcast to '
        'move it from SERVER to CLIENTS.')
  if types.contains(t, NOT_PLACEABLE):
    raise arg_error(
        'federated_value', 'value', 'an unplaced value T', t,
        'Functions cannot be placed; use federated_eval to run a '
        'function at a placement.')
  if placement is placements.CLIENTS:
    return call_intrinsic('federated_value_at_clients', t,
                          types.type_at_clients(t, True), v)
  return call_intrinsic('federated_value_at_server', t, types.type_at_server(t),
                        v)


def federated_zip(value):
  """Zips a struct of placed values into a placed struct (names kept).

  `<{A}@P,{B}@P> -> {<A,B>}@P`; nested structs are zipped recursively.

  Example:
    >>> import numpy as np, federax as fx
    >>> @fx.federated_computation(fx.type_at_clients(np.float32),
    ...                           fx.type_at_clients(np.int32))
    ... def pair(a, b):
    ...   return fx.federated_zip({'a': a, 'b': b})
    >>> print(pair.type_signature)
    (<a={float32}@CLIENTS,b={int32}@CLIENTS> -> {<a=float32,b=int32>}@CLIENTS)
    >>> [(float(p['a']), int(p['b'])) for p in pair([1.0, 2.0], [3, 4])]
    [(1.0, 3), (2.0, 4)]
  """
  require_tracing('federated_zip')
  return _zip(value, 'federated_zip', 'value')


def _zip(value, op, arg) -> Value:
  """`federated_zip`, with errors reported as coming from `op(arg)`."""
  if not isinstance(value, Value) and structure.is_container(value):
    elements = structure.elements_of(value)
    zipped = []
    for n, e in elements:
      if not isinstance(e, Value) and structure.is_container(e):
        e = _zip(e, op, arg)
      zipped.append((n, as_value(e, op, arg).comp))
    value = Value(bb.Struct(zipped, structure.container_of(value)))
  v = as_value(value, op, arg)
  t = v.type_signature
  if not isinstance(t, StructType) or not len(t):
    raise arg_error(op, arg, 'a non-empty struct of placed values '
                    '<{A}@P,{B}@P,...>', t)
  if any(isinstance(e, StructType) for e in t):
    v = Value(
        bb.Struct([(n, _zip(v[i], op, arg).comp
                    if isinstance(e, StructType) else v[i].comp)
                   for i, (n, e) in enumerate(t.elements)], t.container_type))
    t = v.type_signature
  placement = None
  for i, (n, e) in enumerate(t.elements):
    if not isinstance(e, FederatedType):
      raise arg_error(
          op, arg, 'a struct of placed values <{A}@P,{B}@P,...>', t,
          f'Element {n if n else i} of type {e} is not placed; '
          f'place it with federated_value.')
    if placement is None:
      placement = e.placement
    elif e.placement != placement:
      raise arg_error(
          op, arg, f'all values at {placement}', t,
          'Zip values at the same placement only (broadcast '
          'SERVER values to CLIENTS with federated_broadcast).')
  param = StructType([
      (n, FederatedType(e.member, placement)) for n, e in t.elements
  ])
  member = StructType([(n, e.member) for n, e in t.elements], t.container_type)
  return call_intrinsic(f'federated_zip_at_{placement.uri}', param,
                        FederatedType(member, placement), v)


def federated_select(client_keys, max_key, server_val, select_fn):
  """Each client receives `select_fn(server_val, k)` for each of its keys.

  `<{int32[n]}@CLIENTS,int32@SERVER,T@SERVER,(<T,int32>->U)> -> {U*}@CLIENTS`.

  Example:
    >>> import numpy as np, federax as fx
    >>> lookup = fx.jax_computation(lambda table, k: table[k],
    ...                             (np.float32, [3]), np.int32)
    >>> @fx.federated_computation(fx.type_at_clients((np.int32, [2])),
    ...                           fx.type_at_server((np.float32, [3])))
    ... def gather(keys, table):
    ...   max_key = fx.federated_value(3, fx.SERVER)
    ...   return fx.federated_select(keys, max_key, table, lookup)
    >>> print(gather.type_signature)
    (<keys={int32[2]}@CLIENTS,table=float32[3]@SERVER> -> {float32*}@CLIENTS)
    >>> result = gather(np.array([[0, 2], [1, 1]], np.int32),
    ...                 np.array([10.0, 20.0, 30.0], np.float32))
    >>> [[float(x) for x in client] for client in result]
    [[10.0, 30.0], [20.0, 20.0]]
  """
  require_tracing('federated_select')
  op = 'federated_select'
  k = as_value(client_keys, op, 'client_keys')
  kt = placed_type(k, op, 'client_keys', placements.CLIENTS)
  if not (isinstance(kt.member, TensorType) and kt.member.dtype == np.int32 and
          kt.member.rank == 1):
    raise arg_error(op, 'client_keys', '{int32[n]}@CLIENTS', kt)
  m = as_value(max_key, op, 'max_key')
  if m.type_signature != types.type_at_server(INT32):
    raise arg_error(op, 'max_key', 'int32@SERVER', m.type_signature,
                    'Place it with federated_value(max_key, fx.SERVER).')
  s = as_value(server_val, op, 'server_val')
  st = placed_type(s, op, 'server_val', placements.SERVER)
  f = to_function(select_fn, StructType([st.member, INT32]), f'{op}(select_fn)')
  u = check_local_result(op, 'select_fn', f, NOT_IN_SEQUENCE,
                         'a sequence element')
  param = StructType([
      types.type_at_clients(kt.member),
      types.type_at_server(INT32),
      types.type_at_server(st.member),
      FunctionType(StructType([st.member, INT32]), u)
  ])
  return call_intrinsic('federated_select', param,
                        types.type_at_clients(SequenceType(u)),
                        struct_of(k, m, s, f))
