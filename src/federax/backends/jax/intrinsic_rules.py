"""How the vectorized backend lowers each intrinsic: a table keyed by uri.

Each rule is `rule(evaluator, type_signature, arg)`. Per-client arguments
are lazy `Clients` graphs; `federated_map` is `vmap`, aggregations fold
the clients axis chunk by chunk, broadcasts are free.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from federax.backends.jax import aggregation as agg
from federax.backends.jax import clients as clients_lib
from federax.core import jax_support
from federax.core import sequence as sequence_lib
from federax.core import types


def _member(sig):
  return sig.result.member


def _tree_of_type(fn, t):
  if isinstance(t, types.StructType):
    return tuple(_tree_of_type(fn, e) for e in t)
  return fn(t)


def _map(ev, sig, arg):
  fn, value = arg
  return clients_lib.Map(fn, value)


def _apply(ev, sig, arg):
  fn, value = arg
  return ev.later(fn, value)


def _resolved(ev, sig, arg):
  return ev.resolve(arg)


def _eval_at_clients(ev, sig, fn):
  return clients_lib.Eval(fn)


def _eval_at_server(ev, sig, fn):
  return fn()


def _zip_at_clients(ev, sig, arg):
  return clients_lib.Zip(arg)


def _sum(ev, sig, value):
  return ev.aggregate(agg.Sum(value, jax_support.zeros(_member(sig))))


def _mean(ev, sig, value):
  return ev.aggregate(agg.Mean(value, jax_support.zeros(_member(sig))))


def _weighted_mean(ev, sig, arg):
  return ev.aggregate(agg.WeightedMean(clients_lib.Zip(arg),
                                       jax_support.zeros(_member(sig))))


def _extreme(for_min):
  op = jnp.minimum if for_min else jnp.maximum

  def rule(ev, sig, value):
    identities = _tree_of_type(
        lambda t: jnp.full(t.shape, agg.identity_of(t.dtype, for_min),
                           t.dtype), _member(sig))
    return ev.aggregate(agg.Extreme(value, identities, op))
  return rule


def _aggregate(ev, sig, arg):
  value, zero, accumulate, merge, report = arg
  return ev.aggregate(agg.Fold(value, ev.resolve(zero), accumulate, merge,
                               report))


class _HostError:
  """A check's message: the error the host callback last caught."""

  def __init__(self):
    self.message = ''

  def __str__(self):
    return self.message

  # The runner returns checks as a dict keyed by message, which JAX sorts:
  # order these after plain messages, among themselves by creation.
  def _key(self):
    return (1, id(self))

  def __lt__(self, other):
    return self._key() < _check_key(other)

  def __gt__(self, other):
    return self._key() > _check_key(other)


def _check_key(message):
  return message._key() if isinstance(message, _HostError) else (0, message)


def _protocol_sum(ev, uri, sig, arg):
  """A secure sum by the context's protocol: the clients' rows go to a host
  callback, which runs the protocol (its server sees masked vectors only).
  A protocol error is raised after the run as a ValueError."""
  import numpy as np
  from jax.experimental import io_callback
  value, bound = arg
  member, n = _member(sig), ev.plan.num_clients
  zeros = jax_support.zeros(member)
  if n == 0:
    return zeros
  rows = ev.flush([value])[0]
  protocol, error = ev.secure_aggregation, _HostError()
  host_zeros = _tree_of_type(lambda t: np.zeros(t.shape, t.dtype), member)

  def host(rows, bound):
    values = [jax.tree_util.tree_map(lambda x: np.asarray(x[i]), rows)
              for i in range(n)]
    try:
      return protocol.secure_sum(uri, values, jax.tree_util.tree_map(
          np.asarray, bound), member), np.bool_(False)
    except (ValueError, TypeError) as e:
      error.message = str(e)
      return host_zeros, np.bool_(True)

  shapes = (_tree_of_type(lambda t: jax.ShapeDtypeStruct(t.shape, t.dtype),
                         member), jax.ShapeDtypeStruct((), np.bool_))
  result, failed = io_callback(host, shapes, rows, ev.resolve(bound))
  ev.checks.append((failed, error))
  return result


def _secure_sum(kind):
  def rule(ev, sig, arg):
    if ev.secure_aggregation is not None:
      return _protocol_sum(ev, kind, sig, arg)
    value, bound = arg
    aggregation = agg.Sum(value, jax_support.zeros(_member(sig)))
    aggregation.secure, aggregation.bound = kind, ev.resolve(bound)
    return ev.aggregate(aggregation)
  return rule


