"""Types from specs (`to_type`) and from Python values (`infer_type`)."""

from __future__ import annotations

import dataclasses

import numpy as np

from federax.core import dtypes as dtypes_lib
from federax.core import placements
from federax.core import structure
from federax.core import types


def _is_shape_spec(x) -> bool:
  return x is None or (isinstance(x, (list, tuple)) and all(
      (d is None or isinstance(d, (int, np.integer))) and
      not isinstance(d, bool) for d in x))


def _is_name_spec_pair(e) -> bool:
  """Whether `e` is a `(name, spec)` pair (not a `(dtype, shape)` pair)."""
  return (isinstance(e, tuple) and not structure.is_named_tuple(e) and
          len(e) == 2 and isinstance(e[0], str) and
          not (dtypes_lib.is_dtype_like(e[0]) and _is_shape_spec(e[1])))


def to_type(spec) -> types.Type | None:
  """Converts a type spec to a `Type`.

  Accepted specs: a `Type`; a dtype (`np.int32`, `'float32'`, `int`,
  `float`, `bool`, `str`); a `(dtype, shape)` pair; a list, tuple, dict,
  `NamedTuple`, dataclass or attrs instance of specs (a struct that keeps
  that container); a list or tuple of `(name, spec)` pairs (a named struct
  with no container, as in TFF); anything with a `dtype` and a `shape`
  (`jax.ShapeDtypeStruct`, an array) gives that tensor type; `None` gives
  `None` (no parameter).

  Example:
    >>> import numpy as np, federax as fx
    >>> str(fx.to_type((np.float32, [None, 10])))
    'float32[?,10]'
    >>> str(fx.to_type({'x': (np.float32, [2]), 'y': np.int32}))
    '<x=float32[2],y=int32>'
  """
  if spec is None or isinstance(spec, types.Type):
    return spec
  if isinstance(spec, placements.PlacementLiteral):  # A frozen dataclass.
    raise TypeError(
        f'to_type: got the placement {spec}, which is a value, not a type '
        f'spec. Its type is fx.PlacementType(); to place a type use '
        f'fx.FederatedType(spec, fx.{spec}).')
  if (isinstance(spec, tuple) and not structure.is_named_tuple(spec) and
      len(spec) == 2 and dtypes_lib.is_dtype_like(spec[0]) and
      _is_shape_spec(spec[1])):
    return types.TensorType(spec[0], spec[1])
  if (not isinstance(spec, (type, np.dtype)) and hasattr(spec, 'dtype') and
      hasattr(spec, 'shape')):  # jax.ShapeDtypeStruct, arrays: keep the shape.
    return types.TensorType(spec.dtype, tuple(spec.shape))
  if dtypes_lib.is_dtype_like(spec):
    return types.TensorType(spec)
  if (isinstance(spec, (list, tuple)) and not structure.is_named_tuple(spec)
      and any(_is_name_spec_pair(e) for e in spec)):
    return types.StructType(spec)
  if structure.is_container(spec):
    return types.StructType(
        [(n, to_type(v)) for n, v in structure.elements_of(spec)],
        structure.container_of(spec))
  if isinstance(spec, type) and (dataclasses.is_dataclass(spec) or
                                 structure.is_attrs(spec) or
                                 structure.is_named_tuple(spec)):
    raise TypeError(
        f'to_type: got the class {spec.__name__}; pass an instance whose '
        f'fields are type specs, e.g. {spec.__name__}(x=np.float32, ...).')
  raise TypeError(
      f'to_type: cannot interpret {spec!r} (of Python type '
      f'{type(spec).__name__}) as a type. Use a dtype such as np.float32, a '
      f'(dtype, shape) pair, a federax type, or a list/dict of these.')


def infer_type(value) -> types.Type | None:
  """The federax type of a Python value.

  `10` is `int32` (`int64` when it does not fit), `0.5` is `float32`,
  `True` is `bool`, `'abc'` is `str`; arrays keep their dtype and shape;
  lists and tuples are unnamed structs, dicts named ones (a plain dict in
  sorted key order, as in JAX pytrees; an OrderedDict in its own order).
  A traced value or a computation has its `type_signature`.

  Example:
    >>> import federax as fx
    >>> str(fx.infer_type({'a': 10, 'b': [0.5, True]}))
    '<a=int32,b=<float32,bool>>'
  """
  if value is None:
    return None
  sig = getattr(value, 'type_signature', None)
  if isinstance(sig, types.Type):
    return sig
  if isinstance(value, placements.PlacementLiteral):  # Not a dataclass struct.
    return types.PlacementType()
  if isinstance(value, np.generic):  # Before `float`: np.float64 is a float.
    return types.TensorType(value.dtype)
  if isinstance(value, bool):
    return types.TensorType(np.bool_)
  if isinstance(value, int):
    if -2**31 <= value < 2**31:
      return types.TensorType(np.int32)
    if -2**63 <= value < 2**63:
      return types.TensorType(np.int64)
    raise ValueError(f'infer_type: the integer {value} does not fit in int64.')
  if isinstance(value, float):
    return types.TensorType(np.float32)
  if isinstance(value, complex):
    return types.TensorType(np.complex64)
  if isinstance(value, (str, bytes)):
    return types.TensorType(dtypes_lib.STR)
  if hasattr(value, 'dtype') and hasattr(value, 'shape'):
    return types.TensorType(value.dtype, tuple(value.shape))
  if structure.is_container(value):
    return types.StructType(
        [(n, infer_type(v)) for n, v in structure.elements_of(value)],
        structure.container_of(value))
  raise TypeError(
      f'infer_type: cannot infer a federax type for {value!r} of Python type '
      f'{type(value).__name__}. Pass numbers, strings, numpy/JAX arrays, or '
      f'lists, tuples, dicts, NamedTuples and dataclasses of these.')
