"""The vectorized JAX backend computes what the reference interpreter does.

Every program of the shared corpus (`corpus.py`) runs on the interpreter
and on the JAX backend with several chunk sizes; results must agree: floats
to a relative error of 1e-6, integers exactly, and the Python structure
(containers, their types, dtypes and shapes) identically.
"""

from __future__ import annotations

import collections
import functools
import logging

import numpy as np
import pytest

import federax as fx
from federax.backends.jax.ingest import is_clients
from federax.core import structure
from federax.core import types

import corpus
from corpus import assert_same

CHUNKS = (None, 1, 3)
C, S = fx.CLIENTS, fx.SERVER
at_c, at_s = fx.type_at_clients, fx.type_at_server
fc = fx.federated_computation

# One context per chunk size for the whole module, so that programs compiled
# for one test are reused by the next (same shapes compile once).
INTERPRETER = fx.backends.interpreter.create_interpreter_context()
JAX = {chunk: fx.backends.jax.create_jax_context(chunk_size=chunk)
       for chunk in CHUNKS}


def parameter_types(comp) -> list:
  t = comp.type_signature.parameter
  if t is None:
    return []
  return [t] if len(comp.parameter_names) == 1 else list(t)


def run_on(ctx, comp, args):
  with fx.framework.install_context(ctx):
    return comp(*args)


def num_clients(program, args) -> int:
  return max([len(a) for a, t in zip(args, parameter_types(program.comp))
              if is_clients(t)], default=0)


def _cases():
  for p in corpus.PROGRAMS:
    for i, args in enumerate(p.args):
      # With at most one client every chunk size gives the same plan (one
      # chunk of min(chunk_size, clients)): run those on one context only.
      for chunk in CHUNKS if num_clients(p, args) > 1 else (None,):
        yield pytest.param(p, i, chunk, id=f'{p.name}-{i}-chunk={chunk}')


CASES = list(_cases())


@functools.cache
def expected(name, i):
  program = next(p for p in corpus.PROGRAMS if p.name == name)
  return run_on(INTERPRETER, program.comp, program.args[i])


def test_the_corpus_uses_every_intrinsic():
  from federax.backends.interpreter import intrinsic_impls
  from federax.core import transformations
  from federax.core import building_blocks as bb
  used = set()
  for p in corpus.PROGRAMS:
    for node in transformations.postorder(p.comp.building_block):
      if isinstance(node, bb.Intrinsic):
        used.add(node.uri)
  assert used == set(intrinsic_impls.IMPLS), set(intrinsic_impls.IMPLS) - used


def test_the_corpus_has_zero_one_and_uneven_numbers_of_clients():
  counts = set()
  for p in corpus.PROGRAMS:
    for args in p.args:
      for a, t in zip(args, parameter_types(p.comp)):
        if is_clients(t):
          counts.add(len(a))
  assert {0, 1, 5} <= counts


@pytest.mark.parametrize('program,i,chunk', CASES)
def test_jax_backend_agrees_with_the_interpreter(program, i, chunk):
  got = run_on(JAX[chunk], program.comp, program.args[i])
  assert_same(expected(program.name, i), got)


# CLIENTS arguments in the stacked fast form.

class Ragged(Exception):
  pass


def _stack(members, t):
  """Per-client Python values of `t` as arrays with a leading clients axis."""
  if isinstance(t, types.StructType):
    columns = [_stack([structure.elements_of(m)[k][1] for m in members], e)
               for k, e in enumerate(t)]
    return structure.build(t.container_type, t.names(), columns)
  if isinstance(t, types.SequenceType):
    lengths = {len(m) for m in members}
    if len(lengths) != 1 or not members:
      raise Ragged()
    return _stack([_stack(m, t.element) for m in members],
                  _with_leading(t.element))
  if not members:
    return np.zeros((0,) + tuple(t.shape), t.dtype)
  return np.stack([np.asarray(m, t.dtype) for m in members])


def _with_leading(t):
  if isinstance(t, types.StructType):
    return types.StructType([(n, _with_leading(e)) for n, e in t.elements],
                            t.container_type)
  return types.TensorType(t.dtype, (None,) + tuple(t.shape))


def stacked_args(program, args):
  """`args` with every stackable CLIENTS argument stacked, and how many."""
  out, count = [], 0
  for a, t in zip(args, parameter_types(program.comp)):
    if is_clients(t):
      try:
        a = _stack(a, t.member)
        count += 1
      except Ragged:
        pass
    out.append(a)
  return tuple(out), count


STACKABLE = [pytest.param(p, i, chunk, id=f'{p.name}-{i}-chunk={chunk}')
             for p in corpus.PROGRAMS for i in range(len(p.args))
             if stacked_args(p, p.args[i])[1]
             for chunk in ((None, 3) if num_clients(p, p.args[i]) > 1 else
                           (None,))]


