"""JAX, imported lazily, and conversions of values inside traced JAX code.

`import federax` does not import JAX; the first JAX computation does.
Inside JAX code, struct values are the user's containers (dict, NamedTuple,
`Struct`, ...) and sequences are `Sequence` objects; the internal form
uses tuples. These functions convert between the two without copying.
"""

from __future__ import annotations

import functools

from federax.core import dtypes as dtypes_lib
from federax.core import structure
from federax.core import types
from federax.core import value_conversion


@functools.cache
def jax():
  """The `jax` module, imported and set up on first use."""
  import jax as jax_module
  structure._register_pytree()
  from federax.core import sequence

  def flatten(seq):
    if not seq.is_stacked:  # Ragged: each element is its own leaf.
      return (tuple(seq.elements),), (seq.element_type, None)
    return (seq.data, seq.length), (seq.element_type, seq.full)

  def unflatten(aux, children):
    element_type, full = aux
    if full is None:
      return sequence.Sequence(element_type, elements=list(children[0]))
    return sequence.Sequence(element_type, children[0], children[1], full=full)

  jax_module.tree_util.register_pytree_node(sequence.Sequence, flatten,
                                            unflatten)
  return jax_module


def jnp():
  import jax.numpy as jnp_module
  jax()
  return jnp_module


def internal_to_python(value, t: types.Type):
  """Internal form to the user's containers (leaves untouched)."""
  if isinstance(t, types.StructType):
    return structure.build(t.container_type, t.names(),
                           [internal_to_python(v, e) for v, e in zip(value, t)])
  return value


def python_to_internal(value, t: types.Type, path: str = 'result'):
  """The user's containers to internal form, checking the structure.

  A dict's elements are matched to a named struct type by name, whatever
  their order.
  """
  if isinstance(t, types.StructType):
    if not structure.is_container(value):
      raise TypeError(f'{path}: expected {t}, got {type(value).__name__}.')
    elements = value_conversion.struct_elements(value, t)
    if len(elements) != len(t):
      raise TypeError(f'{path}: expected {t} with {len(t)} elements, got '
                      f'{len(elements)}.')
    # Lazily: each element is converted before the next one's name is checked.
    return tuple(python_to_internal(v, e, label)
                 for label, v, e in value_conversion.labelled_elements(
                     elements, t, path))
  if isinstance(t, types.SequenceType):
    from federax.core import sequence
    if not isinstance(value, sequence.Sequence):
      raise TypeError(f'{path}: expected a Sequence of {t.element}, got '
                      f'{type(value).__name__}.')
    return value
  if isinstance(t, types.TensorType):
    return jnp().asarray(value)
  return value


def type_of_output(value) -> types.Type:
  """The federax type of a JAX function's (abstract or traced) output.

  Dtypes are those JAX computes in: without `jax_enable_x64`, a numpy
  float64 result is float32. A plain dict is in sorted key order (as in
  JAX pytrees), an OrderedDict in its own.
  """
  from federax.core import sequence
  if isinstance(value, sequence.Sequence):
    return types.SequenceType(value.element_type)
  if value is None:
    raise TypeError('A jax_computation must return a value, got None.')
  if hasattr(value, 'dtype') and hasattr(value, 'shape'):
    return types.TensorType(_canonical_dtype(value.dtype), tuple(value.shape))
  if isinstance(value, (bool, int, float, complex)):
    return types.TensorType(jnp().asarray(value).dtype, ())
  if structure.is_container(value):
    return types.StructType(
        [(n, type_of_output(v)) for n, v in structure.elements_of(value)],
        structure.container_of(value))
  raise TypeError(f'A jax_computation returned {type(value).__name__}, which '
                  f'is not an array, a struct of arrays or a Sequence.')


def _canonical_dtype(dtype):
  try:
    return jax().dtypes.canonicalize_dtype(dtype)
  except (TypeError, ValueError):
    return dtype


def merge_unknown(a: types.Type, b: types.Type) -> types.Type:
  """`a` with each dimension that differs in `b` made unknown (`?`)."""
  if isinstance(a, types.TensorType):
    if a.shape is None or b.shape is None or len(a.shape) != len(b.shape):
      return types.TensorType(a.dtype, None)
    return types.TensorType(a.dtype, tuple(
        d if d == e else None for d, e in zip(a.shape, b.shape)))
  if isinstance(a, types.StructType):
    return types.StructType([(n, merge_unknown(e, f)) for (n, e), f in zip(
        a.elements, b)], a.container_type)
  if isinstance(a, types.SequenceType):
    return types.SequenceType(merge_unknown(a.element, b.element))
  return a


def check_jax_type(t: types.Type, what: str):
  """Raises `TypeError` if values of `t` cannot live inside JAX code."""
  import numpy as np
  if t is None:
    return
  bad = None
  if isinstance(t, (types.FederatedType, types.FunctionType,
                    types.PlacementType)):
    bad = f'{t} is a {type(t).__name__}'
  elif isinstance(t, types.TensorType):
    if t.dtype == dtypes_lib.STR:
      bad = f'{t} holds strings, which JAX cannot compute on'
    elif t.dtype.itemsize == 8 and t.dtype.kind in 'iuf' or t.dtype == np.complex128:
      if not jax().config.jax_enable_x64:
        raise TypeError(
            f'{what}: {t} is a 64-bit type but JAX runs in 32 bits. Enable '
            f"64-bit JAX with jax.config.update('jax_enable_x64', True), or "
            f'use 32-bit dtypes (e.g. cast numpy float64 arrays to float32).')
  if bad:
    raise TypeError(f'{what}: {bad}. A jax_computation takes and returns '
                    f'tensors, structs of tensors and sequences of them.')
  for c in t.children():
    check_jax_type(c, what)


def abstract(t: types.Type, unknown: int):
  """Abstract (shape-only) internal value of `t`; `?` dims become `unknown`."""
  from federax.core import sequence
  j = jax()
  if isinstance(t, types.TensorType):
    shape = tuple(unknown if d is None else d for d in (t.shape or ()))
    if t.shape is None:
      raise TypeError(f'A jax_computation cannot take a tensor of unknown rank '
                      f'({t}); give its rank, e.g. {t.dtype}[?].')
    return j.ShapeDtypeStruct(shape, t.dtype)
  if isinstance(t, types.StructType):
    return tuple(abstract(e, unknown) for e in t)
  if isinstance(t, types.SequenceType):
    data = j.tree_util.tree_map(
        lambda s: j.ShapeDtypeStruct((unknown,) + s.shape, s.dtype),
        abstract(t.element, unknown))
    return sequence.Sequence(t.element, data,
                             j.ShapeDtypeStruct((), jnp().int32))
  raise TypeError(f'No abstract value for {t}.')


def zeros(t: types.Type, xp=None):
  """Zeros of a tensor or struct type, in internal form: `jax.numpy`
  arrays, or those of the array module `xp` (numpy outside a trace
  compiles nothing)."""
  j = xp or jnp()
  if isinstance(t, types.TensorType):
    return j.zeros(t.shape or (), t.dtype)
  return tuple(zeros(e, xp) for e in t)
