"""Tests of `fx.to_type` (type specs) and `fx.infer_type` (Python values)."""

import collections
import dataclasses
import typing

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
import pytest

import federax as fx
from federax.core.types import (FederatedType, FunctionType, SequenceType,
                                StructType, TensorType)


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


# -- to_type ------------------------------------------------------------------


@pytest.mark.parametrize('spec, expected', [
    (np.int32, 'int32'), (np.float32, 'float32'), (np.bool_, 'bool'),
    (np.uint64, 'uint64'), (np.complex128, 'complex128'), (np.str_, 'str'),
    (np.dtype('int16'), 'int16'), (np.dtype('<U3'), 'str'),
    (ml_dtypes.bfloat16, 'bfloat16'), (jnp.float16, 'float16'),
    (jnp.bfloat16, 'bfloat16'),
])
def test_to_type_numpy_and_jax_dtypes(spec, expected):
  t = fx.to_type(spec)
  assert isinstance(t, TensorType)
  assert str(t) == expected and t.shape == ()


@pytest.mark.parametrize('name', [
    'bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32',
    'uint64', 'float16', 'float32', 'float64', 'bfloat16', 'complex64',
    'complex128', 'str',
])
def test_to_type_dtype_names(name):
  assert str(fx.to_type(name)) == name
  assert fx.to_type(name) == TensorType(name)


@pytest.mark.parametrize('spec, expected', [
    (bool, 'bool'), (int, 'int32'), (float, 'float32'), (str, 'str'),
    (complex, 'complex64'), (bytes, 'str'),
])
def test_to_type_python_types(spec, expected):
  assert str(fx.to_type(spec)) == expected


@pytest.mark.parametrize('spec, expected', [
    ((np.float32, [10]), 'float32[10]'),
    ((np.float32, (None, 10)), 'float32[?,10]'),
    ((np.float32, []), 'float32'),
    ((np.float32, ()), 'float32'),
    ((np.float32, None), 'float32[*]'),
    (('int32', [2, 3]), 'int32[2,3]'),
    ((int, [4]), 'int32[4]'),
    ((np.dtype('uint8'), [np.int64(2)]), 'uint8[2]'),
])
def test_to_type_dtype_shape_pairs(spec, expected):
  t = fx.to_type(spec)
  assert isinstance(t, TensorType)
  assert str(t) == expected


def test_to_type_passes_types_and_none_through():
  t = fx.type_at_clients(np.int32)
  assert fx.to_type(t) is t
  assert fx.to_type(None) is None


def test_to_type_shape_dtype_objects():
  assert fx.to_type(jax.ShapeDtypeStruct((2, 3), jnp.float32)) == TensorType(
      np.float32, [2, 3])
  assert fx.to_type(np.zeros([4], np.int8)) == TensorType(np.int8, [4])


def test_to_type_nested_lists_tuples_dicts():
  t = fx.to_type([np.int32, (np.float32, [2]), {'a': np.bool_,
                                                'b': (np.int32, np.int32)}])
  assert str(t) == '<int32,float32[2],<a=bool,b=<int32,int32>>>'
  assert t.container_type is list
  assert t[2].container_type is dict
  assert t[2].b.container_type is tuple
  # A tuple of two specs that are not (dtype, shape) is a struct.
  pair = fx.to_type((np.int32, np.bool_))
  assert isinstance(pair, StructType) and str(pair) == '<int32,bool>'
  assert pair.container_type is tuple
  assert str(fx.to_type([])) == '<>' and fx.to_type([]).container_type is list
  assert str(fx.to_type({})) == '<>' and fx.to_type({}).container_type is dict


def test_to_type_dict_sorts_keys_and_ordered_dict_keeps_key_order():
  t = fx.to_type({'z': np.int32, 'a': np.bool_, 'm': np.float32})
  assert str(t) == '<a=bool,m=float32,z=int32>'
  assert t.names() == ('a', 'm', 'z')
  assert t.container_type is dict
  t = fx.to_type(collections.OrderedDict(
      [('z', np.int32), ('a', np.bool_), ('m', np.float32)]))
  assert str(t) == '<z=int32,a=bool,m=float32>'
  assert t.names() == ('z', 'a', 'm')
  assert t.container_type is collections.OrderedDict


def test_to_type_ordered_dict():
  spec = collections.OrderedDict([('b', np.int32), ('a', (np.float32, [2]))])
  t = fx.to_type(spec)
  assert str(t) == '<b=int32,a=float32[2]>'
  assert t.container_type is collections.OrderedDict


def test_to_type_named_tuple_instance():
  t = fx.to_type(Point(x=np.float32, y=(np.int32, [3])))
  assert str(t) == '<x=float32,y=int32[3]>'
  assert t.container_type is Point


def test_to_type_dataclass_instance():
  t = fx.to_type(Batch(x=(np.float32, [None, 784]), y=np.int32))
  assert str(t) == '<x=float32[?,784],y=int32>'
  assert t.container_type is Batch
  t = fx.to_type(Frozen(a=[np.int32]))
  assert str(t) == '<a=<int32>>' and t.container_type is Frozen


