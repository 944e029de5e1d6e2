"""The reference interpreter: cardinality, containers, function arguments."""

import collections
import re
import typing

import numpy as np
import pytest

import federax as fx
from federax.backends import interpreter
from federax.backends.interpreter import evaluator as evaluator_lib

C, S = fx.CLIENTS, fx.SERVER
at_c, at_s = fx.type_at_clients, fx.type_at_server
fc = fx.federated_computation


def msg(*parts):
  return '.*'.join(re.escape(p) for p in parts)


class State(typing.NamedTuple):
  model: typing.Any
  round: typing.Any


@fx.jax_computation(np.float32, np.float32)
def add(a, b):
  return a + b


@fc(at_c(np.int32), at_c(np.int32))
def sum_both(a, b):
  return fx.federated_sum(a), fx.federated_sum(b)


@fc(at_s(np.int32))
def count_clients_times(x):
  return fx.federated_sum(fx.federated_broadcast(x))


# Cardinality.

def test_cardinality_is_inferred_from_clients_arguments():
  @fc(at_c(np.float32), at_s(np.float32))
  def f(c, s):
    return fx.federated_sum(fx.federated_map(
        add, [c, fx.federated_broadcast(s)]))

  assert f([1.0, 2.0, 3.0], 10.0) == 36.0
  assert f([1.0], 10.0) == 11.0


def test_conflicting_cardinalities_are_a_value_error():
  with pytest.raises(ValueError, match=msg(
      'conflicting cardinalities', 'a', '2 clients', 'b', '3')):
    sum_both([1, 2], [3, 4, 5])


def test_conflicting_cardinalities_inside_a_struct_argument():
  @fc(fx.StructType([('x', at_c(np.int32)), ('y', at_c(np.int32))]))
  def f(p):
    return fx.federated_sum(p.x)

  with pytest.raises(ValueError, match=msg('conflicting cardinalities',
                                           'p.x', 'p.y')):
    f({'x': [1], 'y': [1, 2]})


def test_different_calls_may_use_different_numbers_of_clients():
  assert sum_both([1, 2], [3, 4]) == (3, 7)
  assert sum_both([1, 2, 3], [4, 5, 6]) == (6, 15)
  assert sum_both([1], [2]) == (1, 2)
  assert sum_both([], []) == (0, 0)


def test_default_num_clients_for_computations_without_clients_arguments():
  with interpreter.interpreter_context(default_num_clients=3):
    assert count_clients_times(2) == 6
  with interpreter.interpreter_context(default_num_clients=5):
    assert count_clients_times(2) == 10
  assert count_clients_times(2) == 0  # The default context: no clients.


def test_clients_arguments_take_precedence_over_default_num_clients():
  @fc(at_s(np.int32), at_c(np.int32))
  def f(s, c):
    return fx.federated_sum(fx.federated_broadcast(s)), fx.federated_sum(c)

  with interpreter.interpreter_context(default_num_clients=10):
    assert f(2, [1, 1]) == (4, 2)


def test_all_equal_clients_arguments_use_default_num_clients():
  @fc(at_c(np.float32, all_equal=True))
  def total(x):
    return fx.federated_sum(x)

  with interpreter.interpreter_context(default_num_clients=4):
    assert total(2.5) == 10.0


def test_federated_eval_and_value_use_default_num_clients():
  @fc
  def f():
    return (fx.federated_eval(lambda: 1.5, C),
            fx.federated_sum(fx.federated_value(2, C)))

  with interpreter.interpreter_context(default_num_clients=2):
    assert f() == ([1.5, 1.5], 4)


def test_set_and_create_interpreter_contexts():
  default = fx.framework.get_default_context()
  try:
    interpreter.set_interpreter_context(default_num_clients=2)
    assert count_clients_times(1) == 2
    interpreter.set_interpreter_context()
    assert count_clients_times(1) == 0
  finally:
    fx.framework.set_default_context(default)
  ctx = interpreter.create_interpreter_context(default_num_clients=7)
  assert isinstance(ctx, interpreter.InterpreterContext)
  with fx.framework.install_context(ctx):
    assert count_clients_times(1) == 7


