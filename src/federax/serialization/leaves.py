"""The calling convention of exported JAX computations: flat lists of arrays.

A value of the internal form (structs are tuples, sequences are stacked
`Sequence`s) is flattened in type order: a tensor is one leaf; a struct,
its elements' leaves; a sequence, its element's leaves (each with a leading
padded axis) followed by its `int32` length. The same order gives the
abstract arguments of `jax.export`, with a symbolic dimension for each
unknown (`?`) dimension and each padded sequence length.

Example:
  >>> import numpy as np, federax as fx
  >>> from federax.serialization import leaves
  >>> t = fx.StructType([fx.TensorType(np.float32, [None, 3]),
  ...                    fx.SequenceType(np.int32)])
  >>> [(str(np.dtype(d)), s) for d, s in leaves.leaf_types(t)]
  [('float32', (None, 3)), ('int32', (None,)), ('int32', ())]
"""

from __future__ import annotations

import numpy as np

from federax.core import jax_support
from federax.core import sequence as sequence_lib
from federax.core import types


def leaf_types(t: types.Type) -> list[tuple[np.dtype, tuple | None]]:
  """`(dtype, shape)` of each leaf of `t`; None marks unknown sizes."""
  out = []
  _leaf_types(t, (), out)
  return out


def _leaf_types(t, prefix, out):
  if isinstance(t, types.TensorType):
    out.append((t.dtype, None if t.shape is None else prefix + t.shape))
  elif isinstance(t, types.StructType):
    for e in t:
      _leaf_types(e, prefix, out)
  elif isinstance(t, types.SequenceType):
    if prefix:
      raise TypeError(f'a sequence inside a sequence ({t}) has no leaves')
    _leaf_types(t.element, (None,), out)
    out.append((np.dtype(np.int32), ()))
  else:
    raise TypeError(f'{t} is not a type a JAX computation takes or returns')


def count_sequences(t: types.Type) -> int:
  """How many sequences `t` holds (each contributes a length leaf)."""
  if isinstance(t, types.SequenceType):
    return 1
  if isinstance(t, types.StructType):
    return sum(count_sequences(e) for e in t)
  return 0


class SymbolicDims:
  """Makes the symbolic dimensions of one export (all in one scope).

  With `shared`, every unknown tensor dimension is the same symbol (as
  when federax infers result types, tracing all of them at one size);
  otherwise each gets its own. Each padded sequence length gets its own.
  """

  def __init__(self, shared: bool):
    from jax import export
    self._export = export
    self._scope = export.SymbolicScope()
    self._shared = shared
    self._count = 0

  def symbol(self, name: str):
    return self._export.symbolic_shape(name, scope=self._scope)[0]

  def unknown(self):
    if self._shared:
      return self.symbol('d')
    self._count += 1
    return self.symbol(f'd{self._count}')

  def length(self):
    self._count += 1
    return self.symbol(f'n{self._count}')


def specs(t: types.Type, dims: SymbolicDims) -> list:
  """Abstract leaves of `t` (`jax.ShapeDtypeStruct`) with symbolic sizes."""
  jax = jax_support.jax()
  out = []

  def visit(t, prefix):
    if isinstance(t, types.TensorType):
      if t.shape is None:
        raise TypeError(f'a JAX computation cannot take a tensor of unknown '
                        f'rank ({t})')
      shape = prefix + tuple(dims.unknown() if d is None else d
                             for d in t.shape)
      out.append(jax.ShapeDtypeStruct(shape, t.dtype))
    elif isinstance(t, types.StructType):
      for e in t:
        visit(e, prefix)
    elif isinstance(t, types.SequenceType):
      visit(t.element, (dims.length(),))
      out.append(jax.ShapeDtypeStruct((), np.int32))
    else:
      raise TypeError(f'{t} is not a type a JAX computation takes')

  visit(t, ())
  return out


def flatten(value, t: types.Type, what: str,
            fulls: list[bool] | None = None) -> list:
  """The leaves of an internal value of type `t`, in convention order.

  `fulls`, if given, receives `Sequence.full` of each sequence in order.
  """
  out = []

  def visit(v, t):
    if isinstance(t, types.TensorType):
      out.append(v)
    elif isinstance(t, types.StructType):
      if len(v) != len(t):
        raise TypeError(f'{what}: expected {len(t)} elements for {t}, got '
                        f'{len(v)}')
      for x, e in zip(v, t):
        visit(x, e)
    elif isinstance(t, types.SequenceType):
      if not isinstance(v, sequence_lib.Sequence):
        raise TypeError(f'{what}: expected a Sequence for {t}, got '
                        f'{type(v).__name__}')
      if not v.is_stacked:
        raise TypeError(
            f'{what}: a loaded (deserialized) JAX computation needs every '
            f'element of a {t} sequence to have the same shape, so that the '
            f'elements stack; pad the last batch of a dataset to the batch '
            f'size (with a mask) instead of making it smaller.')
      visit(v.data, t.element)
      out.append(v.length)
      if fulls is not None:
        fulls.append(bool(v.full))
    else:
      raise TypeError(f'{what}: {t} cannot be passed to a JAX computation')

  visit(value, t)
  return out


def unflatten(leaves: list, t: types.Type, fulls: list[bool] | None = None):
  """The internal value of type `t` from its leaves (inverse of `flatten`).

  `fulls` gives `Sequence.full` of each sequence in order (default False).
  """
  leaves_it, fulls_it = iter(leaves), iter(fulls or ())

  def build(t):
    if isinstance(t, types.TensorType):
      return next(leaves_it)
    if isinstance(t, types.StructType):
      return tuple(build(e) for e in t)
    if isinstance(t, types.SequenceType):
      data = build(t.element)
      length = next(leaves_it)
      return sequence_lib.Sequence(t.element, data, length,
                                   full=bool(next(fulls_it, False)))
    raise TypeError(f'{t} is not a type of JAX values')

  return build(t)


def flatten_result(value, t: types.Type, what: str):
  """Leaves of a traced result, and `Sequence.full` of each sequence."""
  jnp = jax_support.jnp()
  fulls = []
  out = flatten(value, t, what, fulls)
  return [jnp.asarray(x, dtype) for x, (dtype, _) in zip(out, leaf_types(t))
         ], fulls
