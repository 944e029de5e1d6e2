"""Tests of Python <-> internal value conversion (`fx.framework`)."""

import collections
import dataclasses
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np
import pytest

import federax as fx
from federax.core import value_conversion

to_internal = fx.framework.to_internal
to_python = fx.framework.to_python
T = fx.to_type


class Point(NamedTuple):
  x: object
  y: object


@dataclasses.dataclass
class Pair:
  u: object
  v: object


def _round_trip(value, spec):
  t = T(spec)
  return to_python(to_internal(value, t), t)


# Tensors.


def test_python_scalars_to_tensors():
  x = to_internal(3, T(np.int32))
  assert isinstance(x, np.ndarray) and x.dtype == np.int32 and x == 3
  y = to_internal(3, T(np.float32))
  assert y.dtype == np.float32 and y == 3.0
  z = to_internal(0.25, T(np.float32))
  assert z.dtype == np.float32 and z == 0.25
  assert to_internal(True, T(np.bool_)).dtype == np.bool_
  assert to_internal(0.5, T(np.complex64)).dtype == np.complex64
  assert to_internal(255, T(np.uint8)) == 255


def test_lists_and_arrays_to_tensors():
  a = to_internal([[1, 2], [3, 4]], T((np.int32, [2, 2])))
  assert a.dtype == np.int32 and a.shape == (2, 2)
  b = to_internal(np.zeros([3, 2], np.float32), T((np.float32, [None, 2])))
  assert b.shape == (3, 2)
  c = to_internal(jnp.ones(3, jnp.float32), T((np.float32, [3])))
  np.testing.assert_array_equal(c, [1, 1, 1])
  d = to_internal(np.ones([2, 5], np.int32), T((np.int32, None)))
  assert d.shape == (2, 5)


def test_shape_mismatch_is_type_error():
  with pytest.raises(TypeError, match=r'expected int32\[3\], got int32\[2\]'):
    to_internal([1, 2], T((np.int32, [3])))
  with pytest.raises(TypeError, match=r'expected float32, got float32\[1\]'):
    to_internal(np.zeros([1], np.float32), T(np.float32))
  with pytest.raises(TypeError, match=r'int32\[2,\?\]'):
    to_internal([[1, 2], [3]], T((np.int32, [2, None])))


def test_numpy_dtype_is_never_converted():
  with pytest.raises(TypeError, match=r'got float64.*astype\(np\.float32\)'):
    to_internal(np.float64(0.5), T(np.float32))
  with pytest.raises(TypeError, match=r'got int64\[2\].*astype\(np\.int32\)'):
    to_internal(np.array([1, 2]), T((np.int32, [2])))
  with pytest.raises(TypeError, match=r'astype\(np\.float32\)'):
    to_internal(jnp.zeros(2, jnp.int32), T((np.float32, [2])))


def test_python_numbers_convert_losslessly():
  with pytest.raises(TypeError, match='int32'):
    to_internal(0.5, T(np.int32))
  with pytest.raises(TypeError, match='int32'):
    to_internal(2**31, T(np.int32))
  with pytest.raises(TypeError, match='int8'):
    to_internal([1, 200], T((np.int8, [2])))
  with pytest.raises(TypeError, match='uint32'):
    to_internal(-1, T(np.uint32))
  with pytest.raises(TypeError, match='does not fit in float32'):
    to_internal(2**24 + 1, T(np.float32))
  assert to_internal(2**24, T(np.float32)) == 2.0**24
  assert to_internal(2**40, T(np.float32)) == 2.0**40
  with pytest.raises(TypeError, match='does not fit in float16'):
    to_internal(70000.0, T(np.float16))
  with pytest.raises(TypeError, match='float32'):
    to_internal(1 + 1j, T(np.float32))
  with pytest.raises(TypeError, match='int32'):
    to_internal(True, T(np.int32))
  with pytest.raises(TypeError, match='bool'):
    to_internal(0, T(np.bool_))
  with pytest.raises(TypeError, match='float32'):
    to_internal('1.0', T(np.float32))
  with pytest.raises(TypeError, match='float32'):
    to_internal(None, T(np.float32))
  # Non-finite floats are floats: they pass as they are.
  assert np.isinf(to_internal(float('inf'), T(np.float32)))
  assert np.isnan(to_internal(float('nan'), T(np.float32)))


def test_strings():
  assert to_internal('abc', T(np.str_)) == 'abc'
  assert to_internal(b'abc', T(np.str_)) == 'abc'
  assert to_python('abc', T(np.str_)) == 'abc'
  with pytest.raises(TypeError, match='expected str'):
    to_internal(3, T(np.str_))


