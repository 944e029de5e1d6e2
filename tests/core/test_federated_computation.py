"""`fx.federated_computation`: tracing, polymorphism, calling conventions."""

import collections
import re
import typing

import numpy as np
import pytest

import federax as fx

C, S = fx.CLIENTS, fx.SERVER
at_c, at_s = fx.type_at_clients, fx.type_at_server
fc = fx.federated_computation


def sig(comp):
  return str(comp.type_signature)


def msg(*parts):
  return '.*'.join(re.escape(p) for p in parts)


@fx.jax_computation(np.int32)
def inc(x):
  return x + 1


@fx.jax_computation(np.float32)
def double(x):
  return x * 2


class Point(typing.NamedTuple):
  x: typing.Any
  y: typing.Any


# Tracing: once when typed, per new type when polymorphic.

def test_typed_tracing_happens_once():
  traces = []

  @fc(at_c(np.float32))
  def mean(x):
    traces.append(x)
    return fx.federated_mean(x)

  assert len(traces) == 1
  assert mean([1.0, 2.0]) == 1.5
  assert mean([4.0]) == 4.0
  assert mean([]) != mean([])  # nan; still no new trace
  assert len(traces) == 1


def test_polymorphic_tracing_is_per_argument_type_and_cached():
  traces = []

  @fc
  def identity(x):
    traces.append(str(x.type_signature))
    return x

  assert isinstance(identity, fx.PolymorphicComputation)
  assert traces == []
  assert identity(1) == 1
  assert identity(2) == 2
  assert traces == ['int32']
  assert identity(0.5) == 0.5
  assert traces == ['int32', 'float32']
  assert identity([1, 2]) == [1, 2]
  assert identity([3, 4]) == [3, 4]
  assert traces == ['int32', 'float32', '<int32,int32>']
  assert identity(np.zeros([2], np.float32)).shape == (2,)
  assert identity(np.ones([2], np.float32)).tolist() == [1.0, 1.0]
  assert traces[-1] == 'float32[2]' and len(traces) == 4


def test_polymorphic_computation_keeps_the_caller_container():
  @fc
  def identity(x):
    return x

  assert identity((1, 2)) == (1, 2) and type(identity((1, 2))) is tuple
  assert identity([1, 2]) == [1, 2] and type(identity([1, 2])) is list
  assert identity(Point(1, 2)) == Point(1, 2)
  assert type(identity(Point(1, 2))) is Point


def test_polymorphic_computation_with_two_parameters():
  traces = []

  @fc
  def pick(a, b):
    traces.append(1)
    return b, a

  assert pick(1, 2.5) == (2.5, 1)
  assert pick(a=3, b=0.5) == (0.5, 3)
  assert pick(b=0.5, a=3) == (0.5, 3)
  assert len(traces) == 1


def test_polymorphic_computation_concretize():
  @fc
  def total(x):
    return fx.federated_sum(x)

  comp = total.concretize(at_c(np.int32))
  assert isinstance(comp, fx.Computation)
  assert sig(comp) == '({int32}@CLIENTS -> int32@SERVER)'
  assert total.concretize(at_c(np.int32)) is comp
  assert comp([1, 2, 3]) == 6


def test_zero_parameter_functions_are_traced_immediately():
  traces = []

  def hello():
    traces.append(1)
    return 'Hello World'

  comp = fc(hello)
  assert traces == [1]
  assert isinstance(comp, fx.Computation)
  assert sig(comp) == '( -> str)'
  assert comp() == 'Hello World'
  assert traces == [1]


def test_hello_world_lambda():
  assert fc(lambda: 'Hello World')() == 'Hello World'


def test_zero_parameter_computation_with_arguments_is_a_type_error():
  comp = fc(lambda: 1)
  with pytest.raises(TypeError, match='takes no arguments'):
    comp(1)


def test_type_specs_for_a_function_without_parameters_are_an_error():
  with pytest.raises(TypeError, match=msg('takes no parameters', '1 type')):
    fc(lambda: 1, np.int32)


def test_wrong_number_of_type_specs_is_an_error():
  with pytest.raises(TypeError, match=msg('2 parameters', '3 type specs')):
    fc(lambda a, b: a, np.int32, np.int32, np.int32)


