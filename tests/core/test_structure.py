"""Tests of `fx.Struct` and of taking struct containers apart and back."""

import collections
import copy
import dataclasses
import pickle
import typing

import numpy as np
import pytest

import federax as fx
from federax.core import structure


class Point(typing.NamedTuple):
  x: typing.Any
  y: typing.Any


@dataclasses.dataclass
class Batch:
  x: typing.Any
  y: typing.Any


@dataclasses.dataclass(frozen=True)
class Frozen:
  a: typing.Any
  b: typing.Any = 0


@dataclasses.dataclass
class WithDerived:
  a: typing.Any
  total: typing.Any = dataclasses.field(init=False)

  def __post_init__(self):
    self.total = 'derived'


class MyList(list):
  pass


# -- Struct -------------------------------------------------------------------


def test_struct_access():
  s = fx.Struct([('a', 1), (None, 2), ('c', 3)])
  assert len(s) == 3
  assert s[0] == s['a'] == s.a == 1
  assert s[1] == 2
  assert s[2] == s['c'] == s.c == s[-1] == 3
  assert s[0:2] == (1, 2)
  assert list(s) == [1, 2, 3]
  assert s.names() == ('a', None, 'c')
  assert s.items() == [('a', 1), (None, 2), ('c', 3)]


def test_struct_named():
  s = fx.Struct.named(b=1, a=2)
  assert s == fx.Struct([('b', 1), ('a', 2)])
  assert s.names() == ('b', 'a')


def test_struct_unknown_element_errors():
  s = fx.Struct([('a', 1), (None, 2)])
  with pytest.raises(KeyError, match=r"Struct has no element named 'b'; "
                     r"names are \['a'\]"):
    s['b']  # pylint: disable=pointless-statement
  with pytest.raises(AttributeError, match=r"Struct has no element named 'b'"):
    s.b  # pylint: disable=pointless-statement
  with pytest.raises(IndexError):
    s[2]  # pylint: disable=pointless-statement
  assert not hasattr(s, 'b')
  assert hasattr(s, 'a')


def test_struct_is_immutable():
  s = fx.Struct([('a', 1)])
  with pytest.raises(AttributeError, match='Struct is immutable'):
    s.a = 2
  with pytest.raises(AttributeError, match='Struct is immutable'):
    s.new = 2
  with pytest.raises(AttributeError, match='Struct is immutable'):
    del s._values
  with pytest.raises(TypeError):
    s[0] = 2  # pytype: disable=unsupported-operands
  assert s.a == 1 and len(s) == 1


def test_struct_equality_and_hash():
  a = fx.Struct([('a', 1), (None, 'x')])
  b = fx.Struct([('a', 1), (None, 'x')])
  assert a == b and not a != b
  assert hash(a) == hash(b)
  assert {a: 1}[b] == 1
  assert a != fx.Struct([('b', 1), (None, 'x')])  # Names differ.
  assert a != fx.Struct([(None, 1), (None, 'x')])
  assert a != fx.Struct([('a', 2), (None, 'x')])  # Values differ.
  assert a != fx.Struct([('a', 1)])  # Lengths differ.
  assert a != (1, 'x')
  assert a != [1, 'x']
  assert fx.Struct([]) == fx.Struct([])


def test_struct_equality_with_arrays():
  a = fx.Struct([('w', np.array([1.0, 2.0])), ('b', np.float32(3))])
  assert a == fx.Struct([('w', np.array([1.0, 2.0])), ('b', np.float32(3))])
  assert a != fx.Struct([('w', np.array([1.0, 5.0])), ('b', np.float32(3))])
  assert a != fx.Struct([('w', np.array([1.0])), ('b', np.float32(3))])
  # Arrays nested in lists and dicts inside a Struct.
  n = fx.Struct([('l', [np.zeros(2), {'k': np.ones(1)}])])
  assert n == fx.Struct([('l', [np.zeros(2), {'k': np.ones(1)}])])
  assert n != fx.Struct([('l', [np.zeros(2), {'k': np.zeros(1)}])])
  assert n != fx.Struct([('l', [np.zeros(2)])])
  assert n != fx.Struct([('l', (np.zeros(2), {'k': np.ones(1)}))])


def test_struct_repr():
  assert repr(fx.Struct([('a', 1), (None, 'x')])) == "<a=1,'x'>"
  assert repr(fx.Struct([])) == '<>'
  assert repr(fx.Struct([('a', fx.Struct([('b', 2)]))])) == '<a=<b=2>>'
  assert str(fx.Struct([('a', 1), (None, 2)])) == '<a=1,2>'


def test_struct_duplicate_names_is_value_error():
  with pytest.raises(ValueError, match=r"Struct has duplicate element name "
                     r"'a'"):
    fx.Struct([('a', 1), ('b', 2), ('a', 3)])


def test_struct_bad_name_is_type_error():
  with pytest.raises(TypeError, match=r'Struct element names must be str or '
                     r'None, got 1'):
    fx.Struct([(1, 'x')])


def test_struct_copy_and_pickle():
  s = fx.Struct([('a', 1), (None, [2, 3])])
  assert copy.copy(s) == s
  d = copy.deepcopy(s)
  assert d == s and d[1] is not s[1]
  assert pickle.loads(pickle.dumps(s)) == s
  assert pickle.loads(pickle.dumps(s)).names() == ('a', None)


