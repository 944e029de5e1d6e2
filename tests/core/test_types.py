"""Tests of the federated type system (SEMANTICS.md, section "Types")."""

import collections
import copy
import pickle
import typing

import ml_dtypes
import numpy as np
import pytest

import federax as fx
from federax import CLIENTS, SERVER
from federax.core import dtypes as dtypes_lib
from federax.core.types import (FederatedType, FunctionType, PlacementType,
                                SequenceType, StructType, TensorType)


class Point(typing.NamedTuple):
  x: typing.Any
  y: typing.Any


# The scope in which `eval(repr(t))` must rebuild `t`.
_REPR_SCOPE = {
    'np': np, 'TensorType': TensorType, 'StructType': StructType,
    'SequenceType': SequenceType, 'FunctionType': FunctionType,
    'FederatedType': FederatedType, 'PlacementType': PlacementType,
    'CLIENTS': CLIENTS, 'SERVER': SERVER, 'OrderedDict':
    collections.OrderedDict, 'Point': Point, 'list': list, 'tuple': tuple,
    'dict': dict,
}

# -- str(): the table of SEMANTICS.md, row by row -----------------------------


@pytest.mark.parametrize('make, expected', [
    (lambda: TensorType(np.int32), 'int32'),
    (lambda: TensorType(np.int32, [10]), 'int32[10]'),
    (lambda: TensorType(np.int32, [None]), 'int32[?]'),
    (lambda: TensorType(np.int32, None), 'int32[*]'),
    (lambda: StructType([np.int32, np.bool_]), '<int32,bool>'),
    (lambda: StructType([('a', np.int32), ('b', np.bool_)]),
     '<a=int32,b=bool>'),
    (lambda: StructType([]), '<>'),
    (lambda: SequenceType(np.int32), 'int32*'),
    (lambda: FunctionType(np.int32, np.float64), '(int32 -> float64)'),
    (lambda: FunctionType(None, np.float64), '( -> float64)'),
    (lambda: FederatedType(np.int32, CLIENTS), '{int32}@CLIENTS'),
    (lambda: FederatedType(np.int32, CLIENTS, all_equal=True),
     'int32@CLIENTS'),
    (lambda: FederatedType(np.int32, SERVER), 'int32@SERVER'),
    (lambda: FederatedType(np.int32, SERVER, all_equal=False),
     '{int32}@SERVER'),
    (lambda: PlacementType(), 'placement'),
])
def test_str_semantics_table(make, expected):
  t = make()
  assert str(t) == expected
  assert t.compact_representation() == expected


@pytest.mark.parametrize('make, expected', [
    (lambda: TensorType(np.float32, [2, None, 3]), 'float32[2,?,3]'),
    (lambda: TensorType(np.float32, [0]), 'float32[0]'),
    (lambda: TensorType(np.float32, ()), 'float32'),
    (lambda: StructType([('a', np.int32), np.bool_]), '<a=int32,bool>'),
    (lambda: StructType([('a', StructType([('b', np.int32)]))]),
     '<a=<b=int32>>'),
    (lambda: SequenceType(StructType([('x', (np.float32, [None, 784]))])),
     '<x=float32[?,784]>*'),
    (lambda: FunctionType(SequenceType(np.int32), np.int32),
     '(int32* -> int32)'),
    (lambda: FunctionType(np.int32, FunctionType(np.int32, np.bool_)),
     '(int32 -> (int32 -> bool))'),
    (lambda: FunctionType(StructType([('f', FunctionType(np.int32, np.int32)),
                                      ('x', np.int32)]), np.int32),
     '(<f=(int32 -> int32),x=int32> -> int32)'),
    (lambda: FederatedType((np.float32, [10]), CLIENTS),
     '{float32[10]}@CLIENTS'),
    (lambda: FederatedType(SequenceType(np.int32), CLIENTS),
     '{int32*}@CLIENTS'),
    (lambda: FederatedType(StructType([('a', np.int32)]), SERVER),
     '<a=int32>@SERVER'),
    (lambda: FunctionType(FederatedType(np.float32, CLIENTS),
                          FederatedType(np.float32, SERVER)),
     '({float32}@CLIENTS -> float32@SERVER)'),
    (lambda: FunctionType(PlacementType(), np.int32), '(placement -> int32)'),
])
def test_str_nested(make, expected):
  assert str(make()) == expected


# -- repr() round trips -------------------------------------------------------