def test_args_and_kwargs_are_rejected():
  with pytest.raises(TypeError, match=r'\*args'):
    fc(lambda *a: a[0], np.int32)
  with pytest.raises(TypeError, match=r'\*\*kwargs'):
    fc(lambda **k: 1, np.int32)


def test_returning_none_is_an_error():
  with pytest.raises(TypeError, match='returned None'):
    fc(lambda x: None, np.int32)


def test_decorator_forms():
  def body(x):
    return x

  by_call = fc(body, np.int32)
  by_decorator = fc(np.int32)(body)
  assert sig(by_call) == sig(by_decorator) == '(int32 -> int32)'
  assert by_call(3) == by_decorator(3) == 3


# Several parameters: one struct parameter.

def test_several_parameters_are_one_named_struct_parameter():
  @fc(fx.FunctionType(np.int32, np.int32), np.int32)
  def foo(f, x):
    return f(f(x))

  assert sig(foo) == '(<f=(int32 -> int32),x=int32> -> int32)'
  assert foo.parameter_names == ['f', 'x']
  assert str(foo.building_block) == (
      '(arg -> (let _var1=arg.f(arg.x) in arg.f(_var1)))')
  assert foo(inc, 3) == 5


def test_one_struct_spec_for_several_parameters():
  @fc(fx.StructType([('a', np.int32), ('b', np.float32)]))
  def swap(x, y):
    return y, x

  assert sig(swap) == '(<a=int32,b=float32> -> <float32,int32>)'
  assert swap(1, 2.0) == (2.0, 1)
  assert swap(x=1, y=2.0) == (2.0, 1)
  assert swap({'a': 1, 'b': 2.0}) == (2.0, 1)


def test_calling_positionally_by_keyword_and_with_one_list():
  @fc(np.int32, np.float32)
  def pair(a, b):
    return [b, a]

  assert sig(pair) == '(<a=int32,b=float32> -> <float32,int32>)'
  assert pair(2, 3.0) == [3.0, 2]
  assert pair(2, b=3.0) == [3.0, 2]
  assert pair(b=3.0, a=2) == [3.0, 2]
  assert pair([2, 3.0]) == [3.0, 2]
  assert pair((2, 3.0)) == [3.0, 2]
  assert pair({'a': 2, 'b': 3.0}) == [3.0, 2]


def test_foo_with_a_single_list_of_two_ints():
  @fc(np.int32, np.int32)
  def foo(x, y):
    return fx.federated_value([x, y], S)

  assert foo([2, 3]) == [2, 3]


@pytest.mark.parametrize('call, pattern', [
    (lambda f: f(2), msg('missing', "['b']")),
    (lambda f: f(1, 2.0, 3), msg('2 arguments', '3 positional')),
    (lambda f: f(1, c=2.0), msg("unexpected keyword argument 'c'")),
    (lambda f: f(1, a=2), msg("multiple values for argument 'a'")),
])
def test_bad_calls_are_type_errors(call, pattern):
  pair = fc(lambda a, b: a, np.int32, np.float32)
  with pytest.raises(TypeError, match=pattern):
    call(pair)


@pytest.mark.parametrize('args, pattern', [
    ((2.5, 3.0), msg('argument.a', 'int32', 'float32')),
    (('x', 3.0), msg('argument.a', 'int32', 'str')),
    ((2, True), msg('argument.b', 'float32', 'bool')),
    ((2, [3.0]), msg('argument.b', 'float32', 'float32[1]')),
    ((2, {'v': 3.0}), msg('argument.b', 'float32', '<v=float32>')),
])
def test_arguments_of_the_wrong_type_are_type_errors(args, pattern):
  pair = fc(lambda a, b: a, np.int32, np.float32)
  with pytest.raises(TypeError, match=pattern):
    pair(*args)


def test_wrong_argument_types_for_placed_parameters():
  mean = fc(lambda x: fx.federated_mean(x), at_c(np.float32))
  with pytest.raises(TypeError, match=msg('{float32}@CLIENTS', 'list')):
    mean(1.0)
  with pytest.raises(TypeError, match=msg('client 1', 'float32', 'str')):
    mean([1.0, 'a'])


