"""`uniquify_names`: golden before/after, and already-unique trees."""

import numpy as np

import federax as fx
from federax import compiler
from federax.core import building_blocks as bb

import compiler_programs
import compiler_testing as ct
from compiler_testing import F32, ref


def test_inner_binder_of_an_outer_name_is_renamed():
  x = ref('x', F32)
  inner = bb.Lambda('x', F32, bb.Struct([x, ref('y', F32)]))
  tree = bb.Lambda('x', F32, bb.Block([('y', x)], bb.Call(inner, x)))
  assert str(tree) == '(x -> (let y=x in (x -> <x,y>)(x)))'
  out = ct.check_pass(compiler.uniquify_names, tree)
  assert str(out) == '(x -> (let y=x in (x_1 -> <x_1,y>)(x)))'
  assert compiler.has_unique_names(out)
  assert not compiler.has_unique_names(tree)


def test_a_block_that_rebinds_a_name():
  a = ref('a', F32)
  one = bb.Struct([a]).type_signature
  tree = bb.Lambda('a', F32, bb.Block(
      [('b', bb.Struct([a])), ('a', bb.Selection(ref('b', one), 0)),
       ('c', bb.Struct([a]))], ref('c', one)))
  assert str(tree) == '(a -> (let b=<a>,a=b[0],c=<a> in c))'
  out = ct.check_pass(compiler.uniquify_names, tree)
  assert str(out) == '(a -> (let b=<a>,a_1=b[0],c=<a_1> in c))'


def test_binders_never_hide_free_names():
  tree = bb.Block([('x', ref('y', F32))], bb.Struct([ref('x', F32),
                                                     ref('y', F32)]))
  inner = bb.Lambda('y', F32, tree)
  out = compiler.uniquify_names(inner)
  assert str(out) == '(y -> (let x=y in <x,y>))'
  free = bb.Lambda('x', F32, ref('y', F32))
  assert str(compiler.uniquify_names(free)) == '(x -> y)'
  hiding = bb.Struct([ref('x', F32), bb.Lambda('x', F32, ref('x', F32))])
  assert str(compiler.uniquify_names(hiding)) == '<x,(x_1 -> x_1)>'


def test_var_names_get_fresh_var_names():
  nested = compiler_programs.corpus.nested_federated_computation
  block = nested.building_block
  assert str(block).count('_var1=') == 3
  out = ct.check_pass(compiler.uniquify_names, block)
  assert compiler.has_unique_names(out)
  assert str(out) == (
      '(arg -> (let _var3=(v -> (let _var1=federated_map(<comp#square,v>) in '
      'federated_sum(_var1)))(arg.x),_var4=(v_1 -> (let _var8=federated_map('
      '<comp#square,v_1>) in federated_sum(_var8)))(arg.y),_var5='
      'federated_zip_at_clients(<arg.x,arg.y>),_var6=federated_map('
      '<comp#add,_var5>),_var7=(v_2 -> (let _var9=federated_map('
      '<comp#square,v_2>) in federated_sum(_var9)))(_var6) in '
      '<_var3,_var4,_var7>))')


def test_unique_trees_are_returned_as_they_are():
  for program in compiler_programs.corpus.PROGRAMS[:10]:
    block = program.comp.building_block
    assert compiler.uniquify_names(block) is block


def test_a_traced_computation_with_a_python_lambda():
  @fx.federated_computation(fx.type_at_clients(np.float32))
  def f(x):
    return fx.federated_map(lambda x: x, x)

  assert str(f.building_block) == '(x -> federated_map(<(x -> x),x>))'
  assert str(compiler.uniquify_names(f.building_block)) == (
      '(x -> federated_map(<(x_1 -> x_1),x>))')
