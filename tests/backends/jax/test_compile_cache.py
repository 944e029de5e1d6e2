"""The vectorized backend compiles a computation once per shape, and takes
stacked arguments without copying them."""

from __future__ import annotations

import collections
import contextlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import federax as fx
from federax.backends.jax import ingest as ingest_lib
from federax.core import value_conversion

at_c, at_s = fx.type_at_clients, fx.type_at_server
F32 = np.float32
COMPILE_EVENT = '/jax/core/compile/backend_compile_duration'


@contextlib.contextmanager
def count_compilations():
  """Yields a list holding one entry per XLA compilation in the block."""
  compiled = []

  def listener(event, duration, **kwargs):
    del duration, kwargs
    if event == COMPILE_EVENT:
      compiled.append(event)

  jax.monitoring.register_event_duration_secs_listener(listener)
  try:
    yield compiled
  finally:
    jax.monitoring.unregister_event_duration_listener(listener)


@fx.jax_computation(F32, F32)
def scaled(x, s):
  return x * s


def build_round():
  """A fresh two-stage computation, so that no test shares its runner."""

  @fx.federated_computation(at_s(F32), at_c(F32))
  def round_(s, x):
    y = fx.federated_map(scaled, [x, fx.federated_broadcast(s)])
    total = fx.federated_sum(y)
    return total, fx.federated_max(fx.federated_map(
        scaled, [y, fx.federated_broadcast(total)])), y

  return round_


def call(ctx, comp, *args):
  with fx.framework.install_context(ctx):
    return comp(*args)


@pytest.mark.parametrize('chunk', [None, 2])
def test_a_second_call_with_the_same_shapes_compiles_nothing(chunk):
  ctx = fx.backends.jax.create_jax_context(chunk_size=chunk)
  comp = build_round()
  x = [F32(1), F32(2), F32(3)]
  with count_compilations() as first:
    out = call(ctx, comp, F32(2), x)
  assert first, 'the first call compiles the program'
  assert ctx.runner(comp).traces == 1
  np.testing.assert_allclose(out[0], 12.0)
  with count_compilations() as second:
    out = call(ctx, comp, F32(0.5), [F32(4), F32(5), F32(6)])
    call(ctx, comp, F32(1), x)
  assert second == []
  assert ctx.runner(comp).traces == 1
  np.testing.assert_allclose(out[0], 7.5)


def test_a_new_number_of_clients_compiles_again():
  ctx = fx.backends.jax.create_jax_context(chunk_size=2)
  comp = build_round()
  call(ctx, comp, F32(1), [F32(1)] * 3)
  with count_compilations() as compiled:
    out = call(ctx, comp, F32(1), [F32(1)] * 4)
  assert compiled
  assert ctx.runner(comp).traces == 2
  assert out[0] == 4.0 and len(out[2]) == 4
  with count_compilations() as compiled:
    call(ctx, comp, F32(1), [F32(2)] * 4)
    call(ctx, comp, F32(1), [F32(2)] * 3)
  assert compiled == []
  assert ctx.runner(comp).traces == 2


def test_stacked_and_list_arguments_of_the_same_shapes_share_a_program():
  ctx = fx.backends.jax.create_jax_context(chunk_size=2)
  comp = build_round()
  x = np.arange(5, dtype=F32)
  want = call(ctx, comp, F32(1), list(x))
  with count_compilations() as compiled:
    got = call(ctx, comp, F32(1), x)
  assert compiled == [] and ctx.runner(comp).traces == 1
  np.testing.assert_array_equal(got[0], want[0])
  np.testing.assert_array_equal(got[1], want[1])


def test_each_chunk_size_has_its_own_program():
  comp = build_round()
  contexts = [fx.backends.jax.create_jax_context(chunk_size=c)
              for c in (1, 2)]
  for ctx in contexts:
    call(ctx, comp, F32(1), [F32(1)] * 3)
    assert ctx.runner(comp).traces == 1


def _ingest(value, t):
  cardinality = value_conversion.Cardinality()
  return ingest_lib.ingest(value, t, 'x', cardinality), cardinality.value


@pytest.mark.parametrize('make', [np.asarray, jnp.asarray],
                         ids=['numpy', 'jax'])
def test_a_stacked_float32_argument_is_not_copied(make):
  x = make(np.ones((5, 3), F32))
  out, n = _ingest(x, at_c((F32, [3])))
  assert out is x
  assert n == 5


def test_a_stacked_struct_argument_is_not_copied():
  x = np.ones((4, 2), F32)
  y = np.zeros((4,), np.int32)
  t = at_c(collections.OrderedDict(x=(F32, [2]), y=np.int32))
  out, n = _ingest(collections.OrderedDict(x=x, y=y), t)
  assert out[0] is x and out[1] is y
  assert n == 4


def test_a_stacked_sequence_argument_is_not_copied():
  x = np.ones((3, 2, 4), F32)  # 3 clients, 2 elements each
  out, n = _ingest(x, at_c(fx.SequenceType((F32, [4]))))
  assert out.data is x
  assert n == 3
  np.testing.assert_array_equal(out.length, [2, 2, 2])


def test_a_list_argument_is_stacked():
  x = [np.full(3, i, F32) for i in range(4)]
  out, n = _ingest(x, at_c((F32, [3])))
  assert isinstance(out, np.ndarray) and out.shape == (4, 3)
  assert n == 4