def test_a_function_argument_of_the_wrong_type_is_a_type_error():
  @fc(fx.FunctionType(np.int32, np.int32), np.int32)
  def foo(f, x):
    return f(x)

  with pytest.raises(TypeError, match=msg(
      'argument.f', '(int32 -> int32)', '(float32 -> float32)')):
    foo(double, 3)


def test_calling_a_computation_with_the_wrong_type_while_tracing():
  mean = fc(lambda x: fx.federated_mean(x), at_c(np.float32))
  with pytest.raises(TypeError, match=msg('{float32}@CLIENTS',
                                          '{int32}@CLIENTS')):
    fc(lambda x: mean(x), at_c(np.int32))


def test_python_numbers_take_the_parameter_dtype_while_tracing():
  first = fc(lambda a, b: a, np.int8, np.float32)

  @fc
  def call():
    return first(100, 1)

  assert sig(call) == '( -> int8)'
  out = call()
  assert out == 100 and out.dtype == np.int8


@pytest.mark.parametrize('a, b, shown', [
    (300, 1.0, '<a=int32,b=float32>'),  # Does not fit in int8.
    (1.5, 1.0, '<a=float32,b=float32>'),  # A float is not an int.
    (1, np.float64(0.5), '<a=int8,b=float64>'),  # No implicit casts.
    (1, True, '<a=int8,b=bool>'),
])
def test_python_constants_that_do_not_fit_the_parameter(a, b, shown):
  first = fc(lambda a, b: a, np.int8, np.float32)
  with pytest.raises(TypeError, match=msg('<a=int8,b=float32>', shown)):
    fc(lambda: first(a, b))


# Computations calling computations.

def test_computations_calling_computations():
  @fc(at_c(np.float32))
  def total(x):
    return fx.federated_sum(x)

  @fc(at_c(np.float32))
  def spread(x):
    return fx.federated_broadcast(total(x))

  assert sig(spread) == '({float32}@CLIENTS -> float32@CLIENTS)'
  assert str(spread.building_block) == (
      '(x -> (let _var1=(x -> federated_sum(x))(x) in '
      'federated_broadcast(_var1)))')
  assert spread([1.0, 2.0]) == 3.0


def test_calling_a_polymorphic_computation_while_tracing():
  @fc
  def total(x):
    return fx.federated_sum(x)

  @fc(at_c(np.int32))
  def twice_total(x):
    return fx.federated_map(fx.jax_computation(lambda v: v * 2, np.int32),
                            total(x))

  assert sig(twice_total) == '({int32}@CLIENTS -> int32@SERVER)'
  assert twice_total([1, 2, 3]) == 12


def test_calling_a_computation_with_two_parameters_while_tracing():
  @fc(np.int32, np.int32)
  def first(a, b):
    return a

  @fc(np.int32)
  def f(x):
    return first(x, 5), first(b=x, a=7), first([x, x])

  assert sig(f) == '(int32 -> <int32,int32,int32>)'
  assert f(1) == (1, 7, 1)


def test_a_computation_passed_as_an_argument():
  @fc(fx.FunctionType(np.float32, np.float32), at_c(np.float32))
  def map_with(f, x):
    return fx.federated_map(f, x)

  assert sig(map_with) == (
      '(<f=(float32 -> float32),x={float32}@CLIENTS> -> {float32}@CLIENTS)')
  assert map_with(double, [1.0, 2.0]) == [2.0, 4.0]

  @fc(np.float32)
  def plus_one(x):
    return double(x)

  assert map_with(plus_one, [1.5]) == [3.0]


def test_a_polymorphic_computation_passed_as_an_argument():
  @fx.jax_computation
  def triple(v):
    return v * 3

  @fc(fx.FunctionType(np.float32, np.float32), at_c(np.float32))
  def map_with(f, x):
    return fx.federated_map(f, x)

  # Traced at the parameter of the function type, float32.
  out = map_with(triple, [1.0, 2.5])
  assert out == [3.0, 7.5]
  assert all(type(o) is np.float32 for o in out)
  add = fx.jax_computation(lambda a, b: a + b)

  @fc(fx.FunctionType(fx.StructType([np.int32, np.int32]), np.int32),
      np.int32)
  def apply_twice(f, x):
    return f(x, f(x, x))

  assert apply_twice(add, 2) == 6


