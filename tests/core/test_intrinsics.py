"""Federated intrinsics: type signatures, results on the interpreter, misuse.

One group of tests per row of the intrinsics table in SEMANTICS.md.
"""

import collections
import re
import typing

import numpy as np
import pytest

import federax as fx
from federax.backends.interpreter import intrinsic_impls

C, S = fx.CLIENTS, fx.SERVER
at_c, at_s = fx.type_at_clients, fx.type_at_server
fc = fx.federated_computation


def sig(comp):
  return str(comp.type_signature)


def msg(*parts):
  """A `match=` pattern for a message holding each part, in order."""
  return '.*'.join(re.escape(p) for p in parts)


def with_clients(n):
  return fx.backends.interpreter.interpreter_context(default_num_clients=n)


class Pair(typing.NamedTuple):
  total: typing.Any
  count: typing.Any


# Local computations used below.

@fx.jax_computation(np.int32)
def inc(x):
  return x + 1


@fx.jax_computation(np.float32)
def double(x):
  return x * 2


@fx.jax_computation(np.int32, np.float32)
def add_int_float(a, b):
  return a.astype(np.float32) + b


@fx.jax_computation(np.float32)
def stats(x):
  return {'x': x, 'sq': x * x}


@fx.jax_computation
def one_float():
  return np.float32(1.5)


# The registry: every intrinsic has an interpreter rule.

def test_every_intrinsic_has_an_interpreter_rule():
  uris = {d.uri for d in fx.framework.intrinsic_defs.all_defs()}
  assert uris == set(intrinsic_impls.IMPLS)


# federated_broadcast

def test_broadcast_signature_and_result():
  @fc(at_s(np.int32))
  def bcast(x):
    return fx.federated_broadcast(x)

  assert sig(bcast) == '(int32@SERVER -> int32@CLIENTS)'
  assert str(bcast.building_block) == '(x -> federated_broadcast(x))'
  assert bcast(5) == 5


def test_broadcast_reaches_every_client():
  @fc(at_s(np.float32), at_c(np.float32))
  def shift(s, c):
    return fx.federated_map(fx.jax_computation(
        lambda a, b: a + b, np.float32, np.float32),
                            [fx.federated_broadcast(s), c])

  assert sig(shift) == (
      '(<s=float32@SERVER,c={float32}@CLIENTS> -> {float32}@CLIENTS)')
  assert shift(10.0, [1.0, 2.0, 3.0]) == [11.0, 12.0, 13.0]


def test_broadcast_then_sum_counts_the_clients():
  @fc(at_s(np.int32))
  def count_times(x):
    return fx.federated_sum(fx.federated_broadcast(x))

  with with_clients(4):
    assert count_times(3) == 12


def test_broadcast_of_a_clients_value_is_a_type_error():
  with pytest.raises(TypeError, match=msg(
      'federated_broadcast(value)', 'T@SERVER', '{int32}@CLIENTS',
      'federated_sum')):
    fc(lambda x: fx.federated_broadcast(x), at_c(np.int32))


def test_broadcast_of_an_unplaced_value_is_a_type_error():
  with pytest.raises(TypeError, match=msg(
      'federated_broadcast(value)', 'T@SERVER', 'got int32',
      'federated_value')):
    fc(lambda x: fx.federated_broadcast(x), np.int32)


# federated_map

def test_map_at_clients():
  @fc(at_c(np.int32))
  def add_one(x):
    return fx.federated_map(inc, x)

  assert sig(add_one) == '({int32}@CLIENTS -> {int32}@CLIENTS)'
  assert str(add_one.building_block) == (
      '(x -> federated_map(<comp#inc,x>))')
  assert add_one([1, 2, 3]) == [2, 3, 4]
  assert add_one([]) == []


def test_map_of_an_all_equal_value_is_all_equal():
  @fc(at_c(np.int32, all_equal=True))
  def add_one(x):
    return fx.federated_map(inc, x)

  assert sig(add_one) == '(int32@CLIENTS -> int32@CLIENTS)'
  assert 'federated_map_all_equal' in str(add_one.building_block)
  assert add_one(3) == 4


def test_map_of_a_broadcast_value_is_all_equal_and_expands_per_client():
  @fc(at_s(np.int32))
  def total(x):
    y = fx.federated_map(inc, fx.federated_broadcast(x))
    assert str(y.type_signature) == 'int32@CLIENTS'
    return fx.federated_sum(y)

  with with_clients(3):
    assert total(1) == 6


def test_map_at_server_is_apply():
  @fc(at_s(np.int32))
  def add_one(x):
    return fx.federated_map(inc, x)

  assert sig(add_one) == '(int32@SERVER -> int32@SERVER)'
  assert str(add_one.building_block) == (
      '(x -> federated_apply(<comp#inc,x>))')
  assert add_one(41) == 42


def test_apply():
  @fc(at_s(np.float32))
  def twice(x):
    return fx.federated_apply(double, x)

  assert sig(twice) == '(float32@SERVER -> float32@SERVER)'
  assert twice(1.25) == 2.5


def test_apply_of_a_clients_value_is_a_type_error():
  with pytest.raises(TypeError, match=msg(
      'federated_apply(arg)', 'T@SERVER', '{float32}@CLIENTS')):
    fc(lambda x: fx.federated_apply(double, x), at_c(np.float32))


def test_map_zips_a_list_of_clients_values():
  @fc(at_c(np.int32), at_c(np.float32))
  def add(a, b):
    return fx.federated_map(add_int_float, [a, b])

  assert sig(add) == (
      '(<a={int32}@CLIENTS,b={float32}@CLIENTS> -> {float32}@CLIENTS)')
  assert 'federated_zip_at_clients' in str(add.building_block)
  assert add([1, 2, 3], [0.5, 0.25, 0.0]) == [1.5, 2.25, 3.0]


