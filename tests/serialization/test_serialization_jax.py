"""Loaded JAX computations: symbolic sizes, vmap at any depth, errors."""

from __future__ import annotations

import collections

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import federax as fx
from federax.core import sequence as sequence_lib
from federax.serialization import jax_export

F32, I32 = np.float32, np.int32


@fx.jax_computation(fx.TensorType(F32, [None, 3]), fx.TensorType(F32, [3]))
def affine(x, w):
  return {'y': x @ w, 'n': jnp.float32(x.shape[0])}


LOADED = fx.deserialize(fx.serialize(affine))


def _lowered(comp):
  return comp.building_block.function.lowered


@pytest.mark.parametrize('rows', [1, 2, 7])
def test_unknown_dimensions_are_symbolic(rows):
  x = np.arange(rows * 3, dtype=F32).reshape(rows, 3)
  w = np.array([1, 0, 2], F32)
  got, want = LOADED(x, w), affine(x, w)
  np.testing.assert_allclose(got['y'], want['y'])
  assert float(got['n']) == rows


def test_vmap_at_every_depth():
  x = np.random.default_rng(0).normal(size=(2, 4, 5, 3)).astype(F32)
  w = np.random.default_rng(1).normal(size=(4, 3)).astype(F32)

  def y_of(comp):  # The result is a dict: sorted, so `y` is element 1.
    return lambda a, b: _lowered(comp)((a, b))[1]

  assert y_of(LOADED)(x[0, 0], w[0]).shape == (5,)
  for axes in [(0, 0), (0, None), (None, 0)]:
    xs = x[0] if axes[0] == 0 else x[0, 0]
    ws = w if axes[1] == 0 else w[0]
    want = jax.vmap(y_of(affine), axes)(xs, ws)
    got = jax.jit(jax.vmap(y_of(LOADED), axes))(xs, ws)
    np.testing.assert_allclose(got, want, rtol=1e-6)
  # Two and three levels: the rule of the inner vmap is batched again.
  inner = jax.vmap(y_of(LOADED), (0, None))   # matrices [c,5,3], one w
  got2 = jax.vmap(inner, (None, 0))(x[0], w)  # and 4 w's
  np.testing.assert_allclose(got2, np.einsum('cnk,wk->wcn', x[0], w),
                             rtol=1e-5)
  got3 = jax.jit(jax.vmap(jax.vmap(inner, (None, 0)), (0, None)))(x, w)
  np.testing.assert_allclose(got3, np.einsum('bcnk,wk->bwcn', x, w),
                             rtol=1e-5)


@fx.jax_computation(fx.SequenceType(collections.OrderedDict(
    x=fx.TensorType(F32, [2]), y=fx.TensorType(I32))))
def scaled(seq):
  return seq.map(lambda e: collections.OrderedDict(x=e['x'] * 2, y=e['y']))


def test_sequences_keep_length_and_padding():
  loaded = fx.deserialize(fx.serialize(scaled))
  artifacts = jax_export.artifacts_of(scaled.building_block.function)
  assert artifacts.result_sequences_full == (False,)
  elements = [collections.OrderedDict(x=np.full(2, i, F32), y=I32(i))
              for i in range(3)]
  got, want = loaded(elements), scaled(elements)
  assert len(got) == len(want) == 3
  for g, w in zip(got, want):
    np.testing.assert_array_equal(g['x'], w['x'])
    assert type(g) is collections.OrderedDict
  # A full sequence (no padding) goes in; lengths come back.
  data = (np.ones((4, 2), F32), np.arange(4, dtype=I32))
  seq = sequence_lib.Sequence(scaled.type_signature.parameter.element, data,
                              np.int32(4), full=True)
  out = _lowered(loaded)(seq)
  assert int(out.length) == 4 and out.data[0].shape == (4, 2)


def test_ragged_sequences_are_refused_clearly():
  loaded = fx.deserialize(fx.serialize(affine_sum))
  with pytest.raises(TypeError, match='same shape'):
    loaded([np.ones((2, 3), F32), np.ones((1, 3), F32)])
  assert float(loaded([np.ones((2, 3), F32)] * 2)) == 12.0


@fx.jax_computation(fx.SequenceType(fx.TensorType(F32, [None, 3])))
def affine_sum(seq):
  return seq.reduce(F32(0), lambda acc, x: acc + x.sum())


def test_functions_that_need_concrete_sizes_fail_to_serialize():
  @fx.jax_computation(fx.TensorType(F32, [None]))
  def concrete(x):
    return jnp.zeros(int(x.shape[0]) + 1)

  with pytest.raises(ValueError, match="jax_computation 'concrete'"):
    fx.serialize(concrete)


def test_what_cannot_be_serialized():
  @fx.jax_computation
  def poly(x):
    return x

  with pytest.raises(TypeError, match='polymorphic'):
    fx.serialize(poly)
  with pytest.raises(TypeError, match='expected an fx.Computation'):
    fx.serialize(lambda x: x)


def test_loaded_function_inside_a_federated_computation():
  loaded = fx.deserialize(fx.serialize(affine))

  @fx.federated_computation(fx.type_at_clients(fx.TensorType(F32, [None, 3])),
                            fx.type_at_server(fx.TensorType(F32, [3])))
  def total(x, w):
    out = fx.federated_map(loaded, (x, fx.federated_broadcast(w)))
    return fx.federated_sum(out.n)

  xs = [np.ones((2, 3), F32)] * 3
  assert float(total(xs, np.ones(3, F32))) == 6.0
  again = fx.deserialize(fx.serialize(total))
  with fx.backends.interpreter.interpreter_context():
    assert float(again(xs, np.ones(3, F32))) == 6.0


def test_loaded_computation_called_inside_jax_code():
  @fx.jax_computation(fx.TensorType(F32, [None, 3]))
  def outer(x):
    return LOADED(x, w=jnp.ones(3, F32))['y'].sum()

  assert float(outer(np.ones((2, 3), F32))) == 6.0


def test_parameters_without_arrays():
  @fx.jax_computation(fx.StructType([]))
  def empty(s):
    del s
    return np.float32(1)

  loaded = fx.deserialize(fx.serialize(empty))
  assert not jax_export.artifacts_of(
      loaded.building_block.function).exported_batched
  assert float(loaded(())) == 1.0
