"""`inline_blocks`: golden before/after on hand-built and traced IR."""

import collections

import numpy as np

import federax as fx
from federax import compiler
from federax.core import building_blocks as bb

import compiler_programs
import compiler_testing as ct
from compiler_testing import AT_C, AT_S, F32, bcast, fmap, fsum, lit, ref

corpus = compiler_programs.corpus
SQUARE = corpus.square.building_block
INC = compiler_programs.inc.building_block


def test_nested_blocks_and_reference_bindings_disappear():
  x = ref('x', AT_C)
  tree = bb.Lambda('x', AT_C, bb.Block(
      [('a', bb.Block([('b', x)], ref('b', AT_C)))], ref('a', AT_C)))
  assert str(tree) == '(x -> (let a=(let b=x in b) in a))'
  assert str(ct.check_pass(compiler.inline_blocks, tree)) == '(x -> x)'


def test_blocks_in_results_and_arguments_are_hoisted():
  x = ref('x', AT_C)
  tree = bb.Lambda('x', AT_C, bb.Struct([
      bb.Block([('a', fsum(x))], ref('a', AT_S)),
      fsum(bb.Block([('b', fmap(SQUARE, x))], ref('b', AT_C)))]))
  assert str(tree) == ('(x -> <(let a=federated_sum(x) in a),federated_sum('
                       '(let b=federated_map(<comp#square,x>) in b))>)')
  out = ct.check_pass(compiler.inline_blocks, tree)
  assert str(out) == ('(x -> (let a=federated_sum(x),b=federated_map('
                      '<comp#square,x>) in <a,federated_sum(b)>))')
  ct.assert_same_results(ct.computation(tree, 'x'), ct.computation(out, 'x'),
                         [(corpus.floats(1, 3),)])


def test_blocks_in_a_lambda_stay_in_it():
  v = ref('v', F32)
  fn = bb.Lambda('v', F32, bb.Block(
      [('w', bb.Call(SQUARE, v))],
      bb.Block([('u', bb.Call(INC, ref('w', F32)))], ref('u', F32))))
  tree = bb.Lambda('x', AT_C, fmap(fn, ref('x', AT_C)))
  assert str(tree) == ('(x -> federated_map(<(v -> (let w=comp#square(v) in '
                       '(let u=comp#inc(w) in u))),x>))')
  out = ct.check_pass(compiler.inline_blocks, tree)
  assert str(out) == ('(x -> federated_map(<(v -> (let w=comp#square(v),'
                      'u=comp#inc(w) in u)),x>))')


def test_calls_are_never_inlined():
  x = ref('x', AT_C)
  once = bb.Lambda('x', AT_C, bb.Block([('a', fsum(x))], ref('a', AT_S)))
  assert compiler.inline_blocks(once) is once
  traced = corpus.fedavg_round.building_block
  assert compiler.inline_blocks(traced) is traced


def test_trivial_values_are_inlined_wherever_used():
  arg_t = fx.StructType([('s', AT_S), ('x', AT_C)])
  arg = ref('arg', arg_t)
  broadcast = bcast(ref('s', AT_S)).function
  tree = bb.Lambda('arg', arg_t, bb.Block(
      [('s', bb.Selection(arg, name='s')), ('b', broadcast),
       ('f', SQUARE), ('k', lit(2.0)), ('p', bb.Placement(fx.CLIENTS))],
      bb.Struct([bb.Call(ref('b', broadcast.type_signature), ref('s', AT_S)),
                 ref('s', AT_S), ref('f', SQUARE.type_signature),
                 ref('f', SQUARE.type_signature), ref('k', F32),
                 ref('k', F32), ref('p', fx.PlacementType())])))
  out = ct.check_pass(compiler.inline_blocks, tree)
  assert str(out) == ('(arg -> <federated_broadcast(arg.s),arg.s,'
                      'comp#square,comp#square,2.0,2.0,CLIENTS>)')


def test_lambdas_structs_and_literals_are_inlined_when_used_once():
  x = ref('x', AT_C)
  fn = bb.Lambda('v', F32, bb.Call(SQUARE, ref('v', F32)))
  f = ref('f', fn.type_signature)
  table = bb.Literal(np.arange(3, dtype=np.float32))
  t = ref('t', table.type_signature)
  tree = bb.Lambda('x', AT_C, bb.Block(
      [('f', fn), ('g', fn), ('t', table), ('u', table)],
      bb.Struct([fmap(f, x), fmap(ref('g', fn.type_signature), x),
                 fmap(ref('g', fn.type_signature), x), t,
                 ref('u', t.type_signature), ref('u', t.type_signature)])))
  out = ct.check_pass(compiler.inline_blocks, tree)
  # `f` and `t` are used once; `g` and `u` twice: a lambda or an array is
  # not copied.
  assert str(out) == (
      '(x -> (let g=(v_1 -> comp#square(v_1)),u=[0.,1.,2.] in '
      '<federated_map(<(v -> comp#square(v)),x>),federated_map(<g,x>),'
      'federated_map(<g,x>),[0.,1.,2.],u,u>))')


def test_structs_of_references_are_inlined_and_selections_folded():
  x, y = ref('x', AT_C), ref('y', AT_C)
  pair = bb.Struct([x, y])
  p = ref('p', pair.type_signature)
  tree = bb.Lambda('x', AT_C, bb.Block(
      [('y', fmap(SQUARE, x)), ('p', pair)],
      bb.Struct([fsum(bb.Selection(p, index=0)),
                 fsum(bb.Selection(p, index=1)), p])))
  out = ct.check_pass(compiler.inline_blocks, tree)
  assert str(out) == ('(x -> (let y=federated_map(<comp#square,x>) in '
                      '<federated_sum(x),federated_sum(y),<x,y>>))')


def test_a_binding_whose_references_have_other_containers_stays():
  # Type equality ignores Python containers, but the result's container is
  # what a call returns: a reference typed as an OrderedDict is not replaced
  # by a struct typed as a plain tuple.
  x = ref('x', AT_S)
  value = bb.Struct([('q', x)])
  as_dict = fx.StructType([('q', AT_S)], collections.OrderedDict)
  tree = bb.Lambda('x', AT_S, bb.Block([('a', value)], ref('a', as_dict)))
  assert compiler.inline_blocks(tree) is tree
  comp = ct.computation(tree, 'x')
  out = ct.computation(compiler.normalize(tree), 'x')
  result = ct.run_on(ct.INTERPRETER, out, (np.float32(1.0),))
  assert isinstance(result, collections.OrderedDict)
  ct.assert_same(ct.run_on(ct.INTERPRETER, comp, (np.float32(1.0),)), result)