class _ModularSum(agg.Sum):

  secure = 'federated_secure_modular_sum'

  def __init__(self, node, zeros, modulus):
    super().__init__(node, zeros)
    self.bound = modulus

  def _moduli(self, acc):
    if isinstance(acc, tuple) and not isinstance(self.bound, tuple):
      return jax.tree_util.tree_map(lambda _: self.bound, acc)
    return self.bound

  def step(self, acc, rows, mask):
    # Reduced modulo m after every addition, so sums never overflow.
    def add(a, x, m):
      m = jnp.asarray(m, a.dtype)
      x = jnp.mod(agg._masked(x, mask, 0), m)  # pylint: disable=protected-access
      total, _ = jax.lax.scan(lambda u, v: (_add_mod(u, v, m), None), a, x)
      return total
    return jax.tree_util.tree_map(add, acc, rows, self._moduli(acc))

  def combine(self, a, b):
    return jax.tree_util.tree_map(
        lambda u, v, m: _add_mod(u, v, jnp.asarray(m, u.dtype)), a, b,
        self._moduli(a))

  def finish(self, acc):
    return jax.tree_util.tree_map(
        lambda s, m: jnp.mod(s, jnp.asarray(m, s.dtype)), acc,
        self._moduli(acc))


def _add_mod(a, b, m):
  """`(a + b) mod m` for `a, b` in `[0, m)`, without overflow."""
  return jnp.where(a >= m - b, a - (m - b), a + b)


def _secure_modular_sum(ev, sig, arg):
  if ev.secure_aggregation is not None:
    return _protocol_sum(ev, 'federated_secure_modular_sum', sig, arg)
  value, modulus = arg
  return ev.aggregate(_ModularSum(value, jax_support.zeros(_member(sig)),
                                  ev.resolve(modulus)))


def _select(ev, sig, arg):
  keys, max_key, server_value, fn = arg
  element_type = _member(sig).element
  return clients_lib.Select(keys, ev.resolve(max_key),
                            ev.resolve(server_value), fn, element_type)


def _sequence_map(ev, sig, arg):
  fn, seq = arg
  return sequence_lib.Sequence(sig.result.element, jax.vmap(fn)(seq.data),
                               seq.length, full=seq.full)


def _fold_sequence(seq, zero, op):
  def step(carry, element):
    i, acc = carry
    new = op((acc, element))
    acc = new if seq.full else jax.tree_util.tree_map(
        lambda n, a: jnp.where(i < seq.length, n, a), new, acc)
    return (i + 1, acc), None

  (_, acc), _ = jax.lax.scan(step, (jnp.int32(0), zero), seq.data)
  return acc


def _sequence_reduce(ev, sig, arg):
  seq, zero, op = arg
  return _fold_sequence(seq, ev.resolve(zero), op)


def _sequence_sum(ev, sig, seq):
  return _fold_sequence(seq, jax_support.zeros(sig.result), lambda pair: (
      jax.tree_util.tree_map(jnp.add, pair[0], pair[1])))


RULES = {
    'federated_aggregate': _aggregate,
    'federated_apply': _apply,
    'federated_broadcast': _resolved,
    'federated_eval_at_clients': _eval_at_clients,
    'federated_eval_at_server': _eval_at_server,
    'federated_map': _map,
    'federated_map_all_equal': _apply,
    'federated_mean': _mean,
    'federated_weighted_mean': _weighted_mean,
    'federated_min': _extreme(for_min=True),
    'federated_max': _extreme(for_min=False),
    'federated_sum': _sum,
    'federated_secure_sum': _secure_sum('federated_secure_sum'),
    'federated_secure_sum_bitwidth': _secure_sum(
        'federated_secure_sum_bitwidth'),
    'federated_secure_modular_sum': _secure_modular_sum,
    'federated_select': _select,
    'federated_value_at_clients': _resolved,
    'federated_value_at_server': _resolved,
    'federated_zip_at_clients': _zip_at_clients,
    'federated_zip_at_server': lambda ev, sig, arg: arg,
    'sequence_map': _sequence_map,
    'sequence_reduce': _sequence_reduce,
    'sequence_sum': _sequence_sum,
}
