"""Hypothesis strategies for types and IR trees, and tree comparison."""

from __future__ import annotations

import collections
import typing

import numpy as np
from hypothesis import strategies as st

import federax as fx
from federax.core import building_blocks as bb
from federax.core import dtypes
from federax.core import structure
from federax.core import types

NAMES = ('a', 'b', 'x', 'y_1', 'long_name', 'é')
DTYPES = [d for d in dtypes.ALLOWED]


class Point(typing.NamedTuple):
  a: typing.Any
  b: typing.Any


# -------------------------------------------------------------- types

shapes = st.one_of(
    st.none(),
    st.lists(st.one_of(st.none(), st.integers(0, 6)), max_size=3).map(tuple))
tensor_types = st.builds(types.TensorType, st.sampled_from(DTYPES), shapes)


@st.composite
def _struct(draw, children):
  n = draw(st.integers(0, 3))
  container = draw(st.sampled_from(
      [None, dict, collections.OrderedDict, list, tuple, Point, 'named']))
  elements = [draw(children) for _ in range(n)]
  if container in (dict, collections.OrderedDict, 'named'):
    names = draw(st.lists(st.sampled_from(NAMES), min_size=n, max_size=n,
                          unique=True))
    if container == 'named':
      container = None
  elif container is Point:
    names = ['a', 'b'][:n]
    if n != 2:
      container = None
    elements = elements[:2]
  elif container is None:
    names = [draw(st.one_of(st.none(), st.sampled_from(NAMES)))
             for _ in range(n)]
    seen = set()
    names = [None if (x in seen or seen.add(x)) else x for x in names]
  else:
    names = [None] * n
  return types.StructType(list(zip(names, elements)), container)


local_types = st.recursive(tensor_types, _struct, max_leaves=6)
value_types = st.recursive(
    st.one_of(tensor_types, st.builds(types.SequenceType, local_types)),
    _struct, max_leaves=6)
federated_types = st.builds(
    types.FederatedType, value_types, st.sampled_from([fx.CLIENTS, fx.SERVER]),
    st.booleans())
any_types = st.recursive(
    st.one_of(value_types, federated_types, st.just(types.PlacementType())),
    lambda c: st.one_of(_struct(c), st.builds(
        types.FunctionType, st.one_of(st.none(), c), c)), max_leaves=8)


def containers(t):
  """The container each struct of `t` comes back in, after a round trip."""
  if isinstance(t, types.StructType):
    c = t.container_type
    if c not in (dict, collections.OrderedDict, list, tuple):
      c = None
    return (c, tuple(containers(e) for e in t))
  return tuple(containers(c) for c in t.children())


# -------------------------------------------------------------- IR trees


@st.composite
def literals(draw):
  dtype = draw(st.sampled_from(DTYPES))
  shape = tuple(draw(st.lists(st.integers(0, 3), max_size=2)))
  size = int(np.prod(shape))
  if dtype == dtypes.STR:
    values = draw(st.lists(st.one_of(st.text(max_size=5),
                                     st.binary(max_size=5)),
                           min_size=size, max_size=size))
    array = np.empty(size, object)
    array[:] = values
    return bb.Literal(array.reshape(shape), types.TensorType(dtype, shape))
  raw = draw(st.binary(min_size=size * dtype.itemsize,
                       max_size=size * dtype.itemsize))
  value = np.frombuffer(raw, dtype).reshape(shape)
  type_shape = draw(st.sampled_from([shape, tuple(None for _ in shape)]))
  return bb.Literal(value, types.TensorType(dtype, type_shape))


def _intrinsics(local):
  """Intrinsic nodes at random concrete types."""
  at_c, at_s = fx.type_at_clients, fx.type_at_server
  return st.one_of(
      local.map(lambda t: bb.Intrinsic('federated_sum', types.FunctionType(
          at_c(t), at_s(t)))),
      local.map(lambda t: bb.Intrinsic('federated_broadcast',
                                       types.FunctionType(at_s(t), at_c(
                                           t, all_equal=True)))),
      st.tuples(local, local).map(lambda tu: bb.Intrinsic(
          'federated_map', types.FunctionType(types.StructType(
              [types.FunctionType(tu[0], tu[1]), at_c(tu[0])]),
                                              at_c(tu[1])))),
      local.map(lambda t: bb.Intrinsic('sequence_sum', types.FunctionType(
          types.SequenceType(t), t))))