def test_to_python_tensors():
  scalar = to_python(np.array(3, np.int32), T(np.int32))
  assert isinstance(scalar, np.int32) and scalar == 3
  array = to_python(jnp.arange(3, dtype=jnp.int32), T((np.int32, [3])))
  assert isinstance(array, np.ndarray)
  np.testing.assert_array_equal(array, [0, 1, 2])


# Structs.


def test_structs_to_internal_are_tuples():
  t = T({'x': np.float32, 'y': (np.int32, [2])})
  for value in ({'x': 1.0, 'y': [1, 2]}, [1.0, [1, 2]], (1.0, [1, 2]),
                fx.Struct.named(x=1.0, y=[1, 2]),
                collections.OrderedDict(x=1.0, y=[1, 2])):
    internal = to_internal(value, t)
    assert type(internal) is tuple and len(internal) == 2
    assert internal[0] == np.float32(1.0)
    np.testing.assert_array_equal(internal[1], [1, 2])


def test_struct_names_are_checked():
  t = T({'x': np.float32, 'y': np.int32})
  with pytest.raises(TypeError, match="element 1 named 'y'.*named 'z'"):
    to_internal({'x': 1.0, 'z': 2}, t)
  with pytest.raises(TypeError, match="element 0 named 'x'"):
    to_internal(Pair(1.0, 2), t)
  with pytest.raises(TypeError, match="element 0 named 'x'"):
    to_internal(fx.Struct.named(y=2, x=1.0), t)


def test_dicts_are_matched_by_name():
  t = T({'x': np.float32, 'y': np.int32})
  internal = to_internal({'y': 2, 'x': 1.0}, t)
  assert internal[0].dtype == np.float32 and internal[0] == 1.0
  assert internal[1].dtype == np.int32 and internal[1] == 2
  ordered = T(collections.OrderedDict(b=np.int32, a=np.float32))
  assert str(ordered) == '<b=int32,a=float32>'
  internal = to_internal({'a': 0.5, 'b': 3}, ordered)
  assert internal[0] == 3 and internal[1] == 0.5
  result = to_python(internal, ordered)
  assert type(result) is collections.OrderedDict
  assert list(result.items()) == [('b', 3), ('a', 0.5)]
  with pytest.raises(TypeError, match='2 elements, got 1'):
    to_internal({'x': 1.0}, t)
  with pytest.raises(TypeError, match=r'expected <x=float32,y=int32>, got int32'):
    to_internal(3, t)
  with pytest.raises(TypeError, match='expected <str,str>'):
    to_internal('ab', T([np.str_, np.str_]))


def test_struct_error_names_the_element():
  t = T({'x': np.float32, 'y': {'z': (np.int32, [2])}})
  with pytest.raises(TypeError, match=r'argument\.y\.z: expected int32\[2\]'):
    to_internal({'x': 1.0, 'y': {'z': [1, 2.5]}}, t)
  with pytest.raises(TypeError, match=r'argument\[1\]: expected int32'):
    to_internal([1.0, 0.5], T([np.float32, np.int32]))
  with pytest.raises(TypeError, match=r'^params\.x: '):
    to_internal({'x': 'a', 'y': {'z': [1, 2]}}, t, 'params')


@pytest.mark.parametrize('value, spec, container', [
    ({'x': 1.0, 'y': 2}, {'x': np.float32, 'y': np.int32}, dict),
    ([1.0, 2], [np.float32, np.int32], list),
    ((1.0, 2), (np.float32, np.int32), tuple),
    (Point(1.0, 2), Point(np.float32, np.int32), Point),
    (Pair(1.0, 2), Pair(np.float32, np.int32), Pair),
    (collections.OrderedDict(x=1.0, y=2),
     collections.OrderedDict(x=np.float32, y=np.int32),
     collections.OrderedDict),
])
def test_structs_come_back_in_their_containers(value, spec, container):
  result = _round_trip(value, spec)
  assert type(result) is container
  assert result == value


def test_struct_without_container_comes_back_as_struct():
  t = fx.StructType([('a', np.int32), (None, np.float32)])
  result = to_python(to_internal([1, 2.0], t), t)
  assert isinstance(result, fx.Struct)
  assert result.a == 1 and result[1] == np.float32(2.0)
  assert result.names() == ('a', None)


def test_struct_in_another_container_comes_back_in_the_types():
  t = T(Point(np.float32, np.int32))
  result = to_python(to_internal({'x': 1.0, 'y': 2}, t), t)
  assert result == Point(1.0, 2) and type(result) is Point


# Sequences.