def test_map_zips_a_dict_of_clients_values_by_name():
  @fc(at_c(np.int32), at_c(np.float32))
  def add(a, b):
    return fx.federated_map(add_int_float, {'a': a, 'b': b})

  assert add([1, 2], [0.5, 0.5]) == [1.5, 2.5]

  with pytest.raises(TypeError, match=msg(
      'federated_map(fn)', '<a=float32,b=int32>',
      '(<a=int32,b=float32> -> float32)')):
    fc(lambda a, b: fx.federated_map(add_int_float, {'b': a, 'a': b}),
       at_c(np.int32), at_c(np.float32))


def test_map_zips_a_list_of_server_values_and_applies():
  @fc(at_s(np.int32), at_s(np.float32))
  def add(a, b):
    return fx.federated_map(add_int_float, (a, b))

  assert sig(add) == (
      '(<a=int32@SERVER,b=float32@SERVER> -> float32@SERVER)')
  assert 'federated_zip_at_server' in str(add.building_block)
  assert 'federated_apply' in str(add.building_block)
  assert add(2, 0.5) == 2.5


def test_map_zips_a_struct_parameter_of_placed_values():
  @fc(fx.StructType([('a', at_c(np.int32)), ('b', at_c(np.float32))]))
  def add(p):
    return fx.federated_map(add_int_float, p)

  assert sig(add) == (
      '(<a={int32}@CLIENTS,b={float32}@CLIENTS> -> {float32}@CLIENTS)')
  assert add({'a': [1, 2], 'b': [1.0, 2.0]}) == [2.0, 4.0]


def test_map_with_a_python_lambda():
  @fc(at_c(np.float32))
  def twice(x):
    return fx.federated_map(lambda v: double(v), x)

  assert sig(twice) == '({float32}@CLIENTS -> {float32}@CLIENTS)'
  assert str(twice.building_block) == (
      '(x -> federated_map(<(v -> comp#double(v)),x>))')
  assert twice([1.0, 2.5]) == [2.0, 5.0]


def test_map_with_a_two_parameter_python_lambda_over_a_zipped_list():
  @fc(at_c(np.int32), at_c(np.float32))
  def add(a, b):
    return fx.federated_map(lambda x, y: add_int_float(x, y), [a, b])

  assert sig(add) == (
      '(<a={int32}@CLIENTS,b={float32}@CLIENTS> -> {float32}@CLIENTS)')
  assert add([1, 2], [0.5, 1.5]) == [1.5, 3.5]


def test_map_with_a_polymorphic_jax_computation():
  @fx.jax_computation
  def triple(x):
    return x * 3

  @fc(at_c(np.int32))
  def f(x):
    return fx.federated_map(triple, x)

  assert sig(f) == '({int32}@CLIENTS -> {int32}@CLIENTS)'
  assert f([1, 2]) == [3, 6]


def test_map_keeps_the_result_container():
  @fc(at_c(np.float32))
  def f(x):
    return fx.federated_map(stats, x)

  assert sig(f) == '({float32}@CLIENTS -> {<sq=float32,x=float32>}@CLIENTS)'
  out = f([2.0, 3.0])
  assert out == [{'x': 2.0, 'sq': 4.0}, {'x': 3.0, 'sq': 9.0}]
  assert all(type(o) is dict and list(o) == ['sq', 'x'] for o in out)


def test_map_keeps_a_named_tuple_container():
  @fx.jax_computation(np.float32)
  def to_pair(x):
    return Pair(x, np.int32(1))

  @fc(at_c(np.float32))
  def f(x):
    return fx.federated_map(to_pair, x)

  assert sig(f) == '({float32}@CLIENTS -> {<total=float32,count=int32>}@CLIENTS)'
  assert f([2.0]) == [Pair(2.0, 1)]
  assert type(f([2.0])[0]) is Pair


def test_map_with_a_function_that_does_not_accept_the_member_type():
  with pytest.raises(TypeError, match=msg(
      'federated_map(fn)', 'accepts float32', '(int32 -> int32)')):
    fc(lambda x: fx.federated_map(inc, x), at_c(np.float32))


def test_map_of_an_unplaced_value_is_a_type_error():
  with pytest.raises(TypeError, match=msg(
      'federated_map(arg)', 'T@P', 'got int32', 'federated_value')):
    fc(lambda x: fx.federated_map(inc, x), np.int32)


def test_map_zipping_values_at_different_placements_is_a_type_error():
  with pytest.raises(TypeError, match=msg(
      'federated_map(arg)', 'CLIENTS', '<{int32}@CLIENTS,float32@SERVER>')):
    fc(lambda a, b: fx.federated_map(add_int_float, [a, b]),
       at_c(np.int32), at_s(np.float32))


def test_map_with_something_not_a_function_is_a_type_error():
  with pytest.raises(TypeError, match=msg('federated_map(fn)', '3')):
    fc(lambda x: fx.federated_map(3, x), at_c(np.int32))


# federated_eval

def test_eval_at_both_placements():
  @fc
  def ev():
    return fx.federated_eval(one_float, C), fx.federated_eval(one_float, S)

  assert sig(ev) == '( -> <{float32}@CLIENTS,float32@SERVER>)'
  assert 'federated_eval_at_clients' in str(ev.building_block)
  assert 'federated_eval_at_server' in str(ev.building_block)
  with with_clients(3):
    assert ev() == ([1.5, 1.5, 1.5], 1.5)
  assert ev() == ([], 1.5)


