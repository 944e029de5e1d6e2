"""How the reference interpreter runs each intrinsic: a table keyed by uri.

Each rule is `rule(evaluator, type_signature, arg)`, on internal values.
Per-client values are lists; numeric work uses numpy in the member dtype.
"""

from __future__ import annotations

import functools

import numpy as np

from federax.core import types


def _tree(fn, t: types.Type, *values):
  """`fn` applied leafwise (with the leaf type) over struct values of `t`."""
  if isinstance(t, types.StructType):
    return tuple(_tree(fn, e, *(v[i] for v in values))
                 for i, e in enumerate(t))
  return fn(t, *values)


def _zeros(t):
  return _tree(lambda tt: np.zeros(tt.shape, tt.dtype), t)


def _add(t, a, b):
  return _tree(lambda tt, x, y: np.add(np.asarray(x), np.asarray(y),
                                       dtype=tt.dtype), t, a, b)


def _sum(t, values):
  return functools.reduce(lambda a, b: _add(t, a, b), values, _zeros(t))


def _member(type_signature):
  return type_signature.result.member


def _map(ev, sig, arg):
  fn, values = arg
  fn = ev.as_callable(fn)
  return [fn(v) for v in values]


def _apply(ev, sig, arg):
  fn, value = arg
  return ev.as_callable(fn)(value)


def _eval_at_clients(ev, sig, fn):
  fn = ev.as_callable(fn)
  return [fn() for _ in range(ev.cardinality)]


def _eval_at_server(ev, sig, fn):
  return ev.as_callable(fn)()


def _identity(ev, sig, arg):
  return arg


def _zip_at_clients(ev, sig, arg):
  return [tuple(members) for members in zip(*arg)] if arg else []


def _zip_at_server(ev, sig, arg):
  return tuple(arg)


def _federated_sum(ev, sig, values):
  return _sum(_member(sig), values)


def _federated_mean(ev, sig, values):
  t = _member(sig)
  total = _sum(t, values)
  with np.errstate(divide='ignore', invalid='ignore'):
    return _tree(lambda tt, s: (s / np.asarray(len(values), tt.dtype)).astype(
        tt.dtype), t, total)


def _federated_weighted_mean(ev, sig, arg):
  values, weights = arg
  t = _member(sig)
  scaled = [_tree(lambda tt, x: np.asarray(x) * np.asarray(w).astype(tt.dtype),
                  t, v) for v, w in zip(values, weights)]
  total = _sum(t, scaled)

  def divide(tt, s):
    weight_sum = np.sum(np.asarray(weights).astype(tt.dtype), dtype=tt.dtype)
    return (s / weight_sum).astype(tt.dtype)

  with np.errstate(divide='ignore', invalid='ignore'):
    return _tree(divide, t, total)


def _extreme(reduce_fn, identity_fn):
  def rule(ev, sig, values):
    t = _member(sig)
    if not values:
      return _tree(lambda tt: np.full(tt.shape, identity_fn(tt.dtype),
                                      tt.dtype), t)
    return functools.reduce(
        lambda a, b: _tree(lambda tt, x, y: reduce_fn(
            np.asarray(x), np.asarray(y)).astype(tt.dtype), t, a, b), values)
  return rule


def _max_of(dtype):
  return np.inf if np.issubdtype(dtype, np.floating) or dtype.kind == 'V' \
      else np.iinfo(dtype).max


def _min_of(dtype):
  return -np.inf if np.issubdtype(dtype, np.floating) or dtype.kind == 'V' \
      else np.iinfo(dtype).min


def _aggregate(ev, sig, arg):
  """Accumulates each half of the clients from zero, merges, reports."""
  values, zero, accumulate, merge, report = arg
  accumulate, merge, report = map(ev.as_callable, (accumulate, merge, report))

  def fold(part):
    acc = zero
    for v in part:
      acc = accumulate((acc, v))
    return acc

  if len(values) < 2:
    return report(fold(values))
  half = len(values) // 2
  return report(merge((fold(values[:half]), fold(values[half:]))))


def _secure_sum(ev, sig, arg):
  values, _ = arg
  return _sum(_member(sig), values)


def _secure_modular_sum(ev, sig, arg):
  """The sum modulo the modulus, reduced after every addition."""
  values, modulus = arg
  t = _member(sig)
  if isinstance(t, types.StructType) and not isinstance(modulus, tuple):
    modulus = _tree(lambda tt: modulus, t)

  def add_up(tt, m, *column):
    m = int(np.asarray(m))
    total = np.zeros(tt.shape, np.int64)
    for v in column:
      total = np.mod(total + np.mod(np.asarray(v, np.int64), m), m)
    return total.astype(tt.dtype)

  return _tree(add_up, t, modulus, *values)


def _secure(uri, plain):
  """`plain`, or the context's secure-aggregation protocol when it has one."""
  def rule(ev, sig, arg):
    if ev.secure_aggregation is None:
      return plain(ev, sig, arg)
    values, bound = arg
    return ev.secure_aggregation.secure_sum(uri, values, bound, _member(sig))
  return rule


def _select(ev, sig, arg):
  keys, max_key, server_value, select_fn = arg
  select_fn = ev.as_callable(select_fn)
  max_key = int(max_key)
  out = []
  for client_keys in keys:
    client = []
    for k in np.asarray(client_keys).tolist():
      if not 0 <= k < max_key:
        raise ValueError(f'federated_select: client key {k} is outside '
                         f'[0, max_key={max_key}).')
      client.append(select_fn((server_value, np.int32(k))))
    out.append(client)
  return out


def _sequence_map(ev, sig, arg):
  fn, elements = arg
  fn = ev.as_callable(fn)
  return [fn(e) for e in elements]


def _sequence_reduce(ev, sig, arg):
  elements, zero, op = arg
  op = ev.as_callable(op)
  acc = zero
  for e in elements:
    acc = op((acc, e))
  return acc


def _sequence_sum(ev, sig, elements):
  return _sum(sig.result, elements)


IMPLS = {
    'federated_aggregate': _aggregate,
    'federated_apply': _apply,
    'federated_broadcast': _identity,
    'federated_eval_at_clients': _eval_at_clients,
    'federated_eval_at_server': _eval_at_server,
    'federated_map': _map,
    'federated_map_all_equal': _apply,
    'federated_mean': _federated_mean,
    'federated_weighted_mean': _federated_weighted_mean,
    'federated_min': _extreme(np.minimum, _max_of),
    'federated_max': _extreme(np.maximum, _min_of),
    'federated_sum': _federated_sum,
    'federated_secure_sum': _secure('federated_secure_sum', _secure_sum),
    'federated_secure_sum_bitwidth': _secure('federated_secure_sum_bitwidth',
                                             _secure_sum),
    'federated_secure_modular_sum': _secure('federated_secure_modular_sum',
                                            _secure_modular_sum),
    'federated_select': _select,
    'federated_value_at_clients': _identity,
    'federated_value_at_server': _identity,
    'federated_zip_at_clients': _zip_at_clients,
    'federated_zip_at_server': _zip_at_server,
    'sequence_map': _sequence_map,
    'sequence_reduce': _sequence_reduce,
    'sequence_sum': _sequence_sum,
}