def test_sequence_from_list_and_from_stacked_array():
  t = fx.SequenceType(np.int32)
  from_list = to_internal([1, 2, 3], t)
  from_array = to_internal(np.array([1, 2, 3], np.int32), t)
  assert isinstance(from_list, list) and isinstance(from_array, list)
  assert [int(x) for x in from_list] == [1, 2, 3]
  assert [int(x) for x in from_array] == [1, 2, 3]
  assert to_internal([], t) == []
  assert to_internal(np.zeros([0], np.int32), t) == []
  assert [int(x) for x in to_internal(range(3), t)] == [0, 1, 2]
  assert [int(x) for x in to_internal((4, 5), t)] == [4, 5]
  assert to_python(from_list, t) == [1, 2, 3]


def test_sequence_of_vectors_stacked_needs_one_more_dimension():
  t = fx.SequenceType((np.int32, [2]))
  stacked = to_internal(np.array([[1, 2], [3, 4], [5, 6]], np.int32), t)
  assert len(stacked) == 3
  np.testing.assert_array_equal(stacked[2], [5, 6])
  # A tuple of elements is a list of elements, not stacked arrays.
  elements = to_internal((np.array([1, 2], np.int32),
                          np.array([3, 4], np.int32)), t)
  assert len(elements) == 2
  np.testing.assert_array_equal(elements[1], [3, 4])
  # One element is not a sequence of them.
  with pytest.raises(TypeError, match=r'sequence int32\[2\]\*'):
    to_internal(np.array([1, 2], np.int32), t)


def test_sequence_of_structs_list_and_stacked():
  t = fx.SequenceType(T({'x': (np.float32, [2]), 'y': np.int32}))
  elements = [{'x': [1.0, 2.0], 'y': 1}, {'x': [3.0, 4.0], 'y': 2}]
  from_list = to_python(to_internal(elements, t), t)
  stacked = {'x': np.array([[1, 2], [3, 4]], np.float32),
             'y': np.array([1, 2], np.int32)}
  from_stacked = to_python(to_internal(stacked, t), t)
  for result in (from_list, from_stacked):
    assert isinstance(result, list) and len(result) == 2
    assert all(type(e) is dict and list(e) == ['x', 'y'] for e in result)
    np.testing.assert_array_equal(result[1]['x'], [3.0, 4.0])
    assert result[1]['y'] == 2
  unnamed = fx.SequenceType(T([np.float32, np.int32]))
  internal = to_internal((np.zeros(3, np.float32), np.ones(3, np.int32)),
                         unnamed)
  assert len(internal) == 3 and int(internal[0][1]) == 1


def test_sequence_errors_name_the_element():
  t = fx.SequenceType(np.int32)
  with pytest.raises(TypeError, match=r'^data\[1\]: expected int32, got float32'):
    to_internal([1, 2.5], t, 'data')
  with pytest.raises(TypeError, match=r'sequence int32\*'):
    to_internal(3, t)
  with pytest.raises(TypeError, match=r'sequence int32\*'):
    to_internal({'a': 1}, t)
  st = fx.SequenceType(T({'x': np.float32, 'y': np.int32}))
  with pytest.raises(TypeError, match='stacked'):
    to_internal({'x': np.zeros(3, np.float32), 'y': np.zeros(4, np.int32)}, st)


# Federated values.


def test_clients_values_are_lists():
  t = fx.type_at_clients(np.float32)
  internal = to_internal([1.0, 2.0, 3.0], t)
  assert isinstance(internal, list) and len(internal) == 3
  assert to_python(internal, t) == [1.0, 2.0, 3.0]
  assert to_internal([], t) == []
  with pytest.raises(TypeError, match='one value per client'):
    to_internal(1.0, t)
  with pytest.raises(TypeError, match='one value per client'):
    to_internal(np.zeros((), np.float32), t)


def test_clients_values_may_be_stacked_along_a_leading_axis():
  t = fx.type_at_clients(np.float32)
  np.testing.assert_array_equal(to_internal(np.arange(3, dtype=np.float32), t),
                                [0.0, 1.0, 2.0])
  seqs = fx.type_at_clients(fx.SequenceType(
      fx.to_type({'x': (np.float32, [2]), 'y': np.int32})))
  stacked = {'x': np.ones([4, 3, 2], np.float32), 'y': np.zeros([4, 3],
                                                               np.int32)}
  internal = to_internal(stacked, seqs)
  assert len(internal) == 4 and all(len(client) == 3 for client in internal)
  with pytest.raises(TypeError, match='stacked along a leading clients axis'):
    to_internal({'x': np.ones([4, 2], np.float32), 'y': np.zeros([4],
                                                                np.int32)},
                seqs)