def test_eval_of_a_python_lambda():
  @fc
  def ev():
    return fx.federated_eval(lambda: 7, S)

  assert sig(ev) == '( -> int32@SERVER)'
  assert ev() == 7


def test_eval_with_a_bad_placement_is_a_type_error():
  with pytest.raises(TypeError, match=msg(
      'federated_eval(placement)', 'fx.CLIENTS or fx.SERVER', "'clients'")):
    fc(lambda: fx.federated_eval(one_float, 'clients'))


def test_eval_of_a_function_with_a_parameter_is_a_type_error():
  with pytest.raises(TypeError, match=msg(
      'federated_eval(fn)', 'no argument', '(int32 -> int32)')):
    fc(lambda: fx.federated_eval(inc, C))


# federated_value

def test_value_at_both_placements():
  @fc
  def place():
    return (fx.federated_value(3, C),
            fx.federated_value({'a': 1.0, 'b': 2}, S))

  assert sig(place) == '( -> <int32@CLIENTS,<a=float32,b=int32>@SERVER>)'
  at_clients, at_server = place()
  assert at_clients == 3
  assert at_server == {'a': 1.0, 'b': 2}
  assert type(at_server) is dict


def test_value_at_clients_is_seen_by_every_client():
  @fc
  def count():
    return fx.federated_sum(fx.federated_value(1, C))

  assert sig(count) == '( -> int32@SERVER)'
  with with_clients(5):
    assert count() == 5


def test_value_of_a_traced_unplaced_parameter():
  @fc(np.float32)
  def place(x):
    return fx.federated_value(x, S)

  assert sig(place) == '(float32 -> float32@SERVER)'
  assert place(2.5) == 2.5


def test_value_of_a_placed_value_is_a_type_error():
  with pytest.raises(TypeError, match=msg(
      'federated_value(value)', 'unplaced', 'int32@SERVER',
      'federated_broadcast')):
    fc(lambda x: fx.federated_value(x, C), at_s(np.int32))


def test_value_with_a_bad_placement_is_a_type_error():
  with pytest.raises(TypeError, match=msg('federated_value(placement)')):
    fc(lambda: fx.federated_value(1, 'server'))


# federated_zip

def test_zip_at_clients_keeps_names():
  @fc(at_c(np.int32), at_c(np.float32))
  def z(a, b):
    return fx.federated_zip({'a': a, 'b': b})

  assert sig(z) == (
      '(<a={int32}@CLIENTS,b={float32}@CLIENTS> -> '
      '{<a=int32,b=float32>}@CLIENTS)')
  out = z([1, 2], [0.5, 0.25])
  assert out == [{'a': 1, 'b': 0.5}, {'a': 2, 'b': 0.25}]
  assert all(type(o) is dict for o in out)


def test_zip_of_a_named_struct_parameter_keeps_names():
  @fc(fx.StructType([('x', at_c(np.int32)), ('y', at_c(np.int32))]))
  def z(p):
    return fx.federated_zip(p)

  assert sig(z) == (
      '(<x={int32}@CLIENTS,y={int32}@CLIENTS> -> {<x=int32,y=int32>}@CLIENTS)')
  assert [(s.x, s.y) for s in z({'x': [1, 2], 'y': [3, 4]})] == [(1, 3),
                                                                   (2, 4)]


def test_zip_at_server():
  @fc(at_s(np.int32), at_s(np.float32))
  def z(a, b):
    return fx.federated_zip(collections.OrderedDict(a=a, b=b))

  assert sig(z) == (
      '(<a=int32@SERVER,b=float32@SERVER> -> <a=int32,b=float32>@SERVER)')
  out = z(1, 0.5)
  assert out == collections.OrderedDict(a=1, b=0.5)
  assert type(out) is collections.OrderedDict


def test_zip_of_an_unnamed_list():
  @fc(at_c(np.int32), at_c(np.int32))
  def z(a, b):
    return fx.federated_zip([a, b])

  assert sig(z) == (
      '(<a={int32}@CLIENTS,b={int32}@CLIENTS> -> {<int32,int32>}@CLIENTS)')
  assert z([1, 2, 3], [4, 5, 6]) == [[1, 4], [2, 5], [3, 6]]
  assert z([], []) == []


def test_zip_of_a_named_tuple():
  @fc(at_c(np.float32), at_c(np.int32))
  def z(a, b):
    return fx.federated_zip(Pair(a, b))

  assert sig(z) == (
      '(<a={float32}@CLIENTS,b={int32}@CLIENTS> -> '
      '{<total=float32,count=int32>}@CLIENTS)')
  assert z([1.0], [2]) == [Pair(1.0, 2)]
  assert type(z([1.0], [2])[0]) is Pair


def test_zip_of_nested_structs():
  @fc(at_c(np.int32), at_c(np.float32), at_c(np.int32))
  def z(a, b, c):
    return fx.federated_zip({'x': a, 'y': [b, c]})

  assert sig(z) == (
      '(<a={int32}@CLIENTS,b={float32}@CLIENTS,c={int32}@CLIENTS> -> '
      '{<x=int32,y=<float32,int32>>}@CLIENTS)')
  assert z([1, 2], [0.5, 0.25], [3, 4]) == [{'x': 1, 'y': [0.5, 3]},
                                             {'x': 2, 'y': [0.25, 4]}]


def test_zip_of_an_all_equal_and_a_per_client_value():
  @fc(at_s(np.int32), at_c(np.int32))
  def z(s, c):
    return fx.federated_zip([fx.federated_broadcast(s), c])

  assert sig(z) == (
      '(<s=int32@SERVER,c={int32}@CLIENTS> -> {<int32,int32>}@CLIENTS)')
  assert z(9, [1, 2]) == [[9, 1], [9, 2]]