_REPR_CASES = [
    TensorType(np.int32),
    TensorType(np.float32, [10]),
    TensorType(np.float32, [None, 3]),
    TensorType(np.int32, None),
    TensorType('bfloat16', [2]),
    TensorType(np.str_),
    TensorType(np.bool_, [1]),
    StructType([]),
    StructType([np.int32, np.bool_]),
    StructType([('a', np.int32), ('b', (np.float32, [2]))]),
    StructType([('a', np.int32), np.bool_]),
    StructType([('float32', np.int32)]),  # A name that is also a dtype name.
    StructType([('a', np.int32)], container_type=collections.OrderedDict),
    StructType([('x', np.int32), ('y', np.int32)], container_type=Point),
    StructType([np.int32], container_type=list),
    SequenceType(StructType([('x', (np.float32, [None, 2]))])),
    FunctionType(None, np.int32),
    FunctionType(np.int32, StructType([np.int32, np.int32])),
    FederatedType(np.int32, CLIENTS),
    FederatedType(np.int32, CLIENTS, all_equal=True),
    FederatedType(np.int32, SERVER),
    FederatedType(np.int32, SERVER, all_equal=False),
    FederatedType(SequenceType(np.float32), CLIENTS),
    PlacementType(),
    FunctionType(StructType([('fn', FunctionType(None, np.int32)),
                             ('p', PlacementType())]),
                 FederatedType(np.int32, CLIENTS)),
]


@pytest.mark.parametrize('t', _REPR_CASES, ids=str)
def test_repr_round_trip(t):
  rebuilt = eval(repr(t), dict(_REPR_SCOPE))  # pylint: disable=eval-used
  assert rebuilt == t
  assert type(rebuilt) is type(t)
  assert str(rebuilt) == str(t)
  if isinstance(t, StructType):
    assert rebuilt.container_type is t.container_type
    assert rebuilt.names() == t.names()


@pytest.mark.parametrize('t, expected', [
    (TensorType(np.int32), 'TensorType(np.int32)'),
    (TensorType(np.int32, [None, 2]), 'TensorType(np.int32, (None, 2))'),
    (TensorType(np.int32, None), 'TensorType(np.int32, None)'),
    (StructType([('a', np.int32), np.bool_]),
     "StructType([('a', TensorType(np.int32)), TensorType(np.bool_)])"),
    (StructType([np.int32], container_type=list),
     'StructType([TensorType(np.int32)], container_type=list)'),
    (SequenceType(np.int32), 'SequenceType(TensorType(np.int32))'),
    (FunctionType(None, np.int32), 'FunctionType(None, TensorType(np.int32))'),
    (FederatedType(np.int32, CLIENTS),
     'FederatedType(TensorType(np.int32), CLIENTS)'),
    (FederatedType(np.int32, SERVER, all_equal=False),
     'FederatedType(TensorType(np.int32), SERVER, all_equal=False)'),
    (PlacementType(), 'PlacementType()'),
])
def test_repr_exact(t, expected):
  assert repr(t) == expected


# -- formatted_representation -------------------------------------------------


def test_formatted_representation_nested():
  t = fx.type_at_clients(StructType([
      ('a', np.int32),
      ('b', StructType([np.bool_, ('c', (np.float32, [2]))])),
  ]))
  assert t.formatted_representation() == '\n'.join([
      '{<',
      '  a=int32,',
      '  b=<',
      '    bool,',
      '    c=float32[2]',
      '  >',
      '>}@CLIENTS',
  ])


def test_formatted_representation_all_equal_and_function():
  member = StructType([('a', np.int32)])
  assert fx.type_at_server(member).formatted_representation() == (
      '<\n  a=int32\n>@SERVER')
  fn = FunctionType(member, np.int32)
  assert fn.formatted_representation() == '\n'.join(
      ['(', '  <', '    a=int32', '  >', '->', '  int32', ')'])
  assert FunctionType(None, np.int32).formatted_representation() == (
      '( -> int32)')
  assert FunctionType(None, member).formatted_representation() == '\n'.join(
      ['( ->', '  <', '    a=int32', '  >', ')'])


def test_formatted_representation_of_simple_types_is_compact():
  for t in [TensorType(np.int32, [2]), SequenceType(np.int32),
            fx.type_at_clients(np.int32), StructType([]), PlacementType()]:
    assert t.formatted_representation() == str(t)


