"""Programs that exercise the compiler passes, beyond the backends' corpus.

`PROGRAMS` holds `corpus.Program`s (name, computation, argument tuples):
chains of maps to fuse, nested federated computations (called with
all-equal values, with no parameter, two levels deep), dead code, and
hand-built IR (lambdas bound to locals and called twice, calls of blocks,
struct parameters given unnamed structs) wrapped as computations.
`corpus.PROGRAMS + PROGRAMS` is what the semantic tests run.
"""

from __future__ import annotations

import collections
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] /
                       'backends'))

import corpus  # noqa: E402

import federax as fx  # noqa: E402
from federax.core import building_blocks as bb  # noqa: E402

F32, I32 = np.float32, np.int32
C, S = fx.CLIENTS, fx.SERVER
at_c, at_s = fx.type_at_clients, fx.type_at_server
fc, jc = fx.federated_computation, fx.jax_computation
Program = corpus.Program
floats = corpus.floats

PROGRAMS: list[Program] = []
program = corpus.registrar(PROGRAMS)


@jc(F32)
def inc(x):
  return x + 1.0


@jc(F32)
def halve(x):
  return x * 0.5


@jc(F32)
def to_pair(x):
  return collections.OrderedDict(a=x, b=x * x)


# Chains of maps.

@program((floats(1, 5),), (floats(2, 1),), ([],))
@fc(at_c(F32))
def map_chain(x):
  """Three maps in a row fuse into one; the sum reads only the last."""
  y = fx.federated_map(inc, x)
  z = fx.federated_map(corpus.square, y)
  return fx.federated_sum(fx.federated_map(halve, z))


@program((floats(3, 5),), ([],))
@fc(at_c(F32))
def map_chain_shared(x):
  """`y` is used twice: fusing it would compute it twice, so it stays."""
  y = fx.federated_map(inc, x)
  return fx.federated_map(halve, y), fx.federated_sum(y)


@program((floats(4, 5),))
@fc(at_c(F32))
def map_chain_with_lambdas(x):
  """Python lambdas between compiled computations, results in a struct."""
  pairs = fx.federated_map(to_pair, x)
  b = fx.federated_map(lambda p: p.b, pairs)
  return fx.federated_sum(fx.federated_map(inc, b))


@program((np.float32(1.5), floats(5, 4)), (np.float32(-2.0), []))
@fc(at_s(F32), at_c(F32))
def all_equal_chain(s, x):
  """All-equal maps fuse; a per-client map of an all-equal one fuses too."""
  b = fx.federated_broadcast(s)
  twice = fx.federated_map(inc, fx.federated_map(inc, b))
  per_client = fx.federated_map(halve, fx.federated_map(corpus.square, b))
  return twice, fx.federated_sum(per_client), fx.federated_sum(x)


@program((np.float32(3.0),), (np.float32(-0.5),))
@fc(at_s(F32))
def apply_chain(s):
  return fx.federated_apply(halve, fx.federated_apply(inc, s))


# Nested federated computations.

_sum_of_squares = fc(
    lambda v: fx.federated_sum(fx.federated_map(corpus.square, v)), at_c(F32))


@program((np.float32(2.0), floats(6, 3)), (np.float32(1.0), []))
@fc(at_s(F32), at_c(F32))
def nested_with_all_equal_argument(s, x):
  """An all-equal value passed where the inner one takes a per-client one."""
  return _sum_of_squares(fx.federated_broadcast(s)), _sum_of_squares(x)


_two = fc(lambda: fx.federated_value(np.float32(2.0), S))


@program((np.float32(5.0),))
@fc(at_s(F32))
def nested_without_parameter(s):
  return fx.federated_zip([s, _two()])


@fc(at_c(F32), at_s(F32))
def _centered_sum(x, m):
  return _sum_of_squares(fx.federated_map(
      corpus.add, [x, fx.federated_broadcast(m)]))


@program((floats(7, 5),), (floats(8, 1),))
@fc(at_c(F32))
def nested_two_levels(x):
  m = fx.federated_mean(x)
  return _centered_sum(x, fx.federated_apply(halve, m)), m


@program((floats(9, 4),))
@fc(at_c(F32))
def dead_code(x):
  """Unused calls: removed by `remove_unused_bindings`."""
  unused = fx.federated_max(fx.federated_map(inc, x))
  del unused
  return fx.federated_sum(x)


# Hand-built IR, wrapped as computations.

def _computation(block, name, parameter_names):
  return fx.Computation(block, parameter_names, name)


def _lambda_bound_twice():
  """`(let f=(v -> square(inc(v))) in <map(f, x), sum(map(f, x))>)`."""
  t = at_c(F32)
  member = fx.TensorType(F32)
  v = bb.Reference('v', member)
  sq = corpus.square.building_block
  f = bb.Lambda('v', member, bb.Call(sq, bb.Call(inc.building_block, v)))
  fref = bb.Reference('f', f.type_signature)
  x = bb.Reference('x', t)
  map_t = fx.FunctionType(fx.StructType([f.type_signature, t]), t)
  mapped = bb.Call(bb.Intrinsic('federated_map', map_t), bb.Struct([fref, x]))
  sum_t = fx.FunctionType(t, at_s(F32))
  body = bb.Block([('f', f), ('y', mapped)], bb.Struct([
      bb.Reference('y', t),
      bb.Call(bb.Intrinsic('federated_sum', sum_t), bb.Call(
          bb.Intrinsic('federated_map', map_t), bb.Struct([fref, x])))]))
  return _computation(bb.Lambda('x', t, body), 'lambda_bound_twice', ['x'])


def _called_block_and_struct_coercion():
  """A call of a block ending in a lambda whose parameter is a named struct,
  called with an unnamed struct that holds an all-equal value."""
  t = at_c(F32)
  named = fx.StructType([('a', t), ('b', at_s(F32))])
  p = bb.Reference('p', named)
  sum_t = fx.FunctionType(t, at_s(F32))
  inner = bb.Lambda('p', named, bb.Struct([
      bb.Call(bb.Intrinsic('federated_sum', sum_t), bb.Selection(p, name='a')),
      bb.Selection(p, name='b')]))
  arg_t = fx.StructType([('s', at_s(F32)), ('x', t)])
  arg = bb.Reference('arg', arg_t)
  s = bb.Selection(arg, name='s')
  bcast = bb.Call(bb.Intrinsic('federated_broadcast', fx.FunctionType(
      at_s(F32), at_c(F32, all_equal=True))), s)
  called = bb.Call(
      bb.Block([('i', inner)], bb.Reference('i', inner.type_signature)),
      bb.Struct([bb.Reference('k', at_c(F32, all_equal=True)), s]))
  body = bb.Block([('k', bcast)], bb.Struct([
      called, bb.Call(bb.Intrinsic('federated_sum', sum_t),
                      bb.Selection(arg, name='x'))]))
  return _computation(bb.Lambda('arg', arg_t, body), 'called_block',
                      ['s', 'x'])


PROGRAMS.append(Program('lambda_bound_twice', _lambda_bound_twice(),
                        [(floats(10, 5),), ([],)]))
PROGRAMS.append(Program('called_block', _called_block_and_struct_coercion(),
                        [(np.float32(0.5), floats(11, 3)),
                         (np.float32(2.0), [])]))

NAMES = [p.name for p in PROGRAMS]
assert len(set(NAMES)) == len(NAMES), NAMES
ALL = corpus.PROGRAMS + PROGRAMS
assert len({p.name for p in ALL}) == len(ALL)
