"""Tests of `fx.jax_computation`: TFF's `tf_computation`, for JAX."""

import collections
import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import federax as fx


class Point(NamedTuple):
  x: object
  y: object


@dataclasses.dataclass
class Pair:
  u: object
  v: object


def _sig(comp) -> str:
  return str(comp.type_signature)


@pytest.fixture
def x64_off():
  """Runs a test with 64-bit JAX off, as JAX starts, and restores it."""
  before = jax.config.jax_enable_x64
  jax.config.update('jax_enable_x64', False)
  yield
  jax.config.update('jax_enable_x64', before)


# Typed computations.


def test_one_spec_per_parameter():

  @fx.jax_computation(np.float32, np.int32)
  def scale(x, n):
    return x * n.astype(jnp.float32)

  assert _sig(scale) == '(<x=float32,n=int32> -> float32)'
  result = scale(1.5, 4)
  assert isinstance(result, np.floating) and result.dtype == np.float32
  assert result == np.float32(6.0)
  assert scale(x=2.0, n=3) == np.float32(6.0)
  assert scale([2.0, 5]) == np.float32(10.0)


def test_single_parameter_tensor():

  @fx.jax_computation((np.int32, [3]))
  def double(x):
    return x * 2

  assert _sig(double) == '(int32[3] -> int32[3])'
  np.testing.assert_array_equal(double([1, 2, 3]), [2, 4, 6])
  np.testing.assert_array_equal(double(np.array([4, 5, 6], np.int32)),
                                [8, 10, 12])


@pytest.mark.parametrize('spec', [
    fx.StructType([('a', np.float32), ('b', np.float32)]),
    {'a': np.float32, 'b': np.float32},
    [('a', np.float32), ('b', np.float32)],
])
def test_one_struct_spec_with_multi_parameter_function(spec):

  @fx.jax_computation(spec)
  def sub(a, b):
    return a - b

  assert _sig(sub) == '(<a=float32,b=float32> -> float32)'
  assert sub(5.0, 2.0) == np.float32(3.0)
  assert sub(b=5.0, a=2.0) == np.float32(-3.0)


def test_struct_spec_names_are_the_types_and_parameters_are_positional():

  @fx.jax_computation(Pair(np.float32, np.float32))
  def sub(a, b):
    return a - b

  assert _sig(sub) == '(<u=float32,v=float32> -> float32)'
  assert sub(5.0, 2.0) == np.float32(3.0)
  assert sub([1.0, 4.0]) == np.float32(-3.0)
  # One struct argument (here a dataclass) is unpacked like a list or dict.
  assert sub(Pair(1.0, 4.0)) == np.float32(-3.0)
  assert sub({'v': 4.0, 'u': 1.0}) == np.float32(-3.0)


def test_one_dataclass_or_named_tuple_argument_fills_the_parameters():

  @fx.jax_computation(np.float32, np.float32)
  def sub(u, v):
    return u - v

  @fx.jax_computation
  def poly_sub(u, v):
    return u - v

  class UV(NamedTuple):
    u: object
    v: object

  for f in (sub, poly_sub):
    assert f(Pair(1.0, 4.0)) == np.float32(-3.0)
    assert f(UV(u=5.0, v=1.0)) == np.float32(4.0)
  assert _sig(poly_sub.concretize(fx.infer_type(Pair(1.0, 4.0)))) == (
      '(<u=float32,v=float32> -> float32)')
  # Named elements must match the parameters, as for a dict.
  with pytest.raises(TypeError, match=r"named 'u'.*named 'x'"):
    sub(Point(x=5.0, y=1.0))


def test_unnamed_struct_spec_with_multi_parameter_function():

  @fx.jax_computation(fx.StructType([np.float32, np.float32]))
  def sub(a, b):
    return a - b

  assert _sig(sub) == '(<float32,float32> -> float32)'
  assert sub(5.0, 2.0) == np.float32(3.0)


def test_wrong_number_of_specs_is_type_error():
  with pytest.raises(TypeError, match='type spec'):
    fx.jax_computation(lambda x, y: x + y, np.float32)
  with pytest.raises(TypeError, match='type spec'):
    fx.jax_computation(lambda: 1, np.float32)