@pytest.mark.parametrize('program,i,chunk', STACKABLE)
def test_stacked_clients_arguments_give_the_same_results(program, i, chunk):
  args, _ = stacked_args(program, program.args[i])
  got = run_on(JAX[chunk], program.comp, args)
  assert_same(expected(program.name, i), got)


def test_stacked_form_is_used_for_most_programs():
  assert len({(p.values[0].name, p.values[1]) for p in STACKABLE}) >= 40


def test_stacked_jax_arrays():
  import jax
  program = next(p for p in corpus.PROGRAMS if p.name == 'struct_containers')
  args, _ = stacked_args(program, program.args[2])
  args = jax.tree_util.tree_map(jax.numpy.asarray, args)
  assert isinstance(args[1].kernel, jax.Array)
  assert_same(expected(program.name, 2), run_on(JAX[3], program.comp, args))


def test_stacked_sequences_of_structs():
  data = corpus._client_datasets(7, 4, min_batches=2, max_batches=2)
  model = corpus._model(8)
  want = run_on(INTERPRETER, corpus.fedavg_round, (model, data))
  stacked = collections.OrderedDict(
      x=np.stack([np.stack([b['x'] for b in d]) for d in data]),
      y=np.stack([np.stack([b['y'] for b in d]) for d in data]))
  assert stacked['x'].shape == (4, 2, corpus.BATCH, corpus.NUM_FEATURES)
  assert_same(want, run_on(JAX[3], corpus.fedavg_round, (model, stacked)))


# User errors raise the same exceptions on both backends.

def _bad_calls():
  f64 = [np.ones(3)] * 2
  yield 'float64 for float32', corpus.map_clients, (f64,), TypeError
  yield 'floats for ints', corpus.min_max, (
      [[0.5, 1, 2]], corpus.floats(1, 1, [2])), TypeError
  yield 'no list', corpus.map_clients, (np.float32(1.0),), TypeError
  yield 'wrong shape', corpus.map_clients, (
      [np.ones(2, np.float32)],), TypeError
  yield 'conflicting cardinalities', corpus.sums, (
      corpus.ints(1, 3, [2]), corpus.floats(1, 2, [2, 2])), ValueError
  yield 'conflicting in struct', corpus.zip_nested_names, (
      corpus.floats(1, 2), corpus.ints(1, 2), corpus.floats(1, 3)), ValueError
  yield 'server value as list', corpus.broadcast_and_add, (
      [np.float32(1)], corpus.floats(1, 2)), TypeError
  yield 'missing struct key', corpus.struct_containers, (
      [{'x': np.zeros(2, np.float32)}], corpus._weights(1, 1),
      corpus._dicts(1, 1)), TypeError
  yield 'wrong sequence element', corpus.sequence_per_client, (
      [[np.int32(1)]],), TypeError
  yield 'too many arguments', corpus.map_clients, (
      corpus.floats(1, 1, [3]), 2), TypeError
  yield 'select key out of range', corpus.select, (
      [np.array([0, 6, 1], np.int32)], np.int32(6),
      np.zeros((6, 2), np.float32)), ValueError
  yield 'select negative key', corpus.select, (
      corpus._keys(1, 4)[:3] + [np.array([0, -1, 1], np.int32)],
      np.int32(6), np.zeros((6, 2), np.float32)), ValueError
  yield 'select max_key too small', corpus.select, (
      corpus._keys(1, 5), np.int32(1), np.zeros((6, 2), np.float32)), \
      ValueError


BAD_CALLS = [pytest.param(*rest, id=name) for name, *rest in _bad_calls()]


@pytest.mark.parametrize('comp,args,error', BAD_CALLS)
def test_user_errors_raise_the_same_exception_types(comp, args, error):
  with pytest.raises(error):
    run_on(INTERPRETER, comp, args)
  for chunk in (None, 3):
    with pytest.raises(error):
      run_on(JAX[chunk], comp, args)


def test_stacked_arguments_with_a_wrong_dtype_or_cardinality():
  with pytest.raises(TypeError, match='float32'):
    run_on(JAX[None], corpus.map_clients, (np.ones((2, 3)),))
  with pytest.raises(TypeError, match='float32'):
    run_on(JAX[None], corpus.map_clients, (np.ones((2, 4), np.float32),))
  with pytest.raises(TypeError):
    run_on(JAX[None], corpus.map_clients, (np.float32(1.0),))
  with pytest.raises(ValueError, match='conflicting cardinalities'):
    run_on(JAX[None], corpus.sums, (np.zeros((3, 2), np.int32),
                                    np.zeros((2, 2, 2), np.float32)))
  with pytest.raises(ValueError, match='conflicting cardinalities'):
    run_on(JAX[None], corpus.sums, (np.zeros((3, 2), np.int32),
                                    corpus.floats(1, 2, [2, 2])))


