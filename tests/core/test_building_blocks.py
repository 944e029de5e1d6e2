"""Tests of the IR: typing rules, printing, equality, traversal."""

import numpy as np
import pytest

import federax as fx
from federax.core import building_blocks as bb
from federax.core import intrinsic_defs
from federax.core import transformations

I32 = fx.TensorType(np.int32)
F32 = fx.TensorType(np.float32)


def _mean_lambda():
  x = bb.Reference('x', fx.type_at_clients(F32))
  mean = bb.Intrinsic('federated_mean', fx.FunctionType(
      fx.type_at_clients(F32), fx.type_at_server(F32)))
  return bb.Lambda('x', fx.type_at_clients(F32), bb.Call(mean, x))


def test_compact_printer_of_a_lambda():
  comp = _mean_lambda()
  assert str(comp) == '(x -> federated_mean(x))'
  assert str(comp.type_signature) == '({float32}@CLIENTS -> float32@SERVER)'


def test_every_node_kind_prints():
  ref = bb.Reference('s', fx.StructType([('a', I32), I32]))
  assert str(bb.Selection(ref, name='a')) == 's.a'
  assert str(bb.Selection(ref, index=1)) == 's[1]'
  assert str(bb.Struct([('p', ref), bb.Literal(np.int32(3))])) == '<p=s,3>'
  assert str(bb.Placement(fx.CLIENTS)) == 'CLIENTS'
  assert str(bb.Literal('hi')) == "'hi'"
  block = bb.Block([('y', bb.Selection(ref, index=0))],
                   bb.Reference('y', I32))
  assert str(block) == '(let y=s.a in y)'
  assert str(bb.Lambda(None, None, bb.Literal(np.float32(1.5)))) == '( -> 1.5)'


def test_formatted_representation_puts_bindings_on_lines():
  ref = bb.Reference('s', fx.StructType([('a', I32)]))
  block = bb.Block([('y', bb.Selection(ref, index=0)),
                    ('z', bb.Reference('y', I32))], bb.Reference('z', I32))
  lam = bb.Lambda('s', ref.type_signature, block)
  assert lam.formatted_representation() == (
      '(s -> (let\n  y=s.a,\n  z=y\nin z))')


def test_structural_equality_and_hashing():
  assert _mean_lambda() == _mean_lambda()
  assert hash(_mean_lambda()) == hash(_mean_lambda())
  other = bb.Lambda('y', fx.type_at_clients(F32), bb.Call(
      _mean_lambda().result.function, bb.Reference(
          'y', fx.type_at_clients(F32))))
  assert other != _mean_lambda()
  assert bb.Literal(np.int32(1)) == bb.Literal(np.int32(1))
  assert bb.Literal(np.int32(1)) != bb.Literal(np.int32(2))
  assert bb.Literal(np.int32(1)) != bb.Literal(np.int64(1))


def test_nodes_are_immutable():
  ref = bb.Reference('x', I32)
  with pytest.raises(AttributeError):
    ref.name = 'y'


def test_call_checks_the_argument_type():
  fn = bb.Lambda('x', I32, bb.Reference('x', I32))
  assert bb.Call(fn, bb.Literal(np.int32(1))).type_signature == I32
  with pytest.raises(TypeError, match=r'expects int32, got float32'):
    bb.Call(fn, bb.Literal(np.float32(1)))
  with pytest.raises(TypeError, match=r'needs an argument of type int32'):
    bb.Call(fn)
  with pytest.raises(TypeError, match=r'expected a function, got int32'):
    bb.Call(bb.Literal(np.int32(1)), bb.Literal(np.int32(1)))
  no_arg = bb.Lambda(None, None, bb.Literal(np.int32(1)))
  with pytest.raises(TypeError, match=r'takes no argument'):
    bb.Call(no_arg, bb.Literal(np.int32(1)))


def test_selection_checks_its_source_and_index():
  ref = bb.Reference('s', fx.StructType([('a', I32)]))
  with pytest.raises(TypeError, match=r'out of range'):
    bb.Selection(ref, index=3)
  with pytest.raises(TypeError, match=r"names of <a=int32>, got 'b'"):
    bb.Selection(ref, name='b')
  with pytest.raises(TypeError, match=r'expected a struct, got int32'):
    bb.Selection(bb.Reference('x', I32), index=0)


def test_intrinsic_type_must_instantiate_its_signature():
  bad = fx.FunctionType(fx.type_at_clients(F32), fx.type_at_server(I32))
  with pytest.raises(TypeError, match=r'not an instance of the intrinsic '
                     r'signature \(\{T\}@CLIENTS -> T@SERVER\)'):
    bb.Intrinsic('federated_sum', bad)
  with pytest.raises(ValueError, match=r'Unknown intrinsic uri'):
    bb.Intrinsic('federated_teleport', bad)


