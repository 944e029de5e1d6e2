"""`normalize`: the compiler pipeline, with an IR dump after each pass.

Set `FEDERAX_DUMP_IR=1` to print the IR after every pass to stderr, or
`FEDERAX_DUMP_IR=some/dir` to write one file per pass there; or pass
`dump=` to `normalize`.
"""

from __future__ import annotations

import itertools
import os
import pathlib
import re
import sys
from typing import Callable, Sequence

from federax.compiler import _ir
from federax.compiler.call_dominant import to_call_dominant
from federax.compiler.inline_blocks import inline_blocks
from federax.compiler.inline_calls import inline_calls
from federax.compiler.merge_maps import merge_consecutive_maps
from federax.compiler.remove_unused import remove_unused_bindings
from federax.compiler.uniquify import uniquify_names
from federax.core import building_blocks as bb
from federax.core import computation as computation_lib
from federax.core import transformations

ENV_VAR = 'FEDERAX_DUMP_IR'

Pass = Callable[[_ir.Node], _ir.Node]

# The default pipeline, in order. Each pass preserves the type signature
# and the meaning of the computation.
PASSES: tuple[Pass, ...] = (
    uniquify_names,
    inline_calls,
    inline_blocks,
    remove_unused_bindings,
    merge_consecutive_maps,
    to_call_dominant,
)

_dump_counter = itertools.count(1)


def normalize(comp, passes: Sequence[Pass] | None = None, *, dump=None):
  """Runs the compiler passes on a computation or a building block.

  `comp` is an `fx.Computation` (the result is a new one with the same
  name and parameter names, which runs anywhere the original does, or
  `comp` itself when no pass changes it) or a building block (the result
  is a building block). `passes` defaults to
  `PASSES`, which ends in call-dominant form. After each pass the tree is
  checked: every reference bound, the type signature unchanged.

  `dump` shows the IR (`formatted_representation()`) before the first
  pass and after each one, labelled with the pass name: `True` prints to
  stderr, a callable is called with each labelled text, a path (a `str` or
  `pathlib.Path`) names a directory to write one file per pass into. When
  `dump` is None the `FEDERAX_DUMP_IR` environment variable decides: unset,
  empty or `0` dumps nothing, `1` prints to stderr, anything else is a
  directory.

  Example:
    >>> import numpy as np, federax as fx
    >>> from federax import compiler
    >>> @fx.federated_computation(fx.type_at_clients(np.float32))
    ... def total(x):
    ...   return fx.federated_sum(x)
    >>> normalized = compiler.normalize(total)
    >>> print(normalized.building_block)
    (x -> (let _var1=federated_sum(x) in _var1))
    >>> float(normalized([1.0, 2.0]))
    3.0
    >>> _ = compiler.normalize(total, dump=print)  # doctest: +ELLIPSIS
    === total: input ===
    (x -> federated_sum(x))
    === total: after uniquify_names ===
    ...
  """
  if isinstance(comp, computation_lib.PolymorphicComputation):
    raise TypeError(
        f'normalize: {comp.name} is polymorphic (it has no type signature '
        f'yet). Give its parameter types to the decorator, or pick one '
        f'tracing with {comp.name}.concretize(parameter_type).')
  if isinstance(comp, computation_lib.Computation):
    block = run_passes(comp.building_block, passes, dump=dump,
                       label=comp.name)
    if block is comp.building_block:
      return comp
    return computation_lib.Computation(block, comp.parameter_names,
                                       comp.name)
  if not isinstance(comp, bb.ComputationBuildingBlock):
    raise TypeError(f'normalize(comp): expected an fx.Computation or a '
                    f'building block, got {type(comp).__name__}.')
  return run_passes(comp, passes, dump=dump)


def run_passes(comp: _ir.Node, passes: Sequence[Pass] | None = None, *,
               dump=None, label: str = 'comp') -> _ir.Node:
  """Applies `passes` to a building block in order, checking each result.

  Example:
    >>> import numpy as np
    >>> from federax.core import building_blocks as bb
    >>> lit = bb.Literal(np.int32(3))
    >>> tree = bb.Block([('a', lit), ('b', lit)], bb.Reference('a',
    ...                                                        lit.type_signature))
    >>> print(run_passes(tree, [remove_unused_bindings], dump=print))
    === comp: input ===
    (let
      a=3,
      b=3
    in a)
    === comp: after remove_unused_bindings ===
    (let
      a=3
    in a)
    (let a=3 in a)
  """
  passes = PASSES if passes is None else tuple(passes)
  emit = _dumper(dump, label)
  if emit is not None:
    emit('input', comp)
  for p in passes:
    new = p(comp)
    _check(p, comp, new)
    comp = new
    if emit is not None:
      emit(f'after {_name(p)}', comp)
  return comp


def _name(p) -> str:
  return getattr(p, '__name__', type(p).__name__)


def _check(p, before, after):
  if not isinstance(after, bb.ComputationBuildingBlock):
    raise TypeError(f'Compiler pass {_name(p)} returned '
                    f'{type(after).__name__}, not a building block.')
  if not _ir.identical_types(before.type_signature, after.type_signature):
    raise AssertionError(
        f'Compiler pass {_name(p)} changed the type signature from '
        f'{before.type_signature} to {after.type_signature}.')
  try:
    transformations.check_well_scoped(after)
  except ValueError as e:
    raise AssertionError(f'Compiler pass {_name(p)} produced an ill-scoped '
                         f'tree: {e}') from None


def _dumper(dump, label):
  """A function `(title, comp)` that shows the IR, or None for no dump."""
  if dump is None:
    dump = os.environ.get(ENV_VAR, '')
    if dump.strip().lower() in ('', '0', 'false', 'no', 'off'):
      return None
    if dump.strip().lower() in ('1', 'true', 'yes', 'on', 'stderr'):
      dump = True
  if dump is False:
    return None
  if dump is True:
    return lambda title, comp: print(_text(label, title, comp),
                                      file=sys.stderr)
  if callable(dump):
    return lambda title, comp: dump(_text(label, title, comp))
  if isinstance(dump, (str, os.PathLike)):
    directory = pathlib.Path(dump)
    directory.mkdir(parents=True, exist_ok=True)
    run = next(_dump_counter)
    step = itertools.count()
    safe = re.sub(r'[^A-Za-z0-9_.-]+', '_', label)

    def write(title, comp):
      stem = re.sub(r'[^A-Za-z0-9_]+', '_', title)
      path = directory / f'{run:04d}-{safe}-{next(step):02d}-{stem}.txt'
      path.write_text(_text(label, title, comp) + '\n')
    return write
  raise TypeError(f'normalize(dump): expected True, False, None, a callable '
                  f'or a directory path, got {dump!r}.')


def _text(label, title, comp) -> str:
  return f'=== {label}: {title} ===\n{comp.formatted_representation()}'
