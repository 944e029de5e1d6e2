"""`inline_calls`: golden before/after on traced and hand-built IR."""

import numpy as np

import federax as fx
from federax import compiler
from federax.core import building_blocks as bb

import compiler_programs
import compiler_testing as ct
from compiler_testing import AT_C, F32, I32, lit, ref


def _program(name):
  return next(p for p in compiler_programs.ALL if p.name == name)


def test_a_nested_federated_computation_becomes_a_block():
  inner = fx.federated_computation(lambda v: fx.federated_sum(v), AT_C)

  @fx.federated_computation(AT_C)
  def outer(x):
    return inner(x)

  assert str(outer.building_block) == '(x -> (v -> federated_sum(v))(x))'
  out = ct.check_pass(compiler.inline_calls, outer.building_block)
  assert str(out) == '(x -> (let v=x in federated_sum(v)))'
  ct.assert_same_results(outer, ct.computation(out, 'x'), [([1.0, 2.0],)])


def test_a_call_without_argument_is_its_body():
  program = _program('nested_without_parameter')
  assert str(program.comp.building_block) == (
      '(s -> (let _var1=( -> federated_value_at_server(2.0))() in '
      'federated_zip_at_server(<s,_var1>)))')
  out = ct.check_pass(compiler.inline_calls, program.comp.building_block)
  assert str(out) == ('(s -> (let _var1=federated_value_at_server(2.0) in '
                      'federated_zip_at_server(<s,_var1>)))')


def test_copies_of_one_computation_get_their_own_names():
  program = _program('nested_two_levels')
  out = ct.check_pass(compiler.inline_calls, program.comp.building_block)
  assert str(out) == (
      '(x -> (let _var1=federated_mean(x),_var2=federated_apply('
      '<comp#halve,_var1>),_var7=(let arg=<x=x,m=_var2> in (let '
      '_var4=federated_broadcast(arg.m),_var5=federated_zip_at_clients('
      '<arg.x,_var4>),_var3=federated_map(<comp#add,_var5>) in (let v=_var3 '
      'in (let _var6=federated_map(<comp#square,v>) in federated_sum(_var6)'
      ')))) in <_var7,_var1>))')
  assert 'v ->' not in str(out) and 'arg ->' not in str(out)


def test_an_all_equal_argument_is_converted_explicitly():
  program = _program('nested_with_all_equal_argument')
  out = ct.check_pass(compiler.inline_calls, program.comp.building_block)
  # `v` is {float32}@CLIENTS; the broadcast `_var1` is float32@CLIENTS.
  assert str(out) == (
      '(arg -> (let _var1=federated_broadcast(arg.s),_var2=(let _var6=_var1,'
      'v=federated_map(<(_var7 -> _var7),_var6>) in (let _var4=federated_map('
      '<comp#square,v>) in federated_sum(_var4))),_var3=(let v_1=arg.x in '
      '(let _var5=federated_map(<comp#square,v_1>) in federated_sum(_var5)'
      ')) in <_var2,_var3>))')
  ct.assert_same_results(program.comp, ct.computation(out, 's', 'x'),
                         program.args, jax=True)


def test_an_unnamed_struct_for_a_named_parameter():
  named = fx.StructType([('a', F32), ('b', I32)])
  lam = bb.Lambda('p', named, bb.Selection(ref('p', named), name='b'))
  tree = bb.Call(lam, bb.Struct([lit(1.0), bb.Literal(np.int32(2))]))
  assert str(tree) == '(p -> p.b)(<1.0,2>)'
  out = ct.check_pass(compiler.inline_calls, tree)
  assert str(out) == '(let _var1=<1.0,2>,p=<a=_var1[0],b=_var1[1]> in p.b)'
  original = ct.computation(bb.Lambda(None, None, tree))
  ct.assert_same_results(original, ct.computation(bb.Lambda(None, None, out)),
                         [()])


def test_a_call_of_a_block_that_ends_in_a_lambda():
  y = ref('y', F32)
  fn = bb.Block([('a', lit(2.0))], bb.Lambda('y', F32, bb.Struct([
      y, ref('a', F32)])))
  tree = bb.Lambda('x', F32, bb.Call(fn, ref('x', F32)))
  assert str(tree) == '(x -> (let a=2.0 in (y -> <y,a>))(x))'
  out = ct.check_pass(compiler.inline_calls, tree)
  assert str(out) == '(x -> (let a=2.0,y=x in <y,a>))'
  ct.assert_same_results(ct.computation(tree, 'x'), ct.computation(out, 'x'),
                         [(np.float32(3.0),)])


def test_a_more_specific_unplaced_tensor_is_left_alone():
  vec = fx.TensorType(np.float32, [None])
  tree = bb.Call(bb.Lambda('v', vec, ref('v', vec)),
                 bb.Literal(np.zeros(3, np.float32)))
  # A reference must have exactly its binding's type, and no IR node turns a
  # float32[3] into a float32[?]: the call stays.
  assert compiler.inline_calls(tree) == tree


def test_nothing_to_inline():
  block = compiler_programs.corpus.fedavg_round.building_block
  assert compiler.inline_calls(block) is block