@pytest.mark.parametrize('bad', [-1, 1.5, '3'])
def test_default_num_clients_must_be_a_non_negative_int(bad):
  with pytest.raises(ValueError, match='default_num_clients'):
    interpreter.create_interpreter_context(default_num_clients=bad)


# Python values in and out.

def test_results_come_back_in_the_callers_containers():
  @fc
  def identity(x):
    return x

  assert type(identity(collections.OrderedDict(a=1))) is collections.OrderedDict
  assert identity(State(1.0, 2)) == State(1.0, 2)
  assert type(identity(State(1.0, 2))) is State
  out = identity({'a': [1, (2.0, 'x')]})
  assert out == {'a': [1, (2.0, 'x')]}
  assert type(out['a']) is list and type(out['a'][1]) is tuple


def test_clients_values_of_structs_keep_their_containers():
  @fc(at_c(State(np.float32, np.int32)))
  def f(x):
    return x, fx.federated_sum(x)

  out = f([State(1.0, 1), State(2.0, 2)])
  assert out == ([State(1.0, 1), State(2.0, 2)], State(3.0, 3))
  assert all(type(s) is State for s in out[0])
  assert type(out[1]) is State


def test_a_struct_mixing_server_and_client_values():
  @fc(State(at_s(np.float32), at_c(np.int32)))
  def step(state):
    return State(
        fx.federated_map(add, [state.model, fx.federated_value(1.0, S)]),
        fx.federated_sum(state.round))

  assert str(step.type_signature) == (
      '(<model=float32@SERVER,round={int32}@CLIENTS> -> '
      '<model=float32@SERVER,round=int32@SERVER>)')
  out = step(State(2.0, [1, 2, 3]))
  assert type(out) is State
  assert out == State(3.0, 6)


def test_a_dict_mixing_server_and_client_values_as_two_parameters():
  @fc(at_s(np.float32), at_c(np.float32))
  def f(server, clients):
    return {'s': server, 'c': clients,
            'shifted': fx.federated_map(add, [
                fx.federated_broadcast(server), clients])}

  out = f(1.0, [1.0, 2.0])
  assert out == {'s': 1.0, 'c': [1.0, 2.0], 'shifted': [2.0, 3.0]}
  out = f(server=0.5, clients=[])
  assert out == {'s': 0.5, 'c': [], 'shifted': []}


def test_results_are_numpy_values_of_the_result_dtype():
  @fc(at_c(np.float32))
  def mean(x):
    return fx.federated_mean(x)

  out = mean([1.0, 2.0])
  assert isinstance(out, np.generic) and out.dtype == np.float32


def test_array_arguments_keep_their_shape():
  @fc(at_c((np.float32, [2, 3])))
  def total(x):
    return fx.federated_sum(x)

  out = total([np.ones([2, 3], np.float32)] * 3)
  assert out.shape == (2, 3) and out.dtype == np.float32
  np.testing.assert_array_equal(out, np.full([2, 3], 3.0))


def test_string_values():
  @fc(at_c(np.str_), at_s(np.str_))
  def f(c, s):
    return c, fx.federated_broadcast(s)

  assert f(['a', 'b'], 'hi') == (['a', 'b'], 'hi')


def test_sequences_come_back_as_lists():
  @fc(at_c(fx.SequenceType(np.int32)), fx.SequenceType(np.float32))
  def f(c, s):
    return c, s

  out = f([[1, 2], []], [0.5])
  assert out == ([[1, 2], []], [0.5])
  assert type(out[0][0]) is list and type(out[1]) is list


def test_a_clients_argument_that_is_not_a_list_is_a_type_error():
  @fc(at_c(np.int32))
  def total(x):
    return fx.federated_sum(x)

  with pytest.raises(TypeError, match=msg('{int32}@CLIENTS',
                                          'one value per client')):
    total(3)
  with pytest.raises(TypeError, match=msg('client 1', 'int32', 'float32')):
    total([1, 2.5])


# Function-typed arguments.