def test_argument_not_assignable_is_type_error():

  @fx.jax_computation((np.float32, [2]))
  def f(x):
    return x

  with pytest.raises(TypeError, match=r'float32\[2\].*float32\[3\]'):
    f(np.zeros([3], np.float32))


# Zero parameters.


def test_zero_parameter_computation():
  calls = []

  @fx.jax_computation
  def make():
    calls.append(1)
    return {'a': jnp.arange(3, dtype=jnp.int32), 'b': jnp.float32(0.5)}

  assert isinstance(make, fx.Computation)
  assert _sig(make) == '( -> <a=int32[3],b=float32>)'
  result = make()
  assert isinstance(result, dict) and list(result) == ['a', 'b']
  np.testing.assert_array_equal(result['a'], [0, 1, 2])
  assert result['b'] == np.float32(0.5)
  with pytest.raises(TypeError, match='takes no arguments'):
    make(1)


def test_zero_parameter_python_scalar_result():
  assert _sig(fx.jax_computation(lambda: 1.0)) == '( -> float32)'
  assert _sig(fx.jax_computation(lambda: 1)) == '( -> int32)'
  assert _sig(fx.jax_computation(lambda: True)) == '( -> bool)'
  assert fx.jax_computation(lambda: 7)() == 7


def test_returning_none_or_a_string_is_type_error():
  with pytest.raises(TypeError, match='must return a value'):
    fx.jax_computation(lambda: None)
  with pytest.raises(TypeError, match='returned str'):
    fx.jax_computation(lambda x: 'abc', np.int32)


# Polymorphic computations.


def test_polymorphic_traced_per_type_and_cached():
  calls = []

  @fx.jax_computation
  def add(x, y):
    calls.append(1)
    return x + y

  assert isinstance(add, fx.PolymorphicComputation)
  assert add(1, 2) == 3
  after_first = len(calls)
  assert after_first >= 1
  assert add(10, 20) == 30
  assert add(np.int32(5), 6) == 11  # Also int32: the same computation.
  assert len(calls) == after_first

  result = add(0.5, 0.25)
  assert result.dtype == np.float32 and result == np.float32(0.75)
  after_float = len(calls)
  assert after_float > after_first
  add(1.5, 2.5)
  assert len(calls) == after_float

  a = np.array([1, 2], np.int32)
  np.testing.assert_array_equal(add(a, a), [2, 4])
  after_array = len(calls)
  assert after_array > after_float
  np.testing.assert_array_equal(add(a + 1, a), [3, 5])
  assert len(calls) == after_array
  np.testing.assert_array_equal(add(np.arange(3, dtype=np.int32),
                                    np.ones(3, np.int32)), [1, 2, 3])
  assert len(calls) > after_array  # A new shape is a new type.

  assert _sig(add.concretize(fx.to_type([np.int32, np.int32]))) == (
      '(<int32,int32> -> int32)')


def test_polymorphic_struct_argument_arrives_in_its_container():
  seen = []

  @fx.jax_computation
  def norm(p):
    seen.append(type(p))
    return p.x * p.x + p.y * p.y

  assert norm(Point(3.0, 4.0)) == np.float32(25.0)
  assert seen and all(t is Point for t in seen)


# Result types and result containers.


def test_result_type_inference_for_tensors():

  @fx.jax_computation((np.float32, [2, 3]))
  def f(x):
    return jnp.sum(x, axis=0)

  assert _sig(f) == '(float32[2,3] -> float32[3])'
  assert _sig(fx.jax_computation(lambda x: x > 0, np.float32)) == (
      '(float32 -> bool)')
  assert _sig(fx.jax_computation(lambda x: x.astype(jnp.int8),
                                 (np.float32, [4]))) == '(float32[4] -> int8[4])'


