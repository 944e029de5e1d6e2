"""`remove_unused_bindings`: golden before/after."""


from federax import compiler
from federax.core import building_blocks as bb

import compiler_programs
import compiler_testing as ct
from compiler_testing import AT_C, AT_S, F32, fmap, fsum, lit, ref

SQUARE = compiler_programs.corpus.square.building_block


def test_a_traced_unused_call_is_removed_with_what_only_it_used():
  program = next(p for p in compiler_programs.PROGRAMS
                 if p.name == 'dead_code')
  block = program.comp.building_block
  assert str(block) == ('(x -> (let _var1=federated_map(<comp#inc,x>),'
                        '_var2=federated_max(_var1) in federated_sum(x)))')
  out = ct.check_pass(compiler.remove_unused_bindings, block)
  assert str(out) == '(x -> federated_sum(x))'
  ct.assert_same_results(program.comp, ct.computation(out, 'x'), program.args)


def test_used_bindings_stay_in_order():
  x = ref('x', AT_C)
  tree = bb.Lambda('x', AT_C, bb.Block(
      [('a', fmap(SQUARE, x)), ('b', fsum(x)), ('c', fsum(ref('a', AT_C))),
       ('d', lit(1.0))],
      bb.Struct([ref('c', AT_S), ref('a', AT_C)])))
  out = ct.check_pass(compiler.remove_unused_bindings, tree)
  assert str(out) == ('(x -> (let a=federated_map(<comp#square,x>),'
                      'c=federated_sum(a) in <c,a>))')


def test_a_reference_counts_for_the_nearest_binder():
  # The first `a` is hidden by the second before the result reads `a`.
  x = ref('x', F32)
  tree = bb.Lambda('x', F32, bb.Block(
      [('a', bb.Call(SQUARE, x)), ('a', bb.Struct([x])), ('b', lit(2.0))],
      ref('a', bb.Struct([x]).type_signature)))
  out = ct.check_pass(compiler.remove_unused_bindings, tree)
  assert str(out) == '(x -> (let a=<x> in a))'


def test_blocks_inside_lambdas_are_pruned_too():
  v = ref('v', F32)
  fn = bb.Lambda('v', F32, bb.Block([('w', bb.Call(SQUARE, v))], v))
  tree = bb.Lambda('x', AT_C, fmap(fn, ref('x', AT_C)))
  out = ct.check_pass(compiler.remove_unused_bindings, tree)
  assert str(out) == '(x -> federated_map(<(v -> v),x>))'


def test_nothing_unused():
  block = compiler_programs.corpus.fedavg_round.building_block
  assert compiler.remove_unused_bindings(block) is block