def test_struct_is_a_jax_pytree():
  jax = pytest.importorskip('jax')
  structure._register_pytree()  # pylint: disable=protected-access
  s = fx.Struct([('a', np.float32(1)), (None, np.float32(2))])
  doubled = jax.tree_util.tree_map(lambda x: x * 2, s)
  assert isinstance(doubled, fx.Struct)
  assert doubled.names() == ('a', None)
  assert doubled == fx.Struct([('a', np.float32(2)), (None, np.float32(4))])


# -- elements_of / build round trips ------------------------------------------


def _round_trip(value):
  elements = structure.elements_of(value)
  container = None if isinstance(value, fx.Struct) else type(value)
  rebuilt = structure.build(container, [n for n, _ in elements],
                            [v for _, v in elements])
  return elements, rebuilt


@pytest.mark.parametrize('value, names', [
    ({'b': 1, 'a': 2}, ('a', 'b')),  # Plain dicts: sorted, as in JAX.
    (collections.OrderedDict([('z', 1), ('y', 2)]), ('z', 'y')),
    ([1, 2, 3], (None, None, None)),
    ((1, 2), (None, None)),
    (Point(x=1, y=2), ('x', 'y')),
    (Batch(x=1, y=2), ('x', 'y')),
    (Frozen(a=1, b=2), ('a', 'b')),
    (fx.Struct([('a', 1), (None, 2)]), ('a', None)),
    (MyList([1, 2]), (None, None)),
    ([], ()),
    ({}, ()),
])
def test_elements_of_and_build_round_trip(value, names):
  elements, rebuilt = _round_trip(value)
  assert tuple(n for n, _ in elements) == names
  assert type(rebuilt) is type(value)
  assert rebuilt == value
  assert structure.is_container(value)


def test_round_trip_keeps_ordered_dict_order():
  value = collections.OrderedDict([('z', 1), ('a', 2)])
  _, rebuilt = _round_trip(value)
  assert list(rebuilt) == ['z', 'a']


def test_build_with_new_values():
  assert structure.build(Point, ['x', 'y'], [3, 4]) == Point(3, 4)
  assert structure.build(dict, ['a', 'b'], [3, 4]) == {'a': 3, 'b': 4}
  assert structure.build(list, [None, None], [3, 4]) == [3, 4]
  assert structure.build(tuple, [None], [3]) == (3,)
  assert structure.build(Batch, ['x', 'y'], [3, 4]) == Batch(3, 4)
  s = structure.build(None, ['a', None], [3, 4])
  assert isinstance(s, fx.Struct) and s == fx.Struct([('a', 3), (None, 4)])
  assert structure.build(fx.Struct, ['a'], [3]) == fx.Struct([('a', 3)])
  d = structure.build(collections.defaultdict, ['a'], [1])
  assert dict(d) == {'a': 1}


def test_build_dataclass_with_init_false_field():
  value = WithDerived(a=1)
  elements = structure.elements_of(value)
  assert elements == [('a', 1), ('total', 'derived')]
  rebuilt = structure.build(WithDerived, ['a', 'total'], [5, 'replaced'])
  assert rebuilt.a == 5 and rebuilt.total == 'replaced'


def test_build_length_mismatch_is_value_error():
  with pytest.raises(ValueError, match=r'build: expected as many names as '
                     r'values, got 1 names .* and 2 values'):
    structure.build(None, ['a'], [1, 2])


def test_build_unknown_container_is_type_error():
  with pytest.raises(TypeError, match=r'Cannot rebuild a struct as'):
    structure.build(set, [None], [1])


def test_elements_of_errors():
  with pytest.raises(TypeError, match=r'dict keys of a struct must be str, '
                     r'got 1 of type int'):
    structure.elements_of({1: 'a'})
  with pytest.raises(TypeError, match=r'int is not a struct container'):
    structure.elements_of(3)


def test_is_container():
  for value in [[], (), {}, fx.Struct([]), Point(1, 2), Batch(1, 2)]:
    assert structure.is_container(value)
  for value in [1, 'ab', np.zeros(3), None, Batch, Point, {1, 2}]:
    assert not structure.is_container(value)
  assert structure.is_named_tuple(Point) and structure.is_named_tuple(
      Point(1, 2))
  assert not structure.is_named_tuple((1, 2))
  assert structure.is_dataclass_instance(Batch(1, 2))
  assert not structure.is_dataclass_instance(Batch)


def test_attrs_classes():
  attrs = pytest.importorskip('attrs')

  @attrs.define
  class A:
    x: typing.Any
    y: typing.Any

  @attrs.frozen
  class Private:
    _p: typing.Any

  value = A(x=1, y=2)
  assert structure.is_attrs(value) and structure.is_container(value)
  elements, rebuilt = _round_trip(value)
  assert elements == [('x', 1), ('y', 2)]
  assert type(rebuilt) is A and rebuilt == value
  # attrs strips the underscore from the __init__ argument of `_p`.
  elements, rebuilt = _round_trip(Private(p=3))
  assert elements == [('_p', 3)]
  assert rebuilt == Private(p=3)
  t = fx.to_type(A(x=np.int32, y=np.bool_))
  assert str(t) == '<x=int32,y=bool>' and t.container_type is A
  assert str(fx.infer_type(A(x=1, y=0.5))) == '<x=int32,y=float32>'


def test_types_rebuild_in_their_container():
  # A type's container is what `build` rebuilds values into.
  t = fx.infer_type(Point(x=1, y=2.0))
  rebuilt = structure.build(t.container_type, t.names(), [5, 6.0])
  assert rebuilt == Point(5, 6.0)