def test_dict_result_sorts_keys_and_ordered_dict_keeps_key_order():
  # A plain dict is a mapping in sorted key order, as in JAX pytrees; an
  # OrderedDict keeps its order. Values must not pair with the wrong names.

  @fx.jax_computation(np.float32, np.float32)
  def stats(u, v):
    return {'sum': u + v, 'prod': u * v, 'diff': u - v}

  assert _sig(stats) == (
      '(<u=float32,v=float32> -> <diff=float32,prod=float32,sum=float32>)')
  result = stats(5.0, 2.0)
  assert type(result) is dict
  assert list(result) == ['diff', 'prod', 'sum']
  assert result == {'sum': 7.0, 'prod': 10.0, 'diff': 3.0}

  @fx.jax_computation(np.float32, np.float32)
  def ordered_stats(u, v):
    return collections.OrderedDict(
        [('sum', u + v), ('prod', u * v), ('diff', u - v)])

  assert _sig(ordered_stats) == (
      '(<u=float32,v=float32> -> <sum=float32,prod=float32,diff=float32>)')
  result = ordered_stats(5.0, 2.0)
  assert type(result) is collections.OrderedDict
  assert list(result) == ['sum', 'prod', 'diff']
  assert dict(result) == {'sum': 7.0, 'prod': 10.0, 'diff': 3.0}


def test_nested_dict_result():

  @fx.jax_computation
  def nested(x, y):
    return {'s': x + y, 'd': (x - y, {'z': x, 'a': y})}

  assert _sig(nested.concretize(fx.to_type([np.int32, np.int32]))) == (
      '(<int32,int32> -> <d=<int32,<a=int32,z=int32>>,s=int32>)')
  result = nested(5, 3)
  assert result == {'s': 8, 'd': (2, {'z': 5, 'a': 3})}
  assert isinstance(result['d'], tuple)
  assert list(result) == ['d', 's'] and list(result['d'][1]) == ['a', 'z']


def test_tuple_list_and_named_tuple_results():

  @fx.jax_computation(np.int32)
  def as_tuple(x):
    return x, x + 1

  @fx.jax_computation(np.int32)
  def as_list(x):
    return [x, x * 2]

  @fx.jax_computation(np.int32)
  def as_point(x):
    return Point(x=x, y=x * 10)

  assert _sig(as_tuple) == '(int32 -> <int32,int32>)'
  assert _sig(as_point) == '(int32 -> <x=int32,y=int32>)'
  t = as_tuple(1)
  assert type(t) is tuple and t == (1, 2)
  lst = as_list(3)
  assert type(lst) is list and lst == [3, 6]
  p = as_point(2)
  assert type(p) is Point and p == Point(2, 20)


def test_dataclass_result():

  @fx.jax_computation(np.float32)
  def f(x):
    return Pair(u=x, v=-x)

  assert _sig(f) == '(float32 -> <u=float32,v=float32>)'
  assert f(1.5) == Pair(np.float32(1.5), np.float32(-1.5))


# Struct parameters arrive in their containers.


def test_dict_parameter_arrives_as_dict():
  seen = []

  @fx.jax_computation({'x': np.float32, 'y': np.int32})
  def f(s):
    seen.append(type(s))
    return s['x'] * s['y'].astype(jnp.float32)

  assert _sig(f) == '(<x=float32,y=int32> -> float32)'
  assert f({'x': 2.0, 'y': 3}) == np.float32(6.0)
  assert f([2.0, 4]) == np.float32(8.0)
  assert f(fx.Struct.named(x=0.5, y=4)) == np.float32(2.0)
  assert seen and all(t is dict for t in seen)


def test_named_tuple_parameter_arrives_as_named_tuple():
  seen = []

  @fx.jax_computation(Point(np.float32, (np.int32, [2])))
  def swap(p):
    seen.append(type(p))
    return Point(p.y, p.x)

  assert _sig(swap) == '(<x=float32,y=int32[2]> -> <x=int32[2],y=float32>)'
  result = swap(Point(1.0, [1, 2]))
  assert type(result) is Point
  np.testing.assert_array_equal(result.x, [1, 2])
  assert result.y == np.float32(1.0)
  swap({'x': 1.0, 'y': [3, 4]})  # Any container with the right names.
  assert seen and all(t is Point for t in seen)


def test_dataclass_parameter_arrives_as_dataclass():
  seen = []

  @fx.jax_computation(Pair(np.float32, np.float32))
  def f(p):
    seen.append(type(p))
    return p.u / p.v

  assert f(Pair(3.0, 2.0)) == np.float32(1.5)
  assert seen and all(t is Pair for t in seen)