def test_zip_of_values_at_different_placements_is_a_type_error():
  with pytest.raises(TypeError, match=msg(
      'federated_zip(value)', 'all values at CLIENTS',
      '<{int32}@CLIENTS,int32@SERVER>')):
    fc(lambda a, b: fx.federated_zip([a, b]), at_c(np.int32), at_s(np.int32))


def test_zip_of_an_unplaced_element_is_a_type_error():
  with pytest.raises(TypeError, match=msg(
      'federated_zip(value)', '<a={int32}@CLIENTS,b=int32>',
      'Element b of type int32 is not placed')):
    fc(lambda a, b: fx.federated_zip({'a': a, 'b': b}), at_c(np.int32),
       np.int32)
  with pytest.raises(TypeError, match=msg(
      'federated_zip(value)', '<{int32}@CLIENTS,int32>',
      'Element 1 of type int32 is not placed')):
    fc(lambda a, b: fx.federated_zip([a, b]), at_c(np.int32), np.int32)


def test_zip_of_an_empty_struct_is_a_type_error():
  with pytest.raises(TypeError, match=msg('federated_zip(value)', 'got <>')):
    fc(lambda: fx.federated_zip([]))


# federated_mean

def test_mean_get_average_temperature():
  @fc(at_c(np.float32))
  def get_average_temperature(sensor_readings):
    return fx.federated_mean(sensor_readings)

  assert sig(get_average_temperature) == '({float32}@CLIENTS -> float32@SERVER)'
  assert get_average_temperature([68.5, 70.3, 69.8]) == pytest.approx(
      69.53333, rel=1e-6)


def test_mean_of_a_struct():
  t = at_c({'a': np.float32, 'b': (np.float32, [2])})

  @fc(t)
  def mean(x):
    return fx.federated_mean(x)

  assert sig(mean) == '({<a=float32,b=float32[2]>}@CLIENTS -> ' \
      '<a=float32,b=float32[2]>@SERVER)'
  out = mean([{'a': 1.0, 'b': np.array([0.0, 2.0], np.float32)},
              {'a': 2.0, 'b': np.array([1.0, 4.0], np.float32)}])
  assert type(out) is dict
  assert out['a'] == 1.5
  np.testing.assert_allclose(out['b'], [0.5, 3.0])
  assert out['b'].dtype == np.float32


def test_weighted_mean_with_int_weights():
  @fc(at_c(np.float32), at_c(np.int32))
  def mean(v, w):
    return fx.federated_mean(v, w)

  assert sig(mean) == '(<v={float32}@CLIENTS,w={int32}@CLIENTS> -> ' \
      'float32@SERVER)'
  assert 'federated_weighted_mean' in str(mean.building_block)
  out = mean([1.0, 2.0, 4.0], [1, 1, 2])
  assert out == pytest.approx(11.0 / 4.0)
  assert out.dtype == np.float32


def test_weighted_mean_with_float_weights():
  @fc(at_c(np.float32), at_c(np.float32))
  def mean(v, w):
    return fx.federated_mean(v, weight=w)

  assert sig(mean) == '(<v={float32}@CLIENTS,w={float32}@CLIENTS> -> ' \
      'float32@SERVER)'
  assert mean([1.0, 3.0], [0.25, 0.75]) == pytest.approx(2.5)


def test_weighted_mean_of_a_struct():
  @fc(at_c([np.float32, (np.float32, [2])]), at_c(np.float32))
  def mean(v, w):
    return fx.federated_mean(v, w)

  out = mean([[1.0, np.array([1.0, 1.0], np.float32)],
              [4.0, np.array([3.0, 5.0], np.float32)]], [3.0, 1.0])
  assert out[0] == pytest.approx(7.0 / 4.0)
  np.testing.assert_allclose(out[1], [1.5, 2.0])


def test_mean_over_zero_clients_is_nan():
  @fc(at_c(np.float32))
  def mean(x):
    return fx.federated_mean(x)

  @fc(at_c(np.float32), at_c(np.float32))
  def weighted(x, w):
    return fx.federated_mean(x, w)

  assert np.isnan(mean([]))
  assert np.isnan(weighted([], []))


def test_mean_of_integers_is_a_type_error():
  with pytest.raises(TypeError, match=msg(
      'federated_mean(value)', 'floating', '{int32}@CLIENTS')):
    fc(lambda x: fx.federated_mean(x), at_c(np.int32))


def test_mean_of_a_struct_with_an_integer_is_a_type_error():
  with pytest.raises(TypeError, match=msg(
      'federated_mean(value)', 'floating', '{<float32,int32>}@CLIENTS')):
    fc(lambda x: fx.federated_mean(x), at_c([np.float32, np.int32]))


def test_mean_of_a_server_value_is_a_type_error():
  with pytest.raises(TypeError, match=msg(
      'federated_mean(value)', '{T}@CLIENTS', 'float32@SERVER')):
    fc(lambda x: fx.federated_mean(x), at_s(np.float32))


@pytest.mark.parametrize('weight_type, shown', [
    (at_c((np.float32, [2])), '{float32[2]}@CLIENTS'),
    (at_c(np.bool_), '{bool}@CLIENTS'),
    (at_c([np.float32]), '{<float32>}@CLIENTS'),
])
def test_weight_that_is_not_a_scalar_number_is_a_type_error(
    weight_type, shown):
  with pytest.raises(TypeError, match=msg(
      'federated_mean(weight)', 'scalar int or float', shown)):
    fc(lambda v, w: fx.federated_mean(v, w), at_c(np.float32), weight_type)