# -- dtypes -------------------------------------------------------------------

_DTYPES = [
    (np.bool_, 'bool'), (np.int8, 'int8'), (np.int16, 'int16'),
    (np.int32, 'int32'), (np.int64, 'int64'), (np.uint8, 'uint8'),
    (np.uint16, 'uint16'), (np.uint32, 'uint32'), (np.uint64, 'uint64'),
    (np.float16, 'float16'), (np.float32, 'float32'), (np.float64, 'float64'),
    (ml_dtypes.bfloat16, 'bfloat16'), (np.complex64, 'complex64'),
    (np.complex128, 'complex128'), (np.str_, 'str'),
]


@pytest.mark.parametrize('dtype, name', _DTYPES)
def test_every_dtype(dtype, name):
  t = TensorType(dtype, [3])
  assert str(t) == f'{name}[3]'
  assert str(TensorType(dtype)) == name
  # The dtype name, the numpy dtype object and the scalar type are one type.
  assert TensorType(name, [3]) == t
  assert TensorType(np.dtype(dtype), [3]) == t
  assert hash(TensorType(name, [3])) == hash(t)
  rebuilt = eval(repr(t), dict(_REPR_SCOPE))  # pylint: disable=eval-used
  assert rebuilt == t


def test_dtypes_allowed_is_exactly_the_semantics_list():
  assert sorted(dtypes_lib.name(d) for d in dtypes_lib.ALLOWED) == sorted(
      n for _, n in _DTYPES)


def test_jax_dtypes():
  jnp = pytest.importorskip('jax.numpy')
  assert TensorType(jnp.float32) == TensorType(np.float32)
  assert TensorType(jnp.bfloat16) == TensorType('bfloat16')
  assert TensorType(jnp.int8, [2]) == TensorType(np.int8, [2])


def test_string_dtypes_all_mean_str():
  assert TensorType(str) == TensorType(np.str_)
  assert TensorType('string') == TensorType(np.str_)
  assert TensorType(np.dtype('U7')) == TensorType(np.str_)
  assert TensorType(np.bytes_) == TensorType(np.str_)
  assert TensorType(bytes) == TensorType(np.str_)


def test_python_types_as_dtypes():
  assert TensorType(bool) == TensorType(np.bool_)
  assert TensorType(int) == TensorType(np.int32)
  assert TensorType(float) == TensorType(np.float32)


def test_big_endian_dtype_is_its_native_equivalent():
  assert TensorType(np.dtype('>i4')) == TensorType(np.int32)
  assert str(TensorType(np.dtype('>f8'))) == 'float64'


def test_equal_dtypes_spelled_differently_hash_equal():
  # 'q' (long long) and 'l' (long) are both int64 on 64-bit Linux.
  a, b = TensorType(np.dtype('q')), TensorType(np.dtype('l'))
  if np.dtype('q') == np.dtype('l'):
    assert a == b and hash(a) == hash(b)
  assert TensorType(np.dtype('q')) == TensorType(np.int64)
  assert hash(TensorType(np.dtype('q'))) == hash(TensorType(np.int64))


@pytest.mark.parametrize('bad, match', [
    (np.float128 if hasattr(np, 'float128') else np.datetime64,
     r'dtype: unsupported dtype'),
    (np.datetime64, r'dtype: unsupported dtype'),
    ('float', r"dtype: unknown dtype name 'float'; expected one of"),
    ('c', r"dtype: unknown dtype name 'c'"),
    ('i4', r"dtype: unknown dtype name 'i4'"),
    (None, r'dtype: expected a dtype .*got None'),
    (object, r'dtype: expected a dtype .*got the class object'),
    (Point, r'dtype: expected a dtype .*got the class Point'),
    (3, r'dtype: expected a dtype .*got 3'),
])
def test_bad_dtypes(bad, match):
  with pytest.raises(TypeError, match=match):
    TensorType(bad)


@pytest.mark.parametrize('a, b', [
    (np.int32, np.int64), (np.int32, np.float32), (np.float32, np.float64),
    (np.float16, 'bfloat16'), (np.int8, np.uint8), (np.bool_, np.int32),
    (np.complex64, np.float32), (np.int32, np.str_),
])
def test_no_implicit_promotion(a, b):
  ta, tb = TensorType(a), TensorType(b)
  assert ta != tb
  assert not ta.is_assignable_from(tb)
  assert not tb.is_assignable_from(ta)
  assert not StructType([a]).is_assignable_from(StructType([b]))
  assert not SequenceType(a).is_assignable_from(SequenceType(b))
  assert not fx.type_at_clients(a).is_assignable_from(fx.type_at_clients(b))
  assert not FunctionType(None, a).is_assignable_from(FunctionType(None, b))
  with pytest.raises(TypeError, match=f'expected {ta}, got {tb}'):
    ta.check_assignable_from(tb)