def test_a_computation_as_an_argument():
  @fc(fx.FunctionType(np.float32, np.float32), at_c(np.float32))
  def map_with(f, x):
    return fx.federated_map(f, x)

  double = fx.jax_computation(lambda v: v * 2, np.float32)
  half = fx.jax_computation(lambda v: v / 2, np.float32)
  assert map_with(double, [1.0, 2.0]) == [2.0, 4.0]
  assert map_with(half, [1.0, 2.0]) == [0.5, 1.0]


def test_a_federated_computation_as_an_argument():
  @fc(at_c(np.float32))
  def mean(x):
    return fx.federated_mean(x)

  @fc(fx.FunctionType(at_c(np.float32), at_s(np.float32)), at_c(np.float32))
  def apply(f, x):
    return f(x)

  assert str(apply.type_signature) == (
      '(<f=({float32}@CLIENTS -> float32@SERVER),x={float32}@CLIENTS> -> '
      'float32@SERVER)')
  assert apply(mean, [1.0, 2.0, 6.0]) == 3.0


def test_a_function_accepting_more_than_the_parameter_needs():
  # {int32}@CLIENTS accepts int32@CLIENTS: the computation gets one value
  # per client even though the call site has a single all-equal value.
  @fc(at_c(np.int32))
  def total(x):
    return fx.federated_sum(x)

  @fc(fx.FunctionType(at_c(np.int32, all_equal=True), at_s(np.int32)),
      at_c(np.int32, all_equal=True))
  def apply(f, x):
    return f(x)

  assert str(apply.type_signature) == (
      '(<f=(int32@CLIENTS -> int32@SERVER),x=int32@CLIENTS> -> int32@SERVER)')
  with interpreter.interpreter_context(default_num_clients=3):
    assert apply(total, 2) == 6

    @fc(at_s(np.int32))
    def traced(s):
      return apply(total, fx.federated_broadcast(s))

    assert traced(2) == 6


def test_a_function_returning_less_than_the_result_type_allows():
  # A function returning int32@CLIENTS used where {int32}@CLIENTS is
  # expected: its result is expanded to one value per client.
  @fc(at_s(np.int32))
  def bcast(s):
    return fx.federated_broadcast(s)

  @fc(fx.FunctionType(at_s(np.int32), at_c(np.int32)), at_s(np.int32))
  def apply_and_sum(f, x):
    return f(x), fx.federated_sum(f(x))

  assert str(apply_and_sum.type_signature) == (
      '(<f=(int32@SERVER -> {int32}@CLIENTS),x=int32@SERVER> -> '
      '<{int32}@CLIENTS,int32@SERVER>)')
  with interpreter.interpreter_context(default_num_clients=3):
    assert apply_and_sum(bcast, 2) == ([2, 2, 2], 6)


def test_a_non_computation_for_a_function_parameter_is_a_type_error():
  @fc(fx.FunctionType(np.float32, np.float32), np.float32)
  def apply(f, x):
    return f(x)

  with pytest.raises(TypeError, match=msg('argument.f', '(float32 -> float32)')):
    apply(lambda v: v, 1.0)


# The evaluator directly.

def test_evaluator_expands_all_equal_values_to_the_cardinality():
  ev = evaluator_lib.Evaluator(3)
  assert ev.coerce(5, at_c(np.int32, True), at_c(np.int32)) == [5, 5, 5]
  assert ev.coerce(5, at_c(np.int32, True), at_c(np.int32, True)) == 5
  assert ev.coerce((5, [1, 2, 3]), fx.StructType(
      [at_c(np.int32, True), at_c(np.int32)]), fx.StructType(
          [at_c(np.int32), at_c(np.int32)])) == ([5, 5, 5], [1, 2, 3])


def test_evaluator_evaluates_a_building_block():
  @fc(at_c(np.int32))
  def total(x):
    return fx.federated_sum(x)

  fn = evaluator_lib.Evaluator(2).evaluate(total.building_block)
  assert int(fn([np.int32(1), np.int32(4)])) == 5


def test_an_unbound_reference_is_a_name_error():
  bb = fx.framework.building_blocks
  ref = bb.Reference('nowhere', fx.TensorType(np.int32))
  with pytest.raises(NameError, match='nowhere'):
    evaluator_lib.Evaluator(0).evaluate(ref)