def test_weight_at_server_is_a_type_error():
  with pytest.raises(TypeError, match=msg(
      'federated_mean(weight)', '{T}@CLIENTS', 'float32@SERVER')):
    fc(lambda v, w: fx.federated_mean(v, w), at_c(np.float32),
       at_s(np.float32))


# federated_sum, federated_min, federated_max

def test_sum():
  @fc(at_c(np.int32))
  def total(x):
    return fx.federated_sum(x)

  assert sig(total) == '({int32}@CLIENTS -> int32@SERVER)'
  assert total([1, 2, 3, 4]) == 10
  assert total([7]) == 7


def test_sum_of_a_struct_keeps_the_container():
  @fc(at_c({'n': np.int32, 'v': (np.float32, [3])}))
  def total(x):
    return fx.federated_sum(x)

  assert sig(total) == (
      '({<n=int32,v=float32[3]>}@CLIENTS -> <n=int32,v=float32[3]>@SERVER)')
  out = total([{'n': 1, 'v': np.ones(3, np.float32)},
               {'n': 2, 'v': np.arange(3, dtype=np.float32)}])
  assert type(out) is dict
  assert out['n'] == 3
  np.testing.assert_array_equal(out['v'], [1.0, 2.0, 3.0])


def test_sum_over_zero_clients_is_zeros():
  @fc(at_c([np.int32, (np.float32, [2, 2])]))
  def total(x):
    return fx.federated_sum(x)

  out = total([])
  assert out[0] == 0 and out[0].dtype == np.int32
  np.testing.assert_array_equal(out[1], np.zeros([2, 2]))
  assert out[1].dtype == np.float32 and out[1].shape == (2, 2)


def test_sum_keeps_the_dtype():
  @fc(at_c(np.int8))
  def total(x):
    return fx.federated_sum(x)

  out = total([np.int8(3), np.int8(4)])
  assert out == 7 and out.dtype == np.int8


def test_min_and_max():
  @fc(at_c(fx.StructType([('a', np.int32), ('b', (np.float32, [2]))])))
  def extremes(x):
    return fx.federated_min(x), fx.federated_max(x)

  member = '<a=int32,b=float32[2]>'
  assert sig(extremes) == (
      f'({{{member}}}@CLIENTS -> <{member}@SERVER,{member}@SERVER>)')
  lo, hi = extremes([{'a': 1, 'b': np.array([1.0, 5.0], np.float32)},
                     {'a': -3, 'b': np.array([2.0, 0.0], np.float32)},
                     {'a': 2, 'b': np.array([1.5, 0.5], np.float32)}])
  assert lo.a == -3 and hi.a == 2
  np.testing.assert_array_equal(lo.b, [1.0, 0.0])
  np.testing.assert_array_equal(hi.b, [2.0, 5.0])
  assert lo.b.dtype == np.float32


@pytest.mark.parametrize('op', ['federated_sum', 'federated_min',
                                'federated_max'])
@pytest.mark.parametrize('member', [np.str_, np.bool_])
def test_sum_min_max_of_strings_or_bools_is_a_type_error(op, member):
  t = at_c(member)
  with pytest.raises(TypeError, match=msg(f'{op}(value)', str(t))):
    fc(lambda x: getattr(fx, op)(x), t)


def test_min_of_complex_is_a_type_error():
  with pytest.raises(TypeError, match=msg(
      'federated_min(value)', 'real', '{complex64}@CLIENTS')):
    fc(lambda x: fx.federated_min(x), at_c(np.complex64))


def test_sum_of_a_server_value_is_a_type_error():
  with pytest.raises(TypeError, match=msg(
      'federated_sum(value)', '{T}@CLIENTS', 'int32@SERVER',
      'federated_broadcast')):
    fc(lambda x: fx.federated_sum(x), at_s(np.int32))


# federated_aggregate

@fx.jax_computation(np.int32, np.float32)
def accumulate_int(a, v):
  return a + v.astype(np.int32)


@fx.jax_computation(np.int32, np.int32)
def merge_int(a, b):
  return a + b


@fx.jax_computation(np.int32)
def report_float(a):
  return a.astype(np.float32) / 2


def test_aggregate():
  @fc(at_c(np.float32))
  def agg(x):
    return fx.federated_aggregate(x, 0, accumulate_int, merge_int,
                                  report_float)

  assert sig(agg) == '({float32}@CLIENTS -> float32@SERVER)'
  assert str(agg.building_block) == (
      '(x -> federated_aggregate(<x,0,comp#accumulate_int,comp#merge_int,'
      'comp#report_float>))')
  assert agg([1.0, 2.0, 3.0, 4.0, 5.0]) == 7.5
  assert agg([3.0]) == 1.5
  assert agg([]) == 0.0


ACC = fx.to_type(Pair(np.float32, np.int32))


@fx.jax_computation(ACC, np.float32)
def accumulate_pair(acc, v):
  return Pair(acc.total + v, acc.count + 1)


@fx.jax_computation(ACC, ACC)
def merge_pair(a, b):
  return Pair(a.total + b.total, a.count + b.count)


@fx.jax_computation(ACC)
def report_mean(acc):
  return {'mean': acc.total / acc.count.astype(np.float32), 'n': acc.count}


def test_aggregate_with_a_struct_accumulator():
  @fc(at_c(np.float32))
  def agg(x):
    return fx.federated_aggregate(x, Pair(np.float32(0), np.int32(0)),
                                  accumulate_pair, merge_pair, report_mean)

  assert sig(agg) == '({float32}@CLIENTS -> <mean=float32,n=int32>@SERVER)'
  out = agg([1.0, 2.0, 3.0, 6.0])
  assert out == {'mean': 3.0, 'n': 4}
  assert type(out) is dict