# -- shapes -------------------------------------------------------------------


def test_shapes_normalize():
  assert TensorType(np.int32, [10]) == TensorType(np.int32, (10,))
  assert TensorType(np.int32, 10) == TensorType(np.int32, [10])
  assert TensorType(np.int32, np.int64(3)).shape == (3,)
  assert TensorType(np.int32, [np.int64(2), None]).shape == (2, None)
  assert TensorType(np.int32, [-1]).shape == (None,)  # TF's unknown dim.
  assert TensorType(np.int32).shape == ()
  assert TensorType(np.int32, None).shape is None
  assert TensorType(np.int32, [2, None]).rank == 2
  assert TensorType(np.int32, None).rank is None
  assert TensorType(np.int32, [2, 3]).is_fully_defined()
  assert not TensorType(np.int32, [2, None]).is_fully_defined()
  assert not TensorType(np.int32, None).is_fully_defined()
  assert isinstance(TensorType(np.int32, [np.int64(2)]).shape[0], int)


@pytest.mark.parametrize('shape', [
    [2.0], [-2], ['a'], 'ab', 2.5, [True], [[2]], object(),
])
def test_bad_shape_is_type_error(shape):
  with pytest.raises(TypeError, match=r'shape: .*got'):
    TensorType(np.int32, shape)


# -- all_equal defaults, type_at_clients / type_at_server ---------------------


def test_all_equal_defaults():
  assert FederatedType(np.int32, CLIENTS).all_equal is False
  assert FederatedType(np.int32, SERVER).all_equal is True
  assert FederatedType(np.int32, CLIENTS, all_equal=True).all_equal is True
  assert FederatedType(np.int32, SERVER, all_equal=False).all_equal is False
  assert FederatedType(np.int32, CLIENTS, None).all_equal is False
  assert CLIENTS.default_all_equal is False
  assert SERVER.default_all_equal is True


def test_type_at_clients_and_server():
  t = fx.type_at_clients(np.float32)
  assert t == FederatedType(np.float32, CLIENTS)
  assert str(t) == '{float32}@CLIENTS'
  assert t.placement is CLIENTS and t.member == TensorType(np.float32)
  assert str(fx.type_at_clients(np.float32, all_equal=True)) == (
      'float32@CLIENTS')
  s = fx.type_at_server((np.float32, [2]))
  assert s == FederatedType(TensorType(np.float32, [2]), SERVER)
  assert str(s) == 'float32[2]@SERVER'
  assert s.placement is SERVER and s.all_equal
  assert str(fx.type_at_clients({'a': np.int32, 'b': [np.bool_]})) == (
      '{<a=int32,b=<bool>>}@CLIENTS')


# -- construction errors ------------------------------------------------------


@pytest.mark.parametrize('element, kind', [
    (lambda: fx.type_at_clients(np.int32), 'FederatedType'),
    (lambda: FunctionType(np.int32, np.int32), 'FunctionType'),
    (lambda: SequenceType(np.int32), 'SequenceType'),
    (lambda: StructType([np.int32, SequenceType(np.int32)]), 'SequenceType'),
    (lambda: StructType([('a', fx.type_at_server(np.int32))]),
     'FederatedType'),
    (lambda: PlacementType(), 'PlacementType'),
])
def test_sequence_element_restrictions(element, kind):
  with pytest.raises(ValueError,
                     match=rf'SequenceType\(element\): .*may not contain a '
                     rf'{kind}'):
    SequenceType(element())


@pytest.mark.parametrize('member, kind', [
    (lambda: fx.type_at_server(np.int32), 'FederatedType'),
    (lambda: FunctionType(None, np.int32), 'FunctionType'),
    (lambda: StructType([np.int32, fx.type_at_clients(np.int32)]),
     'FederatedType'),
    (lambda: StructType([('f', FunctionType(np.int32, np.int32))]),
     'FunctionType'),
])
def test_federated_member_restrictions(member, kind):
  with pytest.raises(ValueError,
                     match=rf'FederatedType\(member\): .*may not contain a '
                     rf'{kind}'):
    FederatedType(member(), CLIENTS)