@st.composite
def trees(draw, compiled, depth=3):
  """Random well-typed IR trees; `compiled` is a list of CompiledComputation."""
  leaves = st.one_of(
      st.builds(bb.Reference, st.sampled_from(NAMES), any_types),
      literals(), st.sampled_from([bb.Placement(fx.CLIENTS),
                                   bb.Placement(fx.SERVER)]),
      _intrinsics(local_types), st.sampled_from(compiled))
  if depth == 0:
    return draw(leaves)
  sub = trees(compiled, depth - 1)
  kind = draw(st.sampled_from(['leaf', 'struct', 'selection', 'lambda',
                               'block', 'call']))
  if kind == 'leaf':
    return draw(leaves)
  if kind == 'struct':
    t = draw(_struct(st.just(types.TensorType(np.int32))))
    values = [draw(sub) for _ in range(len(t))]
    return bb.Struct(list(zip(t.names(), values)), t.container_type)
  if kind == 'selection':
    source = draw(sub)
    if isinstance(source.type_signature, types.StructType) and len(
        source.type_signature):
      return bb.Selection(source, index=draw(st.integers(
          0, len(source.type_signature) - 1)))
    return bb.Selection(bb.Struct([source]), index=0)
  if kind == 'lambda':
    if draw(st.booleans()):
      return bb.Lambda(None, None, draw(sub))
    return bb.Lambda(draw(st.sampled_from(NAMES)), draw(any_types), draw(sub))
  if kind == 'block':
    n = draw(st.integers(1, 3))
    return bb.Block([(draw(st.sampled_from(NAMES)), draw(sub))
                     for _ in range(n)], draw(sub))
  argument = draw(sub)
  name = draw(st.sampled_from(NAMES))
  body = draw(st.one_of(st.just(bb.Reference(name, argument.type_signature)),
                        sub))
  return bb.Call(bb.Lambda(name, argument.type_signature, body), argument)


def assert_trees_match(a, b, path='root'):
  """`a == b`, except that compiled computations compare by type and name."""
  assert type(a) is type(b), (path, type(a), type(b))
  assert a.type_signature == b.type_signature, (path, a.type_signature,
                                                b.type_signature)
  assert containers(a.type_signature) == containers(b.type_signature), path
  if isinstance(a, bb.CompiledComputation):
    assert a.name == b.name, path
    assert a.function.parameter_names == b.function.parameter_names, path
    return
  assert a._fields() == b._fields(), (path, a._fields(), b._fields())
  assert len(a.children()) == len(b.children()), path
  for i, (x, y) in enumerate(zip(a.children(), b.children())):
    assert_trees_match(x, y, f'{path}.{i}')


def leaves_equal(x, y) -> bool:
  """Whether two Python results hold equal arrays in the same structure."""
  if structure.is_container(x):
    if not structure.is_container(y):
      return False
    ex, ey = structure.elements_of(x), structure.elements_of(y)
    return len(ex) == len(ey) and all(
        n == m and leaves_equal(v, w) for (n, v), (m, w) in zip(ex, ey))
  x, y = np.asarray(x), np.asarray(y)
  return x.dtype == y.dtype and np.array_equal(
      x, y, equal_nan=x.dtype.kind in 'fc')


def results_close(x, y, rtol=1e-6) -> bool:
  """Like `leaves_equal`, with floats equal to a relative error of `rtol`.

  Containers need not be of one class (a NamedTuple comes back as a
  `Struct`), but names and order must agree.
  """
  if isinstance(x, list) and isinstance(y, list):
    return len(x) == len(y) and all(results_close(a, b, rtol)
                                    for a, b in zip(x, y))
  if structure.is_container(x):
    if not structure.is_container(y):
      return False
    ex, ey = structure.elements_of(x), structure.elements_of(y)
    return len(ex) == len(ey) and all(
        n == m and results_close(v, w, rtol) for (n, v), (m, w) in zip(ex, ey))
  x, y = np.asarray(x), np.asarray(y)
  if x.dtype != y.dtype or x.shape != y.shape:
    return False
  if x.dtype.kind in 'fc':
    return np.allclose(x, y, rtol=rtol, atol=1e-6, equal_nan=True)
  return np.array_equal(x, y)