@pytest.mark.parametrize('zero', [[0.0, 0], (0.0, 0), Pair(0.0, 0)])
def test_aggregate_zero_as_a_python_struct_takes_the_accumulator_type(zero):
  @fc(at_c(np.float32))
  def agg(x):
    return fx.federated_aggregate(x, zero, accumulate_pair, merge_pair,
                                  report_mean)

  assert sig(agg) == '({float32}@CLIENTS -> <mean=float32,n=int32>@SERVER)'
  assert agg([1.0, 2.0]) == {'mean': 1.5, 'n': 2}


def test_aggregate_with_python_lambdas():
  @fc(at_c(np.int32))
  def agg(x):
    return fx.federated_aggregate(
        x, 0, lambda a, v: merge_int(a, v), lambda a, b: merge_int(a, b),
        lambda a: inc(a))

  assert sig(agg) == '({int32}@CLIENTS -> int32@SERVER)'
  assert agg([1, 2, 3]) == 7


def test_aggregate_with_an_accumulate_of_the_wrong_type():
  with pytest.raises(TypeError, match=msg(
      'federated_aggregate(accumulate)', '<int32,int32>',
      '(<a=int32,v=float32> -> int32)')):
    fc(lambda x: fx.federated_aggregate(x, 0, accumulate_int, merge_int,
                                        report_float), at_c(np.int32))


def test_aggregate_with_an_accumulate_returning_another_type():
  @fx.jax_computation(np.int32, np.float32)
  def bad(a, v):
    return v

  with pytest.raises(TypeError, match=msg(
      'federated_aggregate(accumulate)', 'int32',
      '(<a=int32,v=float32> -> float32)')):
    fc(lambda x: fx.federated_aggregate(x, 0, bad, merge_int, report_float),
       at_c(np.float32))


def test_aggregate_with_a_merge_of_the_wrong_type():
  with pytest.raises(TypeError, match=msg(
      'federated_aggregate(merge)', '<int32,int32>',
      '(<a=int32,b=float32> -> float32)')):
    fc(lambda x: fx.federated_aggregate(x, 0, accumulate_int, add_int_float,
                                        report_float), at_c(np.float32))


def test_aggregate_with_a_report_of_the_wrong_type():
  with pytest.raises(TypeError, match=msg(
      'federated_aggregate(report)', 'accepts int32', '(float32 -> float32)')):
    fc(lambda x: fx.federated_aggregate(x, 0, accumulate_int, merge_int,
                                        double), at_c(np.float32))


def test_aggregate_of_a_server_value_is_a_type_error():
  with pytest.raises(TypeError, match=msg(
      'federated_aggregate(value)', '{T}@CLIENTS', 'float32@SERVER')):
    fc(lambda x: fx.federated_aggregate(x, 0, accumulate_int, merge_int,
                                        report_float), at_s(np.float32))


def test_aggregate_with_a_placed_zero_is_a_type_error():
  with pytest.raises(TypeError, match=msg(
      'federated_aggregate(zero)', 'unplaced', 'int32@SERVER')):
    fc(lambda x, z: fx.federated_aggregate(x, z, accumulate_int, merge_int,
                                           report_float),
       at_c(np.float32), at_s(np.int32))


# Secure sums

def test_secure_sums_give_the_plain_sums():
  @fc(at_c(np.int32))
  def sums(x):
    return (fx.federated_secure_sum(x, 100),
            fx.federated_secure_sum_bitwidth(x, 8),
            fx.federated_secure_modular_sum(x, 5))

  assert sig(sums) == (
      '({int32}@CLIENTS -> <int32@SERVER,int32@SERVER,int32@SERVER>)')
  assert sums([3, 4, 6]) == (13, 13, 3)
  assert sums([]) == (0, 0, 0)


@pytest.mark.parametrize('op, bound', [
    ('federated_secure_sum', 'max_input'),
    ('federated_secure_sum_bitwidth', 'bitwidth'),
    ('federated_secure_modular_sum', 'modulus'),
])
def test_secure_sum_signature(op, bound):
  @fc(at_c((np.int32, [2])))
  def s(x):
    return getattr(fx, op)(x, 7)

  assert sig(s) == '({int32[2]}@CLIENTS -> int32[2]@SERVER)'
  assert op in str(s.building_block)
  out = s([np.array([1, 2], np.int32), np.array([3, 4], np.int32)])
  np.testing.assert_array_equal(out, [4, 6])


def test_secure_sum_of_a_struct():
  @fc(at_c({'a': np.int32, 'b': np.int32}))
  def s(x):
    return (fx.federated_secure_sum(x, {'a': 10, 'b': 20}),
            fx.federated_secure_modular_sum(x, {'a': 4, 'b': 100}))

  assert sig(s) == ('({<a=int32,b=int32>}@CLIENTS -> '
                    '<<a=int32,b=int32>@SERVER,<a=int32,b=int32>@SERVER>)')
  plain, modular = s([{'a': 3, 'b': 5}, {'a': 2, 'b': 7}])
  assert plain == {'a': 5, 'b': 12}
  assert modular == {'a': 1, 'b': 12}


def test_modular_sum_with_one_modulus_for_a_struct():
  @fc(at_c([np.int32, np.int32]))
  def s(x):
    return fx.federated_secure_modular_sum(x, 4)

  assert s([[3, 5], [2, 7]]) == [1, 0]


@pytest.mark.parametrize('op', ['federated_secure_sum',
                                'federated_secure_sum_bitwidth',
                                'federated_secure_modular_sum'])