def test_to_type_attrs_instance():
  attrs = pytest.importorskip('attrs')

  @attrs.frozen
  class A:
    x: typing.Any
    y: typing.Any

  t = fx.to_type(A(x=np.int32, y=np.bool_))
  assert str(t) == '<x=int32,y=bool>' and t.container_type is A


def test_to_type_struct_value():
  t = fx.to_type(fx.Struct([('a', np.int32), (None, np.bool_)]))
  assert str(t) == '<a=int32,bool>' and t.container_type is None


def test_to_type_list_of_name_spec_pairs():
  t = fx.to_type([('a', np.int32), ('b', (np.float32, [2]))])
  assert str(t) == '<a=int32,b=float32[2]>'
  # As in TFF, a list of (name, spec) pairs is a plain struct.
  assert t.container_type is None
  t = fx.to_type((('a', np.int32), ('b', np.bool_)))
  assert str(t) == '<a=int32,b=bool>' and t.container_type is None
  mixed = fx.to_type([('a', np.int32), np.bool_])
  assert str(mixed) == '<a=int32,bool>'


def test_to_type_list_of_dtype_shape_pairs_is_unnamed():
  t = fx.to_type([('float32', [2]), ('int32', [3])])
  assert str(t) == '<float32[2],int32[3]>'
  assert not t.has_names()
  assert t.container_type is list
  assert fx.to_type([(np.float32, [2])]).container_type is list


def test_to_type_container_nested_in_types():
  t = fx.SequenceType(Point(np.int32, np.int32))
  assert t.element.container_type is Point
  t = fx.type_at_clients({'w': (np.float32, [2])})
  assert t.member.container_type is dict


@pytest.mark.parametrize('spec, match', [
    ('nope', r"to_type: cannot interpret 'nope' \(of Python type str\)"),
    (3, r'to_type: cannot interpret 3 \(of Python type int\)'),
    (object(), r'to_type: cannot interpret <object object'),
    (object, r"to_type: cannot interpret <class 'object'>"),
    ([np.int32, 'nope'], r"to_type: cannot interpret 'nope'"),
    ({'a': [np.int32, 2.5]}, r'to_type: cannot interpret 2.5'),
    (Point(np.int32, 'bad'), r"to_type: cannot interpret 'bad'"),
    ({1: np.int32}, r'dict keys of a struct must be str, got 1'),
    (fx.CLIENTS, r'to_type: got the placement CLIENTS, which is a value'),
    (np.datetime64, r'to_type: cannot interpret'),
])
def test_to_type_errors_name_the_bad_spec(spec, match):
  with pytest.raises(TypeError, match=match):
    fx.to_type(spec)


@pytest.mark.parametrize('cls', [Batch, Point])
def test_to_type_of_a_class_asks_for_an_instance(cls):
  with pytest.raises(TypeError, match=rf'to_type: got the class {cls.__name__}'
                     r'; pass an instance'):
    fx.to_type(cls)


def test_to_type_bad_shape():
  with pytest.raises(TypeError, match=r'shape: each dimension'):
    fx.to_type((np.int32, [-3]))


# -- infer_type ---------------------------------------------------------------


@pytest.mark.parametrize('value, expected', [
    (10, 'int32'), (-10, 'int32'), (0, 'int32'),
    (2**31 - 1, 'int32'), (-2**31, 'int32'),
    (2**31, 'int64'), (-2**31 - 1, 'int64'), (2**40, 'int64'),
    (2**63 - 1, 'int64'), (-2**63, 'int64'),
    (0.5, 'float32'), (1e300, 'float32'),
    (True, 'bool'), (False, 'bool'),
    ('abc', 'str'), ('', 'str'), (b'abc', 'str'),
    (1j, 'complex64'),
])
def test_infer_type_python_scalars(value, expected):
  t = fx.infer_type(value)
  assert isinstance(t, TensorType)
  assert str(t) == expected


@pytest.mark.parametrize('value', [2**70, 2**63, -2**63 - 1])
def test_infer_type_int_too_large(value):
  with pytest.raises(ValueError, match=rf'infer_type: the integer {value} '
                     r'does not fit in int64'):
    fx.infer_type(value)


@pytest.mark.parametrize('value, expected', [
    (np.float64(0.5), 'float64'),  # A subclass of Python's float.
    (np.float32(0.5), 'float32'),
    (np.int64(3), 'int64'),
    (np.int8(3), 'int8'),
    (np.uint16(3), 'uint16'),
    (np.bool_(True), 'bool'),
    (np.complex128(1j), 'complex128'),  # A subclass of Python's complex.
    (np.str_('x'), 'str'),
    (ml_dtypes.bfloat16(1.0), 'bfloat16'),
])
def test_infer_type_numpy_scalars_keep_dtype(value, expected):
  assert str(fx.infer_type(value)) == expected