def test_server_and_all_equal_clients_values_are_single():
  server = fx.type_at_server((np.int32, [2]))
  np.testing.assert_array_equal(to_internal([1, 2], server), [1, 2])
  np.testing.assert_array_equal(to_python(np.array([1, 2], np.int32), server),
                                [1, 2])
  all_equal = fx.type_at_clients(np.float32, all_equal=True)
  assert to_internal(0.5, all_equal) == np.float32(0.5)
  assert to_python(np.float32(0.5), all_equal) == np.float32(0.5)
  with pytest.raises(TypeError, match='expected int32'):
    to_internal([1], fx.type_at_server(np.int32))


def test_federated_structs_and_sequences():
  t = fx.type_at_clients(fx.SequenceType(T({'a': np.int32})))
  value = [[{'a': 1}, {'a': 2}], [], {'a': np.array([5], np.int32)}]
  result = to_python(to_internal(value, t), t)
  assert result == [[{'a': 1}, {'a': 2}], [], [{'a': 5}]]


def test_cardinality_is_observed():
  t = T({'x': fx.type_at_clients(np.int32),
         'y': fx.type_at_clients(np.int32, all_equal=True),
         'z': fx.type_at_server(np.int32)})
  cardinality = value_conversion.Cardinality()
  to_internal({'x': [1, 2, 3], 'y': 4, 'z': 5}, t, cardinality=cardinality)
  assert cardinality.value == 3
  assert value_conversion.Cardinality().value is None


def test_conflicting_cardinalities_are_value_error():
  t = T({'x': fx.type_at_clients(np.int32), 'y': fx.type_at_clients(np.int32)})
  with pytest.raises(ValueError, match=r'conflicting cardinalities: '
                     r'argument\.x has 2 clients but argument\.y has 3'):
    to_internal({'x': [1, 2], 'y': [1, 2, 3]}, t)
  cardinality = value_conversion.Cardinality()
  cardinality.observe('a', 4)
  cardinality.observe('b', 4)
  with pytest.raises(ValueError, match='conflicting cardinalities'):
    cardinality.observe('c', 5)
  assert cardinality.value == 4


def test_errors_name_the_client():
  t = T({'x': fx.type_at_clients(np.int32), 'y': fx.type_at_clients(np.int32)})
  with pytest.raises(TypeError,
                     match=r'^argument\.x\[client 2\]: expected int32, got float32'):
    to_internal({'x': [1, 2, 3.5], 'y': [1, 2, 3]}, t)
  nested = fx.type_at_clients(T({'w': (np.float32, [2])}))
  with pytest.raises(TypeError, match=r'^data\[client 1\]\.w: expected float32\[2\]'):
    to_internal([{'w': [1.0, 2.0]}, {'w': [1.0]}], nested, 'data')


def test_cardinality_from_a_call():

  @fx.federated_computation(fx.type_at_clients(np.int32),
                            fx.type_at_clients(np.int32))
  def add(a, b):
    return fx.federated_sum(a), fx.federated_sum(b)

  assert add([1, 2], [3, 4]) == (3, 7)
  with pytest.raises(ValueError, match='conflicting cardinalities'):
    add([1, 2], [3, 4, 5])
  with pytest.raises(TypeError, match=r'\[client 1\]'):
    add([1, 2.5], [3, 4])


# Functions.


def test_functions_are_checked_by_type():
  comp = fx.jax_computation(lambda x: x, np.int32)
  assert to_internal(comp, fx.FunctionType(np.int32, np.int32)) is comp
  with pytest.raises(TypeError, match=r'\(float32 -> int32\), got \(int32 -> int32\)'):
    to_internal(comp, fx.FunctionType(np.float32, np.int32))
  with pytest.raises(TypeError, match='expected a computation'):
    to_internal(lambda x: x, fx.FunctionType(np.int32, np.int32))


def test_polymorphic_computations_are_traced_at_the_parameter_type():
  poly = fx.jax_computation(lambda x: x + 1)
  comp = to_internal(poly, fx.FunctionType(np.int32, np.int32))
  assert str(comp.type_signature) == '(int32 -> int32)'
  comp = to_internal(poly, fx.FunctionType((np.float32, [2]),
                                           (np.float32, [2])), 'arg')
  assert str(comp.type_signature) == '(float32[2] -> float32[2])'
  # The result type is checked like that of any computation.
  with pytest.raises(TypeError, match=(
      r'arg: expected a computation of type \(int32 -> float32\), got '
      r'\(int32 -> int32\)')):
    to_internal(poly, fx.FunctionType(np.int32, np.float32), 'arg')