def test_federated_members_that_are_allowed():
  assert str(fx.type_at_clients(SequenceType(np.int32))) == '{int32*}@CLIENTS'
  assert str(fx.type_at_clients(StructType([]))) == '{<>}@CLIENTS'
  assert str(fx.type_at_server([SequenceType(np.int32)])) == '<int32*>@SERVER'


@pytest.mark.parametrize('placement', [
    'CLIENTS', 'clients', None, 0, PlacementType(),
])
def test_bad_placement_is_type_error(placement):
  with pytest.raises(TypeError,
                     match=r'FederatedType\(placement\): expected fx.CLIENTS '
                     r'or fx.SERVER, got'):
    FederatedType(np.int32, placement)


def test_bad_all_equal_is_type_error():
  with pytest.raises(TypeError, match=r"FederatedType\(all_equal\): expected "
                     r"True, False or None, got 'yes'"):
    FederatedType(np.int32, CLIENTS, all_equal='yes')
  with pytest.raises(TypeError, match=r'all_equal'):
    FederatedType(np.int32, CLIENTS, all_equal=1)
  assert FederatedType(np.int32, CLIENTS, np.bool_(True)).all_equal is True


def test_missing_member_or_element_is_type_error():
  with pytest.raises(TypeError, match=r'FederatedType\(member\): expected a '
                     r'type, got None'):
    FederatedType(None, CLIENTS)
  with pytest.raises(TypeError, match=r'SequenceType\(element\): expected a '
                     r'type, got None'):
    SequenceType(None)
  with pytest.raises(TypeError, match=r'FunctionType\(result\)'):
    FunctionType(np.int32, None)
  with pytest.raises(TypeError, match=r"to_type: cannot interpret 'nope'"):
    SequenceType('nope')


def test_duplicate_struct_names_is_value_error():
  with pytest.raises(ValueError,
                     match=r"StructType\(elements\): duplicate element name "
                     r"'a'; expected distinct names, got \['a', 'b', 'a'\]"):
    StructType([('a', np.int32), ('b', np.int32), ('a', np.bool_)])


def test_empty_struct_name_is_value_error():
  with pytest.raises(ValueError, match=r'StructType\(elements\): element '
                     r'names must not be empty'):
    StructType([('', np.int32)])


@pytest.mark.parametrize('elements', [np.int32, 3, 'ab', TensorType(np.int32)])
def test_struct_of_non_iterable_is_type_error(elements):
  with pytest.raises(TypeError, match=r'StructType\(elements\): expected a '
                     r'list of types'):
    StructType(elements)


def test_struct_bad_element_is_type_error():
  with pytest.raises(TypeError, match=r"to_type: cannot interpret 'nope'"):
    StructType([np.int32, 'nope'])
  with pytest.raises(TypeError, match=r"StructType\(elements\): element "
                     r"\('a', None\): expected a type, got None"):
    StructType([('a', None)])


# -- immutability, equality and hashing ---------------------------------------


@pytest.mark.parametrize('t, attr', [
    (TensorType(np.int32), 'dtype'),
    (TensorType(np.int32), 'shape'),
    (StructType([('a', np.int32)]), 'container_type'),
    (StructType([('a', np.int32)]), 'a'),
    (StructType([('a', np.int32)]), '_elements'),
    (SequenceType(np.int32), 'element'),
    (FunctionType(np.int32, np.int32), 'result'),
    (FederatedType(np.int32, CLIENTS), 'all_equal'),
    (FederatedType(np.int32, CLIENTS), 'placement'),
    (PlacementType(), 'anything'),
])
def test_types_are_immutable(t, attr):
  before = repr(t)
  with pytest.raises(AttributeError, match='immutable'):
    setattr(t, attr, TensorType(np.bool_))
  if hasattr(t, attr):
    with pytest.raises(AttributeError, match='immutable'):
      delattr(t, attr)
  assert repr(t) == before


def test_placements_are_immutable():
  with pytest.raises(AttributeError):
    CLIENTS.name = 'SERVER'  # pytype: disable=not-writable


