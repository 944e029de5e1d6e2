"""`merge_consecutive_maps`: golden before/after, and results unchanged."""

import numpy as np

import federax as fx
from federax import compiler
from federax.core import building_blocks as bb

import compiler_programs
import compiler_testing as ct
from compiler_testing import AT_C, AT_S, bcast, fmap, fsum, ref

corpus = compiler_programs.corpus
SQUARE = corpus.square.building_block
INC = compiler_programs.inc.building_block
HALVE = compiler_programs.halve.building_block


def _program(name):
  return next(p for p in compiler_programs.ALL if p.name == name)


def _merged(name):
  program = _program(name)
  out = ct.check_pass(compiler.merge_consecutive_maps,
                      program.comp.building_block)
  transformed = ct.computation(out, *program.comp.parameter_names)
  ct.assert_same_results(program.comp, transformed, program.args)
  return out


def test_a_chain_of_three_maps_is_one_map():
  assert str(_program('map_chain').comp.building_block) == (
      '(x -> (let _var1=federated_map(<comp#inc,x>),_var2=federated_map('
      '<comp#square,_var1>),_var3=federated_map(<comp#halve,_var2>) in '
      'federated_sum(_var3)))')
  assert str(_merged('map_chain')) == (
      '(x -> (let _var3=federated_map(<(_var4 -> comp#halve(comp#square('
      'comp#inc(_var4)))),x>) in federated_sum(_var3)))')


def test_lambdas_are_applied_not_called():
  assert str(_merged('map_chain_with_lambdas')) == (
      '(x -> (let _var3=federated_map(<(_var4 -> comp#inc((let p='
      'comp#to_pair(_var4) in p.b))),x>) in federated_sum(_var3)))')


def test_all_equal_maps_and_applies():
  assert str(_merged('all_equal_chain')) == (
      '(arg -> (let _var1=federated_broadcast(arg.s),_var3='
      'federated_map_all_equal(<(_var8 -> comp#inc(comp#inc(_var8))),_var1>),'
      '_var5=federated_map_all_equal(<(_var9 -> comp#halve(comp#square('
      '_var9))),_var1>),_var6=federated_sum(_var5),_var7=federated_sum(arg.x) '
      'in <_var3,_var6,_var7>))')
  assert str(_merged('apply_chain')) == (
      '(s -> federated_apply(<(_var2 -> comp#halve(comp#inc(_var2))),s>))')


def test_a_value_used_twice_is_not_fused():
  block = _program('map_chain_shared').comp.building_block
  assert compiler.merge_consecutive_maps(block) is block


def test_directly_nested_maps_and_a_per_client_map_of_an_all_equal_one():
  arg_t = fx.StructType([('s', AT_S), ('x', AT_C)])
  s = bb.Selection(ref('arg', arg_t), name='s')
  x = bb.Selection(ref('arg', arg_t), name='x')
  all_equal = fmap(SQUARE, bcast(s), 'federated_map_all_equal')
  tree = bb.Lambda('arg', arg_t, bb.Struct([
      fsum(fmap(HALVE, all_equal)),
      fmap(INC, fmap(SQUARE, x))]))
  assert str(tree) == (
      '(arg -> <federated_sum(federated_map(<comp#halve,'
      'federated_map_all_equal(<comp#square,federated_broadcast(arg.s)>)>)),'
      'federated_map(<comp#inc,federated_map(<comp#square,arg.x>)>)>)')
  out = ct.check_pass(compiler.merge_consecutive_maps, tree)
  assert str(out) == (
      '(arg -> <federated_sum(federated_map(<(_var1 -> comp#halve(comp#square('
      '_var1))),federated_broadcast(arg.s)>)),federated_map(<(_var2 -> '
      'comp#inc(comp#square(_var2))),arg.x>)>)')
  # The first map is a per-client one of an all-equal value.
  assert out.result.elements[0][1].argument.function.uri == 'federated_map'
  ct.assert_same_results(
      ct.computation(tree, 's', 'x'), ct.computation(out, 's', 'x'),
      [(np.float32(1.5), corpus.floats(3, 4))], jax=True)


def test_maps_in_the_corpus_that_cannot_fuse_stay():
  for program in corpus.PROGRAMS:
    block = program.comp.building_block
    if program.name != 'nested_federated_computation':
      assert compiler.merge_consecutive_maps(block) is block, program.name