def test_struct_element_names_are_checked():

  @fx.jax_computation({'x': np.float32, 'y': np.int32})
  def f(s):
    return s['x']

  assert f({'y': 3, 'x': 2.0}) == np.float32(2.0)  # Dicts match by name.
  with pytest.raises(TypeError, match="named 'x'"):
    f(fx.Struct.named(y=3, x=2.0))
  with pytest.raises(TypeError, match="named 'y'"):
    f({'x': 2.0, 'z': 3})


# Unknown dimensions.


def test_unknown_dimension_in_parameter():

  @fx.jax_computation((np.float32, [None]))
  def f(x):
    return {'scaled': x * 2, 'total': jnp.sum(x), 'head': x[:1],
            'outer': jnp.outer(x, jnp.ones(3, jnp.float32))}

  assert _sig(f) == ('(float32[?] -> <head=float32[1],outer=float32[?,3],'
                     'scaled=float32[?],total=float32>)')
  for n in (1, 4):
    result = f(np.arange(n, dtype=np.float32))
    np.testing.assert_array_equal(result['scaled'], 2 * np.arange(n))
    assert result['total'] == np.float32(np.arange(n).sum())
    assert result['head'].shape == (1,)
    assert result['outer'].shape == (n, 3)
  with pytest.raises(TypeError, match=r'float32\[\?\]'):
    f(np.zeros([2, 2], np.float32))


def test_unknown_rank_parameter_is_type_error():
  with pytest.raises(TypeError, match='unknown rank'):
    fx.jax_computation(lambda x: x, (np.float32, None))


# Calling one jax_computation from another.


def test_jax_computation_called_inside_another_is_inlined():
  calls = []

  @fx.jax_computation(np.float32)
  def inner(x):
    calls.append(type(x))
    return x + 1

  @fx.jax_computation(np.float32)
  def outer(x):
    return inner(x) * 2

  assert _sig(outer) == '(float32 -> float32)'
  calls.clear()
  assert outer(1.0) == np.float32(4.0)
  # Inlined: the inner function saw tracers, never concrete values.
  assert calls and all(issubclass(t, jax.core.Tracer) for t in calls)
  # The whole outer computation is one jitted function: no inner calls now.
  calls.clear()
  assert outer(2.0) == np.float32(6.0)
  assert not calls


def test_polymorphic_and_struct_computations_inline():

  @fx.jax_computation
  def mul(x, y):
    return x * y

  @fx.jax_computation({'a': np.float32, 'b': np.float32})
  def add_struct(s):
    return s['a'] + s['b']

  @fx.jax_computation(np.float32)
  def outer(x):
    return add_struct({'a': mul(x, x), 'b': x})

  assert outer(3.0) == np.float32(12.0)


def test_computations_called_with_dataclass_of_tracers_inline():
  # JAX treats a dataclass as a leaf: the tracers inside it must still be
  # found, so that the inner computation is inlined, not invoked.
  calls = []

  @fx.jax_computation(Pair(np.float32, np.float32))
  def inner(p):
    calls.append(type(p.u))
    return p.u * p.v + 1

  @fx.jax_computation
  def poly_inner(p):
    return p.u - p.v

  @fx.jax_computation(np.float32)
  def outer(x):
    return inner(Pair(x, np.float32(2.0))) + poly_inner(Pair(x, x * x))

  assert _sig(outer) == '(float32 -> float32)'
  calls.clear()
  assert outer(3.0) == np.float32(3.0 * 2 + 1 + 3 - 9)
  assert calls and all(issubclass(t, jax.core.Tracer) for t in calls)


def test_inner_computation_called_with_constants_or_no_arguments():

  @fx.jax_computation(np.float32, np.float32)
  def sub(a, b):
    return a - b

  @fx.jax_computation
  def two():
    return jnp.float32(2.0)

  @fx.jax_computation(np.float32)
  def outer(x):
    return sub(np.float32(5.0), np.float32(1.0)) * x + two()

  assert outer(3.0) == np.float32(14.0)


# Types JAX cannot compute on.


def test_64_bit_types_need_x64(x64_off):
  for spec in (np.float64, np.int64, np.uint64, np.complex128,
               fx.StructType([np.float32, (np.int64, [2])]),
               fx.SequenceType(np.float64)):
    with pytest.raises(TypeError, match="jax_enable_x64', True"):
      fx.jax_computation(lambda x: x, spec)
  with pytest.raises(TypeError, match='jax_enable_x64'):
    fx.jax_computation(lambda x: x)(2**40)  # An int that needs int64.