def test_literal_checks_its_type():
  assert str(bb.Literal(np.zeros([2], np.float32)).type_signature) == (
      'float32[2]')
  with pytest.raises(TypeError, match=r'does not fit'):
    bb.Literal(np.zeros([2], np.float32), fx.TensorType(np.float32, [3]))
  with pytest.raises(TypeError, match=r'expected a tensor type'):
    bb.Literal(1, fx.StructType([]))


def test_block_and_lambda_validate_their_parts():
  with pytest.raises(TypeError, match=r'non-empty str'):
    bb.Block([('', bb.Literal(np.int32(1)))], bb.Literal(np.int32(1)))
  with pytest.raises(TypeError, match=r'building block'):
    bb.Lambda('x', I32, 'not a block')
  with pytest.raises(TypeError, match=r'both be given'):
    bb.Lambda('x', None, bb.Literal(np.int32(1)))


def test_every_intrinsic_is_declared_with_uri_signature_and_kind():
  defs = intrinsic_defs.all_defs()
  uris = [d.uri for d in defs]
  assert len(uris) == len(set(uris))
  names = {d.name for d in defs}
  for name in ['federated_aggregate', 'federated_apply', 'federated_broadcast',
               'federated_eval', 'federated_map', 'federated_mean',
               'federated_min', 'federated_max', 'federated_sum',
               'federated_secure_sum', 'federated_secure_sum_bitwidth',
               'federated_secure_modular_sum', 'federated_select',
               'federated_value', 'federated_zip', 'sequence_map',
               'sequence_reduce', 'sequence_sum']:
    assert name in names
    assert hasattr(fx, name)
  sigs = {d.uri: str(d.type_signature) for d in defs}
  assert sigs['federated_aggregate'] == (
      '(<{T}@CLIENTS,U,(<U,T> -> U),(<U,U> -> U),(U -> R)> -> R@SERVER)')
  assert sigs['federated_broadcast'] == '(T@SERVER -> T@CLIENTS)'
  assert sigs['federated_map'] == '(<(T -> U),{T}@CLIENTS> -> {U}@CLIENTS)'
  assert sigs['federated_select'] == (
      '(<{T}@CLIENTS,int32@SERVER,U@SERVER,(<U,int32> -> R)> -> '
      '{R*}@CLIENTS)')
  assert sigs['sequence_reduce'] == '(<T*,U,(<U,T> -> U)> -> U)'
  kinds = {d.uri: d.kind for d in defs}
  assert kinds['federated_broadcast'] is intrinsic_defs.Kind.BROADCAST
  assert kinds['federated_sum'] is intrinsic_defs.Kind.AGGREGATION
  assert kinds['federated_secure_sum'] is (
      intrinsic_defs.Kind.SECURE_AGGREGATION)


def test_zip_accepts_any_arity_at_one_placement():
  p = fx.StructType([('a', fx.type_at_clients(I32)),
                     ('b', fx.type_at_clients(F32)),
                     ('c', fx.type_at_clients(I32))])
  r = fx.type_at_clients(fx.StructType([('a', I32), ('b', F32), ('c', I32)]))
  bb.Intrinsic('federated_zip_at_clients', fx.FunctionType(p, r))
  with pytest.raises(TypeError, match=r'federated_zip_at_clients'):
    bb.Intrinsic('federated_zip_at_clients', fx.FunctionType(
        p, fx.type_at_server(r.member)))


def test_transform_postorder_rebuilds_changed_nodes_only():
  comp = fx.federated_computation(
      lambda x: fx.federated_sum(fx.federated_map(
          fx.jax_computation(lambda v: v + 1, np.int32), x)),
      fx.type_at_clients(np.int32)).building_block
  same = transformations.transform_postorder(comp, lambda n: n)
  assert same is comp
  renamed = transformations.transform_postorder(
      comp, lambda n: bb.Reference('y', n.type_signature)
      if isinstance(n, bb.Reference) and n.name == 'x' else n)
  renamed = bb.Lambda('y', renamed.parameter_type, renamed.result)
  assert 'federated_map(<comp#<lambda>,y>)' in str(renamed)
  transformations.check_well_scoped(renamed)


def test_queries_over_a_tree():
  comp = fx.federated_computation(
      lambda x: (fx.federated_sum(x), fx.federated_mean(
          fx.federated_map(fx.jax_computation(lambda v: v * 0.5, np.int32),
                           x))),
      fx.type_at_clients(np.int32)).building_block
  assert transformations.intrinsic_uris(comp) == {
      'federated_sum', 'federated_mean', 'federated_map'}
  assert transformations.count(comp, lambda n: isinstance(n, bb.Call)) == 3
  assert transformations.free_references(comp) == set()
  assert transformations.free_references(comp.result) == {'x'}
  with pytest.raises(ValueError, match=r"Unbound reference 'x'"):
    transformations.check_well_scoped(comp.result)
  bad = bb.Lambda('x', I32, bb.Reference('x', F32))
  with pytest.raises(ValueError, match=r'has type float32 but is bound'):
    transformations.check_well_scoped(bad)
