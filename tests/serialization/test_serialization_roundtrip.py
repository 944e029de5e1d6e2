"""deserialize(serialize(x)) == x for random types and IR trees."""

from __future__ import annotations

import collections

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import federax as fx
from federax.core import building_blocks as bb
from federax.core import types
from federax.serialization import ir_codec
from federax.serialization import jax_codec
from federax.serialization import type_codec

import serialization_helpers as h

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@fx.jax_computation(np.float32)
def scale(x):
  return x * 3


@fx.jax_computation(fx.TensorType(np.int32, [None]), np.float32)
def summed(v, s):
  return {'total': v.sum(), 'scaled': s * 2}


@fx.jax_computation(fx.SequenceType(np.int32))
def seq_total(seq):
  return seq.sum()


@fx.jax_computation()
def constant():
  return np.float32(7)


COMPILED = [c.building_block for c in (scale, summed, seq_total, constant)]


def _roundtrip_types(t):
  encoder = type_codec.TypeEncoder()
  index = encoder.encode(t)
  table = [type(m).FromString(m.SerializeToString()) for m in encoder.table]
  return type_codec.decode_types(table)[index]


@SETTINGS
@given(h.any_types)
def test_types_roundtrip(t):
  decoded = _roundtrip_types(t)
  assert decoded == t
  assert str(decoded) == str(t)
  assert h.containers(decoded) == h.containers(t)


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(h.trees(COMPILED))
def test_ir_trees_roundtrip(tree):
  encoder = ir_codec.NodeEncoder()
  root = encoder.encode(tree)
  functions = [jax_codec.encode(f, encoder.types) for f in encoder.functions]
  type_table = type_codec.decode_types(encoder.types.table)
  loaded = [jax_codec.decode(m, type_table) for m in functions]
  decoded = ir_codec.decode_nodes(encoder.nodes, type_table, loaded)[root]
  h.assert_trees_match(tree, decoded)


@pytest.mark.parametrize('comp', [scale, summed, constant])
def test_compiled_results_equal(comp):
  loaded = fx.deserialize(fx.serialize(comp))
  assert loaded.type_signature == comp.type_signature
  assert loaded.parameter_names == comp.parameter_names
  args = {'scale': (np.float32(1.5),),
          'summed': (np.arange(4, dtype=np.int32), np.float32(0.25)),
          'constant': ()}[comp.name]
  assert h.leaves_equal(loaded(*args), comp(*args))


def test_seq_total_results_equal():
  loaded = fx.deserialize(fx.serialize(seq_total))
  for n in (0, 1, 5):
    assert int(loaded(list(range(n)))) == int(seq_total(list(range(n))))


class State(collections.namedtuple('State', ['model', 'step'])):
  pass


def test_containers_come_back():
  t = types.StructType([
      ('d', types.StructType([('b', np.int32), ('a', np.int32)], dict)),
      ('o', types.StructType([('z', np.int32), ('a', np.int32)],
                             collections.OrderedDict)),
      ('l', types.StructType([np.int32], list)),
      ('t', types.StructType([np.int32], tuple)),
      ('n', types.StructType([('model', np.int32), ('step', np.int32)],
                             State))])
  decoded = _roundtrip_types(t)
  assert decoded == t
  assert [e.container_type for e in decoded] == [
      dict, collections.OrderedDict, list, tuple, None]
  assert decoded.d.names() == ('a', 'b') and decoded.o.names() == ('z', 'a')


def test_shared_subtrees_are_stored_once():
  x = bb.Reference('x', types.TensorType(np.float32, [100]))
  big = bb.Struct([x] * 50)
  encoder = ir_codec.NodeEncoder()
  encoder.encode(bb.Struct([big, big]))
  assert len(encoder.nodes) == 3 and len(encoder.types.table) == 3


def test_reserializing_a_loaded_computation_is_stable():
  @fx.federated_computation(fx.type_at_clients(np.float32))
  def round_(x):
    return fx.federated_sum(fx.federated_map(scale, x))

  once = fx.serialize(fx.deserialize(fx.serialize(round_)))
  twice = fx.serialize(fx.deserialize(once))
  assert once == twice
  assert fx.serialize(round_) == fx.serialize(round_)


@SETTINGS
@given(h.literals())
def test_literals_roundtrip(literal):
  tree = bb.Lambda(None, None, literal)
  encoder = ir_codec.NodeEncoder()
  root = encoder.encode(tree)
  table = type_codec.decode_types(encoder.types.table)
  decoded = ir_codec.decode_nodes(encoder.nodes, table, [])[root]
  assert decoded == tree
  assert decoded.result.value.dtype == literal.value.dtype