def _pairs_of_equal_types():
  return [
      (TensorType(np.int32, [2]), TensorType('int32', (2,))),
      (TensorType(np.int32, [None]), TensorType(np.int32, [-1])),
      (StructType([('a', np.int32)]), StructType({'a': np.int32})),
      (StructType([np.int32]), fx.to_type([np.int32])),
      (SequenceType(np.int32), SequenceType('int32')),
      (FunctionType(np.int32, np.bool_), FunctionType('int32', bool)),
      (FunctionType(None, np.bool_), FunctionType(None, np.bool_)),
      (fx.type_at_clients(np.int32), FederatedType(np.int32, CLIENTS, False)),
      (fx.type_at_server(np.int32), FederatedType(np.int32, SERVER, True)),
      (PlacementType(), PlacementType()),
  ]


@pytest.mark.parametrize('a, b', _pairs_of_equal_types(), ids=str)
def test_equal_types_hash_equal(a, b):
  assert a == b and not a != b
  assert hash(a) == hash(b)
  d = {a: 'value'}
  assert d[b] == 'value'
  assert len({a, b}) == 1


def test_different_types_are_unequal():
  ts = [
      TensorType(np.int32), TensorType(np.int32, [1]),
      TensorType(np.int32, [None]), TensorType(np.int32, None),
      TensorType(np.int64), StructType([np.int32]),
      StructType([('a', np.int32)]), StructType([('b', np.int32)]),
      StructType([np.int32, np.int32]), StructType([]),
      SequenceType(np.int32), FunctionType(None, np.int32),
      FunctionType(np.int32, np.int32), fx.type_at_clients(np.int32),
      fx.type_at_clients(np.int32, all_equal=True),
      fx.type_at_server(np.int32),
      FederatedType(np.int32, SERVER, all_equal=False), PlacementType(),
  ]
  for i, a in enumerate(ts):
    for j, b in enumerate(ts):
      assert (a == b) == (i == j), (a, b)
  assert len(set(ts)) == len(ts)
  assert TensorType(np.int32) != 'int32'
  assert TensorType(np.int32) != np.int32


def test_container_type_does_not_affect_equality():
  # A documented design decision: the container is how values come back,
  # not part of the type.
  plain = StructType([('x', np.int32), ('y', np.int32)])
  as_point = StructType([('x', np.int32), ('y', np.int32)],
                        container_type=Point)
  as_dict = fx.to_type({'x': np.int32, 'y': np.int32})
  assert as_point.container_type is Point
  assert as_dict.container_type is dict
  assert plain == as_point == as_dict
  assert hash(plain) == hash(as_point) == hash(as_dict)
  assert as_point.is_assignable_from(as_dict)
  assert StructType([np.int32], list) == StructType([np.int32], tuple)


def test_copy_and_pickle_types():
  ts = [TensorType(np.int32, [None]), TensorType('bfloat16'),
        StructType([('a', np.int32)], container_type=collections.OrderedDict),
        SequenceType(np.int32), FunctionType(None, np.int32),
        fx.type_at_clients(np.int32), PlacementType()]
  for t in ts:
    assert copy.copy(t) is t
    assert copy.deepcopy(t) is t
    u = pickle.loads(pickle.dumps(t))
    assert u == t and hash(u) == hash(t) and repr(u) == repr(t)
  u = pickle.loads(pickle.dumps(fx.type_at_clients(np.int32)))
  assert u.placement is CLIENTS  # Placements stay singletons.
  s = pickle.loads(pickle.dumps(ts[2]))
  assert s.container_type is collections.OrderedDict and s.a == ts[2].a


# -- assignability ------------------------------------------------------------

_I32 = TensorType(np.int32)


