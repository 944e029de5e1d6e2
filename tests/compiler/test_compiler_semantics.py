"""Every pass keeps the meaning of every program.

Each pass runs on each program of the backends' corpus and of
`compiler_programs`; the result must be well scoped, have an identical type
signature (containers included), and compute what the original computes on
the reference interpreter, for every argument tuple. The whole pipeline's
output also runs on the vectorized JAX backend (compared with the
interpreter's result for the original, which the backends tests already
compare with the JAX backend's), and so does each single pass on the
programs built to exercise it.
"""

import pytest

import federax as fx
from federax import compiler
from federax.compiler import _ir
from federax.core import transformations

import compiler_programs
import compiler_testing as ct

PROGRAMS = compiler_programs.ALL
PASSES = list(compiler.PASSES) + [compiler.normalize]
# Programs whose single passes also run on the JAX backend.
JAX_PER_PASS = ('map_chain', 'all_equal_chain', 'nested_with_all_equal_argument',
                'nested_two_levels', 'lambda_bound_twice', 'called_block')


def _transformed(program, p):
  block = program.comp.building_block
  out = p(block)
  transformations.check_well_scoped(out)
  assert _ir.identical_types(out.type_signature, block.type_signature)
  return fx.Computation(out, program.comp.parameter_names, program.comp.name)


@pytest.mark.parametrize('p', PASSES, ids=lambda p: p.__name__)
@pytest.mark.parametrize('program', PROGRAMS, ids=lambda p: p.name)
def test_pass_keeps_results_on_the_interpreter(program, p):
  transformed = _transformed(program, p)
  ct.assert_same_results(program.comp, transformed, program.args)


@pytest.mark.parametrize('program', PROGRAMS, ids=lambda p: p.name)
def test_normalized_program_runs_on_the_jax_backend(program):
  normalized = compiler.normalize(program.comp)
  compiler.check_call_dominant(normalized.building_block)
  for args in program.args[:1]:
    want = ct.run_on(ct.INTERPRETER, program.comp, args)
    ct.assert_same(want, ct.run_on(ct.JAX, normalized, args))


@pytest.mark.parametrize('p', compiler.PASSES, ids=lambda p: p.__name__)
@pytest.mark.parametrize('name', JAX_PER_PASS)
def test_pass_keeps_results_on_the_jax_backend(name, p):
  program = next(q for q in PROGRAMS if q.name == name)
  transformed = _transformed(program, p)
  if transformed.building_block == program.comp.building_block:
    return  # Unchanged: the backends tests run it already.
  for args in program.args:
    want = ct.run_on(ct.INTERPRETER, program.comp, args)
    ct.assert_same(want, ct.run_on(ct.JAX, transformed, args))


@pytest.mark.parametrize('program', PROGRAMS, ids=lambda p: p.name)
def test_call_dominant_form_is_a_fixed_point(program):
  once = compiler.to_call_dominant(program.comp.building_block)
  assert compiler.to_call_dominant(once) == once
  assert compiler.normalize(compiler.normalize(program.comp)).building_block \
      == compiler.normalize(program.comp).building_block


def test_the_corpus_exercises_every_pass():
  changed = {p.__name__: 0 for p in compiler.PASSES}
  for program in PROGRAMS:
    block = program.comp.building_block
    for p in compiler.PASSES:
      if p(block) != block:
        changed[p.__name__] += 1
  assert all(changed.values()), changed