@pytest.mark.parametrize('value, expected', [
    (np.zeros([2, 3], np.float64), 'float64[2,3]'),
    (np.zeros([0], np.int16), 'int16[0]'),
    (np.array(3, np.uint8), 'uint8'),
    (np.array([True]), 'bool[1]'),
    (np.array(['a', 'bcd']), 'str[2]'),
    (np.zeros([2], np.dtype('>f4')), 'float32[2]'),
])
def test_infer_type_numpy_arrays_keep_dtype_and_shape(value, expected):
  assert str(fx.infer_type(value)) == expected


def test_infer_type_jax_arrays():
  assert str(fx.infer_type(jnp.zeros([4, 2], jnp.float32))) == 'float32[4,2]'
  assert str(fx.infer_type(jnp.ones([3], jnp.bfloat16))) == 'bfloat16[3]'
  assert str(fx.infer_type(jnp.int32(1))) == 'int32'


def test_infer_type_lists_and_tuples_are_unnamed_structs():
  t = fx.infer_type([1, 0.5, True])
  assert str(t) == '<int32,float32,bool>' and t.container_type is list
  t = fx.infer_type((1, 'a'))
  assert str(t) == '<int32,str>' and t.container_type is tuple
  assert not t.has_names()
  t = fx.infer_type([])
  assert str(t) == '<>' and t.container_type is list


def test_infer_type_dicts_are_named_structs_in_sorted_key_order():
  t = fx.infer_type({'b': 1, 'a': 0.5})
  assert str(t) == '<a=float32,b=int32>' and t.container_type is dict
  t = fx.infer_type(collections.OrderedDict([('z', True), ('y', 'q')]))
  assert str(t) == '<z=bool,y=str>'
  assert t.container_type is collections.OrderedDict


def test_infer_type_named_tuple_and_dataclass():
  t = fx.infer_type(Point(x=1, y=np.zeros([2], np.float32)))
  assert str(t) == '<x=int32,y=float32[2]>' and t.container_type is Point
  t = fx.infer_type(Batch(x=np.zeros([5, 3], np.float32), y=[1, 2]))
  assert str(t) == '<x=float32[5,3],y=<int32,int32>>'
  assert t.container_type is Batch and t.y.container_type is list


def test_infer_type_struct_value():
  t = fx.infer_type(fx.Struct([('a', 1), (None, 0.5)]))
  assert str(t) == '<a=int32,float32>' and t.container_type is None


def test_infer_type_nested():
  value = {'a': 10, 'b': [0.5, True], 'c': (np.zeros([2], np.int64),
                                           {'d': 'x'})}
  t = fx.infer_type(value)
  assert str(t) == '<a=int32,b=<float32,bool>,c=<int64[2],<d=str>>>'
  assert t.b.container_type is list and t.c.container_type is tuple
  assert t.c[1].container_type is dict


def test_infer_type_placements():
  assert fx.infer_type(fx.CLIENTS) == fx.PlacementType()
  assert fx.infer_type(fx.SERVER) == fx.PlacementType()
  assert str(fx.infer_type([fx.SERVER, 1])) == '<placement,int32>'


def test_infer_type_none():
  assert fx.infer_type(None) is None


def test_infer_type_uses_type_signature():

  class HasType:
    type_signature = fx.type_at_clients(np.int32)

  assert fx.infer_type(HasType()) == fx.type_at_clients(np.int32)


def test_infer_type_agrees_with_to_type_of_the_arrays():
  value = {'w': np.zeros([2, 3], np.float32), 'b': np.zeros([3], np.float32)}
  assert fx.infer_type(value) == fx.to_type(
      {'w': (np.float32, [2, 3]), 'b': (np.float32, [3])})


@pytest.mark.parametrize('value, match', [
    (object(), r'infer_type: cannot infer a federax type for <object object'),
    (int, r"infer_type: cannot infer a federax type for <class 'int'>"),
    (Batch, r'infer_type: cannot infer .*of Python type type'),
    ([1, object()], r'infer_type: cannot infer .*of Python type object'),
    ({'a': {1, 2}}, r'infer_type: cannot infer .*of Python type set'),
    (lambda x: x, r'infer_type: cannot infer .*of Python type function'),
])
def test_infer_type_unsupported_is_type_error(value, match):
  with pytest.raises(TypeError, match=match):
    fx.infer_type(value)


def test_infer_type_unsupported_array_dtype():
  with pytest.raises(TypeError, match=r'dtype: unsupported dtype datetime64'):
    fx.infer_type(np.zeros([2], 'datetime64[s]'))


def test_infer_type_dict_with_non_string_keys():
  with pytest.raises(TypeError, match=r'dict keys of a struct must be str, '
                     r'got 1 of type int'):
    fx.infer_type({1: 2})


def test_types_built_from_specs_are_the_inferred_types():
  assert fx.infer_type(1) == fx.to_type(int) == TensorType(np.int32)
  assert fx.infer_type(0.5) == fx.to_type(float) == TensorType(np.float32)
  assert fx.infer_type('a') == fx.to_type(str) == TensorType(np.str_)
  assert isinstance(fx.to_type(FunctionType(None, np.int32)), FunctionType)
  assert isinstance(fx.to_type(SequenceType(np.int32)), SequenceType)
  assert isinstance(fx.to_type(fx.type_at_server(np.int32)), FederatedType)