def test_calling_a_function_valued_parameter_with_two_arguments():
  add = fx.jax_computation(lambda a, b: a + b, np.int32, np.int32)

  @fc(fx.FunctionType(fx.StructType([np.int32, np.int32]), np.int32),
      np.int32)
  def apply_twice(f, x):
    return f(x, f(x, x))

  assert apply_twice(add, 2) == 6


# Selection on traced structs.

POINT = fx.StructType([('x', np.int32), ('y', np.float32)])


def test_attribute_and_index_selection():
  @fc(POINT)
  def parts(p):
    return p.y, p[0], p['x'], p[-1]

  assert sig(parts) == '(<x=int32,y=float32> -> <float32,int32,int32,float32>)'
  assert str(parts.building_block) == '(p -> <p.y,p.x,p.x,p.y>)'
  assert parts({'x': 1, 'y': 2.0}) == (2.0, 1, 1, 2.0)


def test_iteration_unpacking_and_len_of_a_traced_struct():
  @fc(POINT)
  def swap(p):
    x, y = p
    assert len(p) == 2
    return y, x

  assert swap([3, 0.5]) == (0.5, 3)


def test_selection_on_an_unnamed_struct():
  @fc(fx.StructType([np.int32, np.float32]))
  def second(p):
    return p[1]

  assert str(second.building_block) == '(p -> p[1])'
  assert second([1, 2.5]) == 2.5


def test_bad_selections():
  with pytest.raises(AttributeError, match=msg(
      '.z', '<x=int32,y=float32>', "'x', 'y'")):
    fc(lambda p: p.z, POINT)
  with pytest.raises(KeyError, match=msg("['z']", "'x', 'y'")):
    fc(lambda p: p['z'], POINT)
  with pytest.raises(IndexError, match=msg('[2]', 'out of range')):
    fc(lambda p: p[2], POINT)
  with pytest.raises(TypeError, match=msg('struct', 'int32')):
    fc(lambda p: p[0], np.int32)


def test_hasattr_on_a_traced_value_is_false_not_an_error():
  seen = []

  @fc(np.int32)
  def f(x):
    seen.append((hasattr(x, 'a'), getattr(x, 'a', 'default')))
    return x

  assert seen == [(False, 'default')]


def test_traced_values_are_immutable():
  with pytest.raises(AttributeError, match='immutable'):
    fc(lambda p: setattr(p, 'x', 1) or p, POINT)


def test_selection_on_a_server_struct():
  @fc(at_s(POINT))
  def get_x(s):
    return s.x

  assert sig(get_x) == '(<x=int32,y=float32>@SERVER -> int32@SERVER)'
  assert str(get_x.building_block) == (
      '(s -> federated_apply(<(x -> x.x),s>))')
  assert get_x({'x': 4, 'y': 1.0}) == 4


def test_selection_on_a_clients_struct():
  @fc(at_c(POINT))
  def get_y(s):
    return s.y, s[0]

  assert sig(get_y) == (
      '({<x=int32,y=float32>}@CLIENTS -> <{float32}@CLIENTS,{int32}@CLIENTS>)')
  assert get_y([{'x': 1, 'y': 2.0}, {'x': 3, 'y': 4.0}]) == ([2.0, 4.0],
                                                            [1, 3])


def test_selection_on_an_all_equal_clients_struct_stays_all_equal():
  @fc(at_s(POINT))
  def get_x(s):
    return fx.federated_broadcast(s).x

  assert sig(get_x) == '(<x=int32,y=float32>@SERVER -> int32@CLIENTS)'
  assert get_x({'x': 4, 'y': 1.0}) == 4


def test_selection_then_aggregation():
  @fc(at_c(POINT))
  def mean_y(s):
    return fx.federated_mean(s.y)

  assert mean_y([{'x': 1, 'y': 2.0}, {'x': 3, 'y': 4.0}]) == 3.0


# Returning Python containers.