def test_secure_sum_of_floats_is_a_type_error(op):
  with pytest.raises(TypeError, match=msg(
      f'{op}(value)', 'integer', '{float32}@CLIENTS')):
    fc(lambda x: getattr(fx, op)(x, 8), at_c(np.float32))


def test_secure_sum_with_a_float_bound_is_a_type_error():
  with pytest.raises(TypeError, match=msg(
      'federated_secure_sum(max_input)', 'integer', 'float32')):
    fc(lambda x: fx.federated_secure_sum(x, 1.5), at_c(np.int32))


def test_secure_sum_of_a_server_value_is_a_type_error():
  with pytest.raises(TypeError, match=msg(
      'federated_secure_sum_bitwidth(value)', '{T}@CLIENTS',
      'int32@SERVER')):
    fc(lambda x: fx.federated_secure_sum_bitwidth(x, 8), at_s(np.int32))


# federated_select

@fx.jax_computation(fx.TensorType(np.float32, [4]), np.int32)
def pick(values, key):
  return values[key]


SELECT_TYPES = (at_c((np.int32, [2])), at_s(np.int32),
                at_s((np.float32, [4])))


def test_select():
  @fc(*SELECT_TYPES)
  def select(keys, max_key, values):
    return fx.federated_select(keys, max_key, values, pick)

  assert sig(select) == (
      '(<keys={int32[2]}@CLIENTS,max_key=int32@SERVER,'
      'values=float32[4]@SERVER> -> {float32*}@CLIENTS)')
  values = np.arange(4, dtype=np.float32) * 10
  out = select([np.array([0, 1], np.int32), np.array([3, 2], np.int32)], 4,
               values)
  assert out == [[0.0, 10.0], [30.0, 20.0]]


def test_select_with_a_different_number_of_keys_per_client():
  @fc(at_c((np.int32, [None])), at_s(np.int32), at_s((np.float32, [4])))
  def select(keys, max_key, values):
    return fx.federated_select(keys, max_key, values, pick)

  assert sig(select) == (
      '(<keys={int32[?]}@CLIENTS,max_key=int32@SERVER,'
      'values=float32[4]@SERVER> -> {float32*}@CLIENTS)')
  values = np.arange(4, dtype=np.float32)
  out = select([np.array([2], np.int32), np.array([], np.int32),
                np.array([0, 1, 3], np.int32)], 4, values)
  assert out == [[2.0], [], [0.0, 1.0, 3.0]]


def test_select_with_a_key_out_of_range_is_a_value_error():
  @fc(*SELECT_TYPES)
  def select(keys, max_key, values):
    return fx.federated_select(keys, max_key, values, pick)

  args = ([np.array([0, 3], np.int32)], 3, np.zeros(4, np.float32))
  with fx.backends.interpreter.interpreter_context():
    with pytest.raises(ValueError, match=msg('federated_select', 'key 3',
                                             'max_key=3')):
      select(*args)
  with fx.backends.jax.jax_context():  # Checked after the compiled run.
    with pytest.raises(ValueError, match=msg('federated_select',
                                             'outside [0, max_key)')):
      select(*args)


def test_select_with_float_keys_is_a_type_error():
  with pytest.raises(TypeError, match=msg(
      'federated_select(client_keys)', '{int32[n]}@CLIENTS',
      '{float32[2]}@CLIENTS')):
    fc(lambda k, m, v: fx.federated_select(k, m, v, pick),
       at_c((np.float32, [2])), *SELECT_TYPES[1:])


def test_select_with_max_key_at_clients_is_a_type_error():
  with pytest.raises(TypeError, match=msg(
      'federated_select(max_key)', 'int32@SERVER', '{int32}@CLIENTS')):
    fc(lambda k, m, v: fx.federated_select(k, m, v, pick),
       SELECT_TYPES[0], at_c(np.int32), SELECT_TYPES[2])


def test_select_with_a_bad_select_fn_is_a_type_error():
  with pytest.raises(TypeError, match=msg(
      'federated_select(select_fn)', '<float32[3],int32>',
      '(<values=float32[4],key=int32> -> float32)')):
    fc(lambda k, m, v: fx.federated_select(k, m, v, pick),
       SELECT_TYPES[0], SELECT_TYPES[1], at_s((np.float32, [3])))


# Sequences

@fx.jax_computation(np.int32)
def square(x):
  return x * x


@fx.jax_computation(np.float32, np.int32)
def add_to_float(acc, x):
  return acc + x.astype(np.float32)


def _sequence_ops(s):
  return (fx.sequence_map(square, s),
          fx.sequence_reduce(s, np.float32(0.5), add_to_float),
          fx.sequence_sum(s))


def test_sequence_map_reduce_sum():
  seq = fc(_sequence_ops, fx.SequenceType(np.int32))
  assert sig(seq) == '(int32* -> <int32*,float32,int32>)'
  assert seq([1, 2, 3]) == ([1, 4, 9], 6.5, 6)
  assert seq([]) == ([], 0.5, 0)


def test_sequence_reduce_zero_takes_the_op_state_type():
  @fc(fx.SequenceType(np.int32))
  def reduce(s):
    return fx.sequence_reduce(s, 0, add_to_float)

  assert sig(reduce) == '(int32* -> float32)'
  assert reduce([1, 2]) == 3.0


def test_sequence_ops_of_a_struct_sequence():
  @fc(fx.SequenceType({'x': np.float32, 'y': np.int32}))
  def total(s):
    return fx.sequence_sum(s)

  assert sig(total) == '(<x=float32,y=int32>* -> <x=float32,y=int32>)'
  out = total([{'x': 1.0, 'y': 2}, {'x': 0.5, 'y': 3}])
  assert out == {'x': 1.5, 'y': 5}