@pytest.mark.parametrize('target, source, expected', [
    # Tensors.
    (_I32, _I32, True),
    (TensorType(np.int32, [None]), TensorType(np.int32, [10]), True),
    (TensorType(np.int32, [10]), TensorType(np.int32, [None]), False),
    (_I32, TensorType(np.bool_), False),
    (_I32, TensorType(np.int32, [10]), False),
    (TensorType(np.int32, [10]), _I32, False),
    (TensorType(np.int32, None), _I32, True),
    (TensorType(np.int32, None), TensorType(np.int32, [2, None, 3]), True),
    (TensorType(np.int32, None), TensorType(np.int32, None), True),
    (TensorType(np.int32, [None]), TensorType(np.int32, None), False),
    (_I32, TensorType(np.int32, None), False),
    (TensorType(np.int32, None), TensorType(np.int64, [2]), False),
    (TensorType(np.int32, [2, None]), TensorType(np.int32, [2, 5]), True),
    (TensorType(np.int32, [2, None]), TensorType(np.int32, [3, 5]), False),
    (TensorType(np.int32, [None]), TensorType(np.int32, [2, 2]), False),
    (TensorType(np.int32, [10]), TensorType(np.int32, [10]), True),
    (TensorType(np.int32, [10]), TensorType(np.int32, [11]), False),
    (_I32, StructType([np.int32]), False),
    (StructType([np.int32]), _I32, False),
    # Structs.
    (StructType([]), StructType([]), True),
    (StructType([np.int32]), StructType([np.int32, np.int32]), False),
    (StructType([np.int32, np.int32]), StructType([np.int32]), False),
    (StructType([('a', np.int32)]), StructType([np.int32]), True),
    (StructType([('a', np.int32)]), StructType([('a', np.int32)]), True),
    (StructType([('a', np.int32)]), StructType([('b', np.int32)]), False),
    (StructType([np.int32]), StructType([('a', np.int32)]), False),
    (StructType([('a', np.int32), ('b', np.bool_)]),
     StructType([('b', np.bool_), ('a', np.int32)]), False),
    (StructType([('a', (np.int32, [None])), ('b', np.bool_)]),
     StructType([('a', (np.int32, [3])), np.bool_]), True),
    (StructType([('a', (np.int32, [3]))]),
     StructType([('a', (np.int32, [None]))]), False),
    (StructType([np.int32, np.bool_]), StructType([np.int32, np.int32]),
     False),
    (StructType([StructType([('x', (np.float32, [None]))])]),
     StructType([StructType([('x', (np.float32, [4]))])]), True),
    (StructType([np.int32]), SequenceType(np.int32), False),
    # Sequences.
    (SequenceType((np.int32, [None])), SequenceType((np.int32, [2])), True),
    (SequenceType((np.int32, [2])), SequenceType((np.int32, [None])), False),
    (SequenceType(np.int32), _I32, False),
    # Functions: contravariant parameter, covariant result.
    (FunctionType(np.int32, np.int32), FunctionType(np.int32, np.int32),
     True),
    (FunctionType((np.int32, [10]), np.int32),
     FunctionType((np.int32, [None]), np.int32), True),
    (FunctionType((np.int32, [None]), np.int32),
     FunctionType((np.int32, [10]), np.int32), False),
    (FunctionType(np.int32, (np.int32, [None])),
     FunctionType(np.int32, (np.int32, [10])), True),
    (FunctionType(np.int32, (np.int32, [10])),
     FunctionType(np.int32, (np.int32, [None])), False),
    (FunctionType(None, np.int32), FunctionType(None, np.int32), True),
    (FunctionType(None, np.int32), FunctionType(np.int32, np.int32), False),
    (FunctionType(np.int32, np.int32), FunctionType(None, np.int32), False),
    (FunctionType(np.int32, np.int32), FunctionType(np.int32, np.bool_),
     False),
    (FunctionType(np.int32, np.int32), FunctionType(np.bool_, np.int32),
     False),
    (FunctionType(None, np.int32), _I32, False),
    # Federated.
    (fx.type_at_clients(np.int32), fx.type_at_clients(np.int32), True),
    (fx.type_at_clients(np.int32), fx.type_at_clients(np.int32, True), True),
    (fx.type_at_clients(np.int32, True), fx.type_at_clients(np.int32), False),
    (fx.type_at_server(np.int32), fx.type_at_clients(np.int32, True), False),
    (fx.type_at_clients(np.int32, True), fx.type_at_server(np.int32), False),
    (fx.type_at_clients(np.int32), fx.type_at_server(np.int32), False),
    (FederatedType(np.int32, SERVER, False), fx.type_at_server(np.int32),
     True),
    (fx.type_at_server(np.int32), FederatedType(np.int32, SERVER, False),
     False),
    (fx.type_at_clients((np.int32, [None])),
     fx.type_at_clients((np.int32, [2])), True),
    (fx.type_at_clients((np.int32, [2])),
     fx.type_at_clients((np.int32, [None])), False),
    (fx.type_at_clients(np.int32), fx.type_at_clients(np.float32), False),
    (fx.type_at_clients(np.int32), _I32, False),
    (_I32, fx.type_at_server(np.int32), False),
    # Placements.
    (PlacementType(), PlacementType(), True),
    (PlacementType(), _I32, False),
    (_I32, PlacementType(), False),
])
def test_assignability(target, source, expected):
  assert target.is_assignable_from(source) is expected
  if expected:
    target.check_assignable_from(source)
  else:
    with pytest.raises(TypeError,
                       match=r'arg: expected .*, got .*\.'):
      target.check_assignable_from(source, 'arg')