def test_returning_dicts_lists_and_tuples_of_values():
  @fc(at_c(np.float32), at_s(np.int32))
  def many(x, y):
    return {'mean': fx.federated_mean(x), 'l': [y, (y, x)]}

  assert sig(many) == (
      '(<x={float32}@CLIENTS,y=int32@SERVER> -> '
      '<l=<int32@SERVER,<int32@SERVER,{float32}@CLIENTS>>,mean=float32@SERVER>)')
  out = many([1.0, 2.0], 3)
  assert out == {'mean': 1.5, 'l': [3, (3, [1.0, 2.0])]}
  assert type(out) is dict and type(out['l']) is list
  assert list(out) == ['l', 'mean']  # A plain dict is in sorted key order.
  assert type(out['l'][1]) is tuple


def test_returning_a_named_tuple_and_an_ordered_dict():
  @fc(at_c(np.float32))
  def stats(x):
    return Point(fx.federated_sum(x), collections.OrderedDict(
        m=fx.federated_mean(x)))

  out = stats([1.0, 3.0])
  assert type(out) is Point and type(out.y) is collections.OrderedDict
  assert out == Point(4.0, collections.OrderedDict(m=2.0))


def test_returning_constants():
  assert fc(lambda x: 5, np.float32)(1.0) == 5
  assert fc(lambda x: [x, 0.5], np.int32)(2) == [2, 0.5]


def test_struct_parameter_containers_come_back():
  @fc(Point(at_s(np.float32), at_c(np.float32)))
  def f(p):
    return Point(p.x, fx.federated_mean(p.y))

  assert sig(f) == (
      '(<x=float32@SERVER,y={float32}@CLIENTS> -> '
      '<x=float32@SERVER,y=float32@SERVER>)')
  out = f(Point(1.0, [1.0, 3.0]))
  assert type(out) is Point and out == Point(1.0, 2.0)


# Printing.

def test_building_blocks_print_compactly():
  @fc(at_c(np.float32))
  def mean(x):
    return fx.federated_mean(x)

  assert str(mean.building_block) == '(x -> federated_mean(x))'
  assert repr(mean) == 'Computation(mean: ({float32}@CLIENTS -> float32@SERVER))'


def test_traced_values_print_compactly():
  seen = []

  @fc(at_c(np.float32))
  def mean(x):
    m = fx.federated_mean(x)
    seen.append((str(x), repr(x), str(m)))
    return m

  assert seen == [('x', 'Value(x: {float32}@CLIENTS)', '_var1')]


def test_a_block_of_several_bindings():
  @fc(at_c(np.float32))
  def f(x):
    s = fx.federated_sum(x)
    return fx.federated_broadcast(s), s

  assert str(f.building_block) == (
      '(x -> (let _var1=federated_sum(x),_var2=federated_broadcast(_var1) '
      'in <_var2,_var1>))')


# Python lambdas in federated_map, and the seed's examples.

def test_python_lambda_passed_to_federated_map():
  @fc(at_c(np.float32))
  def f(x):
    return fx.federated_map(lambda v: double(double(v)), x)

  assert sig(f) == '({float32}@CLIENTS -> {float32}@CLIENTS)'
  assert str(f.building_block) == (
      '(x -> federated_map(<(v -> (let _var1=comp#double(v) in '
      'comp#double(_var1))),x>))')
  assert f([1.0, 0.5]) == [4.0, 2.0]


def test_get_average_temperature():
  @fc(fx.FederatedType(np.float32, fx.CLIENTS))
  def get_average_temperature(sensor_readings):
    return fx.federated_mean(sensor_readings)

  assert sig(get_average_temperature) == (
      '({float32}@CLIENTS -> float32@SERVER)')
  assert get_average_temperature([68.5, 70.3, 69.8]) == pytest.approx(
      69.53333, rel=1e-6)


def test_get_average_temperature_above_threshold():
  @fx.jax_computation(np.float32, np.float32)
  def exceeds_threshold_fn(reading, threshold):
    return (reading > threshold).astype(np.float32)

  @fc(at_c(np.float32), at_s(np.float32))
  def get_fraction_over_threshold(readings, threshold):
    return fx.federated_mean(fx.federated_map(
        exceeds_threshold_fn, [readings, fx.federated_broadcast(threshold)]))

  assert sig(get_fraction_over_threshold) == (
      '(<readings={float32}@CLIENTS,threshold=float32@SERVER> -> '
      'float32@SERVER)')
  assert get_fraction_over_threshold([68.5, 70.3, 69.8], 69.0) == (
      pytest.approx(2 / 3))
