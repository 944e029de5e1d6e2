"""Every program of the shared backend corpus survives a round trip.

Each program is serialized and loaded; its IR comes back equal (compiled
computations compared by type and name), and the loaded program computes
what the original does on the JAX backend (and, for some, on the
interpreter).
"""

from __future__ import annotations

import os
import sys

import pytest

import federax as fx

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), 'backends'))
import corpus  # pylint: disable=wrong-import-position

import serialization_helpers as h  # pylint: disable=wrong-import-position

INTERPRETER = fx.backends.interpreter.create_interpreter_context()
JAX = fx.backends.jax.create_jax_context(chunk_size=3)
# Programs also run on the interpreter (the rest only on the JAX backend, to
# keep the suite fast; the interpreter runs loaded code in the other tests).
ON_INTERPRETER = ('select', 'sequence_per_client', 'aggregate_named_tuple',
                  'struct_containers', 'eval_at_both_placements')


def _run(ctx, comp, args):
  with fx.framework.install_context(ctx):
    return comp(*args)


@pytest.mark.parametrize('program', corpus.PROGRAMS, ids=corpus.NAMES)
def test_corpus_program_roundtrip(program):
  loaded = fx.deserialize(fx.serialize(program.comp))
  assert loaded.name == program.comp.name
  assert loaded.parameter_names == program.comp.parameter_names
  h.assert_trees_match(program.comp.building_block, loaded.building_block)
  args = program.args[0]
  contexts = [JAX] + ([INTERPRETER] if program.name in ON_INTERPRETER else [])
  for ctx in contexts:
    want, got = _run(ctx, program.comp, args), _run(ctx, loaded, args)
    assert h.results_close(want, got), (want, got)