def test_check_assignable_error_message_shows_both_types():
  with pytest.raises(TypeError, match=r'^x: expected int32\[\?\], got '
                     r'int32\[\*\]\.$'):
    TensorType(np.int32, [None]).check_assignable_from(
        TensorType(np.int32, None), 'x')


def test_every_type_is_assignable_from_itself():
  for t in _REPR_CASES:
    assert t.is_assignable_from(t)
    assert t.is_equivalent_to(t)


def test_is_equivalent_to():
  assert TensorType(np.int32, [2]).is_equivalent_to(TensorType('int32', [2]))
  assert not TensorType(np.int32, [None]).is_equivalent_to(
      TensorType(np.int32, [2]))
  assert not TensorType(np.int32, [2]).is_equivalent_to(
      TensorType(np.int32, [None]))
  assert StructType([('a', np.int32)], list).is_equivalent_to(
      StructType({'a': np.int32}))
  # An unnamed source fits a named target, but not the other way round.
  assert not StructType([('a', np.int32)]).is_equivalent_to(
      StructType([np.int32]))
  assert not fx.type_at_clients(np.int32).is_equivalent_to(
      fx.type_at_clients(np.int32, all_equal=True))
  assert fx.type_at_server(np.int32).is_equivalent_to(
      FederatedType(np.int32, SERVER, all_equal=True))
  assert not fx.type_at_server(np.int32).is_equivalent_to(
      fx.type_at_clients(np.int32, True))


# -- StructType element access ------------------------------------------------


def test_struct_element_access():
  t = StructType([('a', np.int32), (None, np.bool_), ('c', (np.float32, [2]))])
  assert len(t) == 3
  assert t[0] == t['a'] == t.a == TensorType(np.int32)
  assert t[1] == TensorType(np.bool_)
  assert t[2] == t['c'] == t.c == t[-1] == TensorType(np.float32, [2])
  assert t[0:2] == (TensorType(np.int32), TensorType(np.bool_))
  assert t[::-1] == (t.c, t[1], t.a)
  assert list(t) == [t.a, t[1], t.c]
  assert list(t.children()) == list(t)
  assert t.names() == ('a', None, 'c')
  assert t.has_names()
  assert not StructType([np.int32]).has_names()
  assert t.index_of('c') == 2
  assert t.elements == (('a', t.a), (None, t[1]), ('c', t.c))
  assert StructType([]).names() == ()


def test_struct_unknown_name_errors():
  t = StructType([('a', np.int32), np.bool_])
  with pytest.raises(AttributeError,
                     match=r"<a=int32,bool> has no element named 'b'"):
    t.b  # pylint: disable=pointless-statement
  with pytest.raises(KeyError, match=r"has no element named 'b'; names are "
                     r"\['a'\]"):
    t['b']  # pylint: disable=pointless-statement
  with pytest.raises(AttributeError, match=r"has no element named 'b'"):
    t.index_of('b')
  with pytest.raises(IndexError):
    t[2]  # pylint: disable=pointless-statement
  assert not hasattr(t, 'b')
  assert not hasattr(t, '_private')
  assert hasattr(t, 'a')


def test_struct_from_struct_and_dict_keeps_names():
  t = StructType([('a', np.int32), np.bool_], container_type=list)
  u = StructType(t)
  assert u == t and u.names() == t.names() and u.container_type is list
  assert StructType(t, container_type=tuple).container_type is tuple
  d = StructType({'b': np.int32, 'a': np.bool_})
  assert d.names() == ('b', 'a')  # Key order, not sorted.
  assert d.container_type is None


def test_struct_elements_spec_forms():
  t = StructType([
      ('a', 'int32'), ('b', (np.float32, [2])), (np.int32, [3]),
      ('float32', [None]), (None, np.bool_), [np.int32, np.int32],
      {'x': np.int32},
  ])
  assert str(t) == ('<a=int32,b=float32[2],int32[3],float32[?],bool,'
                    '<int32,int32>,<x=int32>>')
  assert t[5].container_type is list and t[6].container_type is dict