def test_a_failed_select_does_not_poison_the_next_call():
  bad = ([np.array([0, 7, 1], np.int32)], np.int32(6),
         np.zeros((6, 2), np.float32))
  with pytest.raises(ValueError, match='federated_select'):
    run_on(JAX[1], corpus.select, bad)
  program = next(p for p in corpus.PROGRAMS if p.name == 'select')
  assert_same(expected('select', 1), run_on(JAX[1], program.comp,
                                            program.args[1]))


def test_select_errors_are_raised_after_a_call_with_no_clients():
  # Each compiled program reports its own checks, whatever other programs
  # of the same computation (here, one for zero clients) report.
  ctx = fx.backends.jax.create_jax_context(chunk_size=2)
  table = np.zeros((6, 2), np.float32)
  bad = ([np.array([0, 7, 1], np.int32)] * 5, np.int32(6), table)
  with pytest.raises(ValueError, match='federated_select'):
    run_on(ctx, corpus.select, bad)
  assert run_on(ctx, corpus.select, ([], np.int32(6), table))[0] == []
  with pytest.raises(ValueError, match='federated_select'):
    run_on(ctx, corpus.select, bad)


# What the JAX backend cannot lower runs on the interpreter.

def _fallback(caplog, comp, *args):
  caplog.clear()
  with caplog.at_level(logging.DEBUG, logger='federax'):
    out = run_on(JAX[None], comp, args)
  lines = [r.getMessage() for r in caplog.records if r.name == 'federax']
  assert any('interpreter' in line for line in lines), lines
  return out


def test_hello_world_falls_back_to_the_interpreter(caplog):
  assert _fallback(caplog, fc(lambda: 'Hello World')) == 'Hello World'


def test_federated_value_of_a_string_falls_back(caplog):
  @fc(at_c(np.int32))
  def f(x):
    return (fx.federated_value('hi', S), fx.federated_value('yo', C),
            fx.federated_sum(x))

  want = run_on(INTERPRETER, f, ([1, 2, 3],))
  got = _fallback(caplog, f, [1, 2, 3])
  assert got == want == ('hi', 'yo', 6)
  assert type(got[2]) is type(want[2])


def test_string_arguments_fall_back(caplog):
  @fc(at_c(np.str_), at_s(np.str_))
  def f(c, s):
    return c, fx.federated_broadcast(s)

  assert _fallback(caplog, f, ['a', 'b'], 'hi') == (['a', 'b'], 'hi')


def test_function_parameters_fall_back(caplog):
  @fc(fx.FunctionType(np.float32, np.float32), at_c(np.float32))
  def map_with(f, x):
    return fx.federated_sum(fx.federated_map(f, x))

  x = corpus.floats(3, 4)
  want = run_on(INTERPRETER, map_with, (corpus.square, x))
  got = _fallback(caplog, map_with, corpus.square, x)
  assert_same(want, got)


def test_a_clients_result_without_arrays_falls_back(caplog):
  # {<>}@CLIENTS: no array of the result records the number of clients.
  @fc(at_c(np.float32))
  def f(x):
    return fx.federated_map(fx.jax_computation(lambda v: (), np.float32), x)

  assert _fallback(caplog, f, [1.0, 2.0]) == [(), ()]


def test_64_bit_values_fall_back_while_jax_runs_in_32_bits(caplog):
  @fc(at_c(np.int64))
  def total(x):
    return fx.federated_sum(x)

  x = [np.int64(2**40), np.int64(3)]
  assert _fallback(caplog, total, x) == run_on(INTERPRETER, total, (x,))


def test_default_num_clients_without_clients_arguments():
  @fc(at_s(np.float32))
  def f(s):
    return (fx.federated_eval(corpus.two, C),
            fx.federated_sum(fx.federated_value(np.float32(1.5), C)),
            fx.federated_mean(fx.federated_map(corpus.square,
                                               fx.federated_broadcast(s))))

  want = run_on(fx.backends.interpreter.create_interpreter_context(3), f,
                (np.float32(2.0),))
  assert len(want[0]) == 3
  for chunk in (None, 2):
    ctx = fx.backends.jax.create_jax_context(chunk_size=chunk,
                                             default_num_clients=3)
    assert_same(want, run_on(ctx, f, (np.float32(2.0),)))


def test_clients_values_of_different_shapes_fall_back(caplog):
  total = fx.jax_computation(lambda v: v.sum(), (np.float32, [None]))

  @fc(at_c((np.float32, [None])))
  def f(x):
    return fx.federated_sum(fx.federated_map(total, x)), x

  x = [np.ones(2, np.float32), np.ones(3, np.float32)]
  assert_same(run_on(INTERPRETER, f, (x,)), _fallback(caplog, f, x))