def test_64_bit_types_work_with_x64():
  before = jax.config.jax_enable_x64
  jax.config.update('jax_enable_x64', True)
  try:

    @fx.jax_computation(np.int64)
    def big(x):
      return x * 2

    assert _sig(big) == '(int64 -> int64)'
    result = big(2**40)
    assert result.dtype == np.int64 and int(result) == 2**41
    half = fx.jax_computation(lambda x: x / 2, np.float64)(0.1)
    assert half.dtype == np.float64 and half == 0.05
  finally:
    jax.config.update('jax_enable_x64', before)


def test_string_parameters_are_type_errors():
  with pytest.raises(TypeError, match='strings'):
    fx.jax_computation(lambda s: s, np.str_)
  with pytest.raises(TypeError, match='strings'):
    fx.jax_computation(lambda s: s, fx.StructType([np.float32, np.str_]))
  with pytest.raises(TypeError, match='strings'):
    fx.jax_computation(lambda s: s)('abc')


def test_federated_and_function_parameters_are_type_errors():
  with pytest.raises(TypeError, match='FederatedType'):
    fx.jax_computation(lambda x: x, fx.type_at_clients(np.float32))
  with pytest.raises(TypeError, match='FunctionType'):
    fx.jax_computation(lambda f: f, fx.FunctionType(np.int32, np.int32))


# Conversion of arguments.


def test_wrong_dtype_numpy_input_is_type_error_with_cast_hint():

  @fx.jax_computation(np.float32)
  def f(x):
    return x

  with pytest.raises(TypeError,
                     match=r'expected float32, got float64.*astype\(np\.float32'):
    f(np.float64(1.5))
  with pytest.raises(TypeError, match=r'astype\(np\.float32\)'):
    f(np.array(1.5))
  g = fx.jax_computation(lambda x: x, (np.int32, [2]))
  with pytest.raises(TypeError, match=r'int32\[2\], got int64\[2\].*astype'):
    g(np.array([1, 2], np.int64))


def test_python_scalars_are_converted_losslessly():
  as_float = fx.jax_computation(lambda x: x, np.float32)
  as_int = fx.jax_computation(lambda x: x, np.int32)
  as_uint8 = fx.jax_computation(lambda x: x, np.uint8)
  as_bool = fx.jax_computation(lambda x: x, np.bool_)

  result = as_float(3)
  assert result.dtype == np.float32 and result == 3.0
  assert as_float(0.5) == np.float32(0.5)
  assert as_int(-7) == -7 and as_int(-7).dtype == np.int32
  assert as_int(2**31 - 1) == 2**31 - 1
  assert as_uint8(255) == 255
  assert as_bool(True)
  with pytest.raises(TypeError, match='int32'):
    as_int(0.5)
  with pytest.raises(TypeError, match='int32'):
    as_int(2.0)  # A float is never an int, even a whole one.
  with pytest.raises(TypeError, match='int32'):
    as_int(2**31)
  with pytest.raises(TypeError, match='uint8'):
    as_uint8(256)
  with pytest.raises(TypeError, match='uint8'):
    as_uint8(-1)
  with pytest.raises(TypeError, match='float32'):
    as_float(2**24 + 1)  # Not exactly representable in float32.
  with pytest.raises(TypeError, match='float32'):
    as_float(1e300)  # Would overflow to inf.
  with pytest.raises(TypeError, match='bool'):
    as_bool(1)
  with pytest.raises(TypeError, match='int32'):
    as_int(True)
  with pytest.raises(TypeError, match='float32'):
    as_float(1 + 2j)


def test_python_lists_become_tensors():
  f = fx.jax_computation(lambda x: x * 2, (np.float32, [2, 2]))
  np.testing.assert_array_equal(f([[1, 2.5], [3, 4]]), [[2, 5], [6, 8]])
  with pytest.raises(TypeError, match=r'float32\[2,2\]'):
    f([[1, 2], [3]])


# Inside federated computations.