def test_sequence_ops_at_clients_apply_per_client():
  seq = fc(_sequence_ops, at_c(fx.SequenceType(np.int32)))
  assert sig(seq) == (
      '({int32*}@CLIENTS -> <{int32*}@CLIENTS,{float32}@CLIENTS,'
      '{int32}@CLIENTS>)')
  assert seq([[1, 2, 3], [4], []]) == ([[1, 4, 9], [16], []],
                                       [6.5, 4.5, 0.5], [6, 4, 0])


def test_sequence_ops_at_server():
  seq = fc(_sequence_ops, at_s(fx.SequenceType(np.int32)))
  assert sig(seq) == (
      '(int32*@SERVER -> <int32*@SERVER,float32@SERVER,int32@SERVER>)')
  assert seq([2, 3]) == ([4, 9], 5.5, 5)


def test_sequence_map_of_a_non_sequence_is_a_type_error():
  with pytest.raises(TypeError, match=msg(
      'sequence_map(arg)', 'T*', 'got int32')):
    fc(lambda s: fx.sequence_map(square, s), np.int32)


def test_sequence_map_with_a_function_of_the_wrong_type():
  with pytest.raises(TypeError, match=msg(
      'sequence_map(fn)', 'float32', '(int32 -> int32)')):
    fc(lambda s: fx.sequence_map(square, s), fx.SequenceType(np.float32))


def test_sequence_sum_of_strings_is_a_type_error():
  with pytest.raises(TypeError, match=msg('sequence_sum(value)', 'str*')):
    fc(lambda s: fx.sequence_sum(s), fx.SequenceType(np.str_))


def test_sequence_reduce_with_an_op_of_the_wrong_type():
  with pytest.raises(TypeError, match=msg(
      'sequence_reduce(op)', '<int32,int32>', '(int32 -> int32)')):
    fc(lambda s: fx.sequence_reduce(s, np.int32(0), square),
       fx.SequenceType(np.int32))


# Misuse

def test_calling_a_jax_computation_on_a_placed_value_suggests_map():
  with pytest.raises(TypeError, match=msg(
      'inc', 'int32', '{int32}@CLIENTS', 'fx.federated_map(inc')):
    fc(lambda x: inc(x), at_c(np.int32))
  with pytest.raises(TypeError, match=msg(
      'inc', 'int32', 'int32@SERVER', 'fx.federated_map(inc')):
    fc(lambda x: inc(x), at_s(np.int32))


def test_calling_a_polymorphic_jax_computation_on_a_placed_value():
  @fx.jax_computation
  def triple(x):
    return x * 3

  with pytest.raises(TypeError, match=msg(
      '{int32}@CLIENTS', 'fx.federated_map(triple')):
    fc(lambda x: triple(x), at_c(np.int32))


@pytest.mark.parametrize('use', [
    lambda: fx.federated_sum([1, 2]),
    lambda: fx.federated_broadcast(1),
    lambda: fx.federated_value(1, fx.SERVER),
    lambda: fx.federated_map(inc, [1]),
    lambda: fx.federated_mean([1.0]),
    lambda: fx.federated_zip([1, 2]),
    lambda: fx.federated_eval(one_float, fx.SERVER),
    lambda: fx.sequence_sum([1, 2]),
])
def test_intrinsics_outside_a_federated_computation_are_runtime_errors(use):
  with pytest.raises(RuntimeError, match='federated_computation'):
    use()


def test_a_traced_value_in_a_python_if_is_a_type_error():
  def branch(x):
    if x:
      return x
    return x

  with pytest.raises(TypeError, match=msg('{int32}@CLIENTS',
                                          'no truth value')):
    fc(branch, at_c(np.int32))


def test_a_traced_value_in_python_and_is_a_type_error():
  with pytest.raises(TypeError, match='no truth value'):
    fc(lambda x, y: x and y, np.int32, np.int32)


@pytest.mark.parametrize('build, pattern', [
    (lambda: fc(lambda x: fx.federated_map(
        lambda v: fx.federated_value(v, S), x), at_c(np.int32)),
     msg('federated_map(fn)', '(int32 -> int32@SERVER)')),
    (lambda: fc(lambda x: fx.federated_map(lambda v: inc, x), at_c(np.int32)),
     msg('federated_map(fn)', '(int32 -> (int32 -> int32))')),
    (lambda: fc(lambda: fx.federated_eval(
        lambda: fx.federated_value(1, S), C)),
     msg('federated_eval(fn)', '( -> int32@SERVER)')),
    (lambda: fc(lambda x: fx.federated_aggregate(
        x, 0, lambda a, v: a, lambda a, b: a,
        lambda a: fx.federated_value(a, S)), at_c(np.int32)),
     msg('federated_aggregate(report)', '(int32 -> int32@SERVER)')),
    (lambda: fc(lambda s: fx.sequence_map(lambda e: s, s),
                fx.SequenceType(np.int32)),
     msg('sequence_map(fn)', 'sequences', '(int32 -> int32*)')),
    (lambda: fc(lambda: fx.federated_value(inc, S)),
     msg('federated_value(value)', '(int32 -> int32)', 'federated_eval')),
])
def test_functions_returning_what_cannot_be_placed_are_type_errors(
    build, pattern):
  with pytest.raises(TypeError, match=pattern):
    build()


def test_an_intrinsic_result_is_only_bound_once():
  @fc(at_c(np.float32))
  def f(x):
    m = fx.federated_mean(x)
    return m, m

  assert str(f.building_block) == (
      '(x -> (let _var1=federated_mean(x) in <_var1,_var1>))')
  assert f([1.0, 3.0]) == (2.0, 2.0)
