"""`to_call_dominant` and `check_call_dominant`: golden before/after."""

import numpy as np
import pytest

import federax as fx
from federax import compiler
from federax.core import building_blocks as bb

import compiler_programs
import compiler_testing as ct
from compiler_testing import AT_C, F32, fmap, fsum, ref

corpus = compiler_programs.corpus
SQUARE = corpus.square.building_block


def _normal(name):
  program = next(p for p in compiler_programs.ALL if p.name == name)
  out = ct.check_pass(compiler.to_call_dominant, program.comp.building_block)
  compiler.check_call_dominant(out)
  return str(out)


def test_calls_are_bound_and_the_result_is_references():
  @fx.federated_computation(fx.type_at_server(np.float32))
  def broadcast_sum(s):
    return fx.federated_sum(fx.federated_broadcast(s))

  assert str(broadcast_sum.building_block) == (
      '(s -> (let _var1=federated_broadcast(s) in federated_sum(_var1)))')
  assert str(compiler.to_call_dominant(broadcast_sum.building_block)) == (
      '(s -> (let _var1=federated_broadcast(s),_var2=federated_sum(_var1) in '
      '_var2))')
  assert _normal('mean') == '(x -> (let _var1=federated_mean(x) in _var1))'


def test_nested_computations_two_levels_deep_are_one_block():
  assert _normal('nested_two_levels') == (
      '(x -> (let _var1=federated_mean(x),_var2=federated_apply(<comp#halve,'
      '_var1>),_var4=federated_broadcast(_var2),_var5=federated_zip_at_clients('
      '<x,_var4>),_var3=federated_map(<comp#add,_var5>),_var6=federated_map('
      '<comp#square,_var3>),_var7=federated_sum(_var6) in <_var7,_var1>))')


def test_a_lambda_bound_to_a_local_is_copied_where_used():
  assert _normal('lambda_bound_twice') == (
      '(x -> (let y=federated_map(<(v -> (let _var1=comp#inc(v),_var2='
      'comp#square(_var1) in _var2)),x>),_var5=federated_map(<(v_1 -> (let '
      '_var3=comp#inc(v_1),_var4=comp#square(_var3) in _var4)),x>),_var6='
      'federated_sum(_var5) in <y,_var6>))')


def test_a_called_block_and_a_converted_argument():
  assert _normal('called_block') == (
      '(arg -> (let k=federated_broadcast(arg.s),_var3=federated_map(<(_var2 '
      '-> _var2),k>),_var4=federated_sum(_var3),_var5=federated_sum(arg.x) in '
      '<<_var4,arg.s>,_var5>))')


def test_a_function_parameter_may_be_called():
  @fx.federated_computation(fx.FunctionType(np.float32, np.float32),
                            fx.type_at_clients(np.float32))
  def map_with(f, x):
    return fx.federated_sum(fx.federated_map(f, x))

  out = compiler.to_call_dominant(map_with.building_block)
  assert str(out) == ('(arg -> (let _var1=federated_map(<arg.f,arg.x>),'
                      '_var2=federated_sum(_var1) in _var2))')
  compiler.check_call_dominant(out)


def test_every_normalized_program_is_in_the_form():
  for program in compiler_programs.ALL:
    compiler.check_call_dominant(
        compiler.normalize(program.comp).building_block)


def test_a_compiled_computation_is_already_normal():
  assert compiler.to_call_dominant(SQUARE) is SQUARE
  compiler.check_call_dominant(SQUARE)


def _fn(body):
  return bb.Lambda('x', AT_C, body)


@pytest.mark.parametrize('tree,message', [
    (fsum(ref('x', AT_C)), 'expected a lambda at the top'),
    (_fn(fsum(ref('x', AT_C))), 'the result is the call federated_sum(x); bind it to a local'),
    (_fn(bb.Block([('a', bb.Block([('b', ref('x', AT_C))], ref('b', AT_C)))],
                  ref('a', AT_C))), 'local a is the nested block (let b=x in b)'),
    (_fn(bb.Block([('a', bb.Call(bb.Lambda('y', AT_C, ref('y', AT_C)),
                                 ref('x', AT_C)))], ref('a', AT_C))),
     'local a=(y -> y)(x) calls (y -> y)'),
    (_fn(bb.Block([('a', fsum(fsum(ref('x', AT_C)).argument))],
                  ref('a', fx.type_at_server(np.float32)))), None),
    (_fn(bb.Block([('a', fmap(bb.Lambda('v', F32, bb.Call(
        SQUARE, bb.Call(SQUARE, ref('v', F32)))), ref('x', AT_C)))],
                  ref('a', AT_C))),
     'the result is the call comp#square(comp#square(v))'),
])
def test_check_call_dominant_names_what_is_wrong(tree, message):
  if message is None:
    compiler.check_call_dominant(tree)
    return
  with pytest.raises(ValueError, match='Not in call-dominant form') as e:
    compiler.check_call_dominant(tree)
  assert message in str(e.value)