def test_jax_computation_in_federated_map():

  @fx.jax_computation(np.float32)
  def add_one(x):
    return x + 1

  @fx.federated_computation(fx.type_at_clients(np.float32))
  def total(values):
    return fx.federated_sum(fx.federated_map(add_one, values))

  assert _sig(total) == '({float32}@CLIENTS -> float32@SERVER)'
  assert total([1.0, 2.0, 3.0]) == np.float32(9.0)
  assert total([]) == np.float32(0.0)


def test_polymorphic_and_struct_jax_computations_in_federated_map():

  @fx.jax_computation
  def scale(x, w):
    return {'scaled': x * w, 'w': w}

  @fx.federated_computation(fx.type_at_clients(np.float32),
                            fx.type_at_clients(np.float32))
  def weighted(x, w):
    return fx.federated_map(scale, [x, w])

  assert _sig(weighted) == (
      '(<x={float32}@CLIENTS,w={float32}@CLIENTS> -> '
      '{<scaled=float32,w=float32>}@CLIENTS)')
  result = weighted([1.0, 2.0], [3.0, 0.5])
  assert result == [{'scaled': 3.0, 'w': 3.0}, {'scaled': 1.0, 'w': 0.5}]


def test_dict_model_through_tree_map_keeps_its_type():
  # JAX rebuilds dicts with sorted keys (jax.tree.map here); as a plain dict
  # is a sorted-key mapping in federax too, the result type is the parameter
  # type, and the result can be fed back to the same computation.
  model_spec = {'w': (np.float32, [2, 2]), 'b': (np.float32, [2])}

  @fx.jax_computation(model_spec)
  def double(model):
    return jax.tree.map(lambda p: p * 2, model)

  model_type = fx.to_type(model_spec)
  assert str(model_type) == '<b=float32[2],w=float32[2,2]>'
  assert double.type_signature.parameter == model_type
  assert double.type_signature.result == model_type
  assert _sig(double) == (
      '(<b=float32[2],w=float32[2,2]> -> <b=float32[2],w=float32[2,2]>)')

  @fx.federated_computation(fx.type_at_server(model_spec))
  def quadruple(model):
    return fx.federated_map(double, fx.federated_map(double, model))

  assert _sig(quadruple) == (
      '(<b=float32[2],w=float32[2,2]>@SERVER -> '
      '<b=float32[2],w=float32[2,2]>@SERVER)')
  model = {'w': np.arange(4, dtype=np.float32).reshape(2, 2),
           'b': np.array([1.0, -1.0], np.float32)}
  result = quadruple(model)
  assert type(result) is dict and list(result) == ['b', 'w']
  np.testing.assert_array_equal(result['w'], 4 * model['w'])
  np.testing.assert_array_equal(result['b'], 4 * model['b'])

  @fx.federated_computation(fx.type_at_clients(model_spec))
  def on_clients(models):
    return fx.federated_map(double, fx.federated_map(double, models))

  assert _sig(on_clients) == (
      '({<b=float32[2],w=float32[2,2]>}@CLIENTS -> '
      '{<b=float32[2],w=float32[2,2]>}@CLIENTS)')
  results = on_clients([model, jax.tree.map(lambda p: -p, model)])
  assert len(results) == 2
  for r, sign in zip(results, (1, -1)):
    assert type(r) is dict and list(r) == ['b', 'w']
    np.testing.assert_array_equal(r['w'], sign * 4 * model['w'])
    np.testing.assert_array_equal(r['b'], sign * 4 * model['b'])


def test_jax_computation_at_server():

  @fx.jax_computation((np.int32, [2]))
  def flip(x):
    return x[::-1]

  @fx.federated_computation(fx.type_at_server((np.int32, [2])))
  def run(x):
    return fx.federated_map(flip, x)

  assert _sig(run) == '(int32[2]@SERVER -> int32[2]@SERVER)'
  np.testing.assert_array_equal(run([1, 2]), [2, 1])


def test_local_computation_on_placed_value_is_type_error():

  @fx.jax_computation(np.float32)
  def add_one(x):
    return x + 1

  with pytest.raises(TypeError, match='federated_map'):

    @fx.federated_computation(fx.type_at_clients(np.float32))
    def bad(values):
      return add_one(values)
