"""Exporting a `JaxFunction` as StableHLO with `jax.export`.

Two functions are exported, both on flat lists of arrays (see `leaves`):
the function itself, and `jax.vmap` of it with a symbolic leading batch
dimension on every argument. The second is what the vectorized backend's
`vmap` over clients calls: `jax.export` cannot batch an exported function.
Unknown (`?`) dimensions and padded sequence lengths are symbolic. Sequence
arguments are exported with `full=False` (lengths honoured); results equal
those of a full sequence, whose length is its padded size.

Unknown dimensions first each get their own symbol; when the function needs
some of them equal (`x @ w` with `x: float32[?,3]`, `y: int32[?]` batches)
and that fails, they all share one symbol, as when federax infers result
types. Exports are cached per function object.

Example:
  >>> import numpy as np, federax as fx
  >>> from federax.serialization import jax_export
  >>> @fx.jax_computation(fx.TensorType(np.float32, [None]))
  ... def double(x):
  ...   return x * 2
  >>> artifacts = jax_export.artifacts_of(double.building_block.function)
  >>> len(artifacts.exported) > 0, len(artifacts.exported_batched) > 0
  (True, True)
"""

from __future__ import annotations

import dataclasses
import weakref

from federax.core import jax_support
from federax.core.jax_computation import JaxFunction
from federax.serialization import leaves

# Platforms every export is lowered for, so that a file written on a CPU
# machine runs on an accelerator; if lowering for all of them fails, the
# default platform alone is used.
PLATFORMS = ('cpu', 'cuda', 'tpu')


@dataclasses.dataclass(frozen=True)
class Artifacts:
  """What a serialized JAX function holds besides its types and names."""
  exported: bytes
  exported_batched: bytes  # empty for a function of no argument arrays
  result_sequences_full: tuple[bool, ...]


_CACHE: 'weakref.WeakKeyDictionary[JaxFunction, Artifacts]' = (
    weakref.WeakKeyDictionary())


def artifacts_of(function: JaxFunction) -> Artifacts:
  """The exported StableHLO of `function` (cached; reused when loaded)."""
  existing = getattr(function, 'artifacts', None)
  if isinstance(existing, Artifacts):  # A loaded function: keep its bytes.
    return existing
  cached = _CACHE.get(function)
  if cached is None:
    cached = _CACHE[function] = _export(function)
  return cached


def _export(function: JaxFunction) -> Artifacts:
  jax = jax_support.jax()
  from jax import export
  parameter_type, result_type = function.parameter_type, function.result_type
  fulls: list[bool] = []

  def flat(*args):
    arg = None if parameter_type is None else leaves.unflatten(
        list(args), parameter_type)
    out, found = leaves.flatten_result(function.lowered(arg), result_type,
                                       f'{function.name} result')
    fulls[:] = found
    return tuple(out)

  failures = []
  for platforms in (PLATFORMS, None):
    for shared in (False, True):
      try:
        dims = leaves.SymbolicDims(shared)
        specs = ([] if parameter_type is None else
                 leaves.specs(parameter_type, dims))
        exported = export.export(jax.jit(flat), platforms=platforms)(*specs)
        batched = b''
        if specs:  # `vmap` needs at least one argument array.
          b = dims.symbol('batch')
          batched_specs = [jax.ShapeDtypeStruct((b,) + s.shape, s.dtype)
                           for s in specs]
          batched = bytes(export.export(
              jax.jit(jax.vmap(flat)), platforms=platforms)(
                  *batched_specs).serialize())
        return Artifacts(bytes(exported.serialize()), batched, tuple(fulls))
      except Exception as e:  # pylint: disable=broad-except
        failures.append((platforms, shared, e))
  _, _, first = failures[0]
  detail = '; '.join(
      f'{"one shared size" if shared else "a size per dimension"}'
      f'{"" if platforms else " (default platform)"}: '
      f'{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ""}'
      for platforms, shared, e in failures)
  raise ValueError(
      f'Cannot serialize the jax_computation {function.name!r} of type '
      f'({function.parameter_type} -> {function.result_type}): jax.export '
      f'failed with unknown (`?`) dimensions and sequence lengths symbolic. '
      f'Tried {detail}. Give the parameter concrete shapes, or avoid Python '
      f'code that needs concrete sizes (int(x.shape[0]), range over a '
      f'dimension).') from first
