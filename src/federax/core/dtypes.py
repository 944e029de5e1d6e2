"""The dtypes of tensor types and their compact names."""

from __future__ import annotations

import numpy as np

try:  # ml_dtypes comes with jax; bfloat16 is not a numpy dtype.
  import ml_dtypes
  _BFLOAT16 = np.dtype(ml_dtypes.bfloat16)
except ImportError:  # pragma: no cover
  _BFLOAT16 = None

# The dtype federax uses for strings, whatever their width.
STR = np.dtype(np.str_)

_ALLOWED = [np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8,
            np.uint16, np.uint32, np.uint64, np.float16, np.float32,
            np.float64, np.complex64, np.complex128]
ALLOWED = tuple(np.dtype(d) for d in _ALLOWED) + (
    (_BFLOAT16,) if _BFLOAT16 is not None else ()) + (STR,)

_PYTHON = {bool: np.dtype(np.bool_), int: np.dtype(np.int32),
           float: np.dtype(np.float32), complex: np.dtype(np.complex64),
           str: STR, bytes: STR}


def is_dtype_like(spec) -> bool:
  """Whether `spec` names a dtype (`np.int32`, `'float32'`, `int`, ...)."""
  if spec is None or isinstance(spec, (list, tuple, dict)):
    return False
  try:
    to_dtype(spec)
    return True
  except (TypeError, ValueError):
    return False


def to_dtype(spec) -> np.dtype:
  """Normalizes a dtype spec to one of the dtypes federax allows.

  Accepted: a numpy dtype or scalar type (`np.float32`), a JAX one
  (`jnp.bfloat16`), a dtype name (`'float32'`, `'str'`), the Python types
  `bool`, `int` (int32), `float` (float32), `complex`, `str` and `bytes`, or
  anything with a `dtype` attribute (an array). Big-endian dtypes are read as
  their native equivalents. Anything else is a `TypeError`.

  Example:
    >>> to_dtype('float32') == np.float32
    True
  """
  if type(spec) in _NATIVE_DTYPE_CLASSES and spec in _ALLOWED_SET:
    return spec  # Fast path: already a native, allowed dtype.
  if spec is None:  # np.dtype(None) would silently be float64.
    raise TypeError('dtype: expected a dtype (e.g. np.float32), got None.')
  if isinstance(spec, type) and spec in _PYTHON:
    return _PYTHON[spec]
  if isinstance(spec, str):
    if spec in ('str', 'string'):
      return STR
    if spec not in _NAMES:  # Not numpy's one-letter codes such as 'c'.
      raise TypeError(f'dtype: unknown dtype name {spec!r}; expected one of '
                      f'{sorted(_NAMES)}.')
    return _NAMES[spec]
  if isinstance(spec, type) and not issubclass(spec, np.generic) and not (
      hasattr(spec, 'dtype')):
    # np.dtype(AnyClass) is the object dtype; a class is not a dtype.
    raise TypeError(f'dtype: expected a dtype (e.g. np.float32), got the '
                    f'class {spec.__qualname__}.')
  if not isinstance(spec, (type, str, np.dtype)) and hasattr(spec, 'dtype'):
    spec = spec.dtype  # e.g. jnp.float32 or an array
  try:
    dtype = np.dtype(spec)
  except TypeError as e:
    raise TypeError(
        f'dtype: expected a dtype (e.g. np.float32), got {spec!r}.') from e
  if dtype.kind in ('U', 'S', 'O'):
    return STR
  if not dtype.isnative:
    dtype = dtype.newbyteorder('=')
  if dtype not in ALLOWED:
    raise TypeError(f'dtype: unsupported dtype {dtype}; federax supports '
                    f'{", ".join(name(d) for d in ALLOWED)}.')
  return ALLOWED[ALLOWED.index(dtype)]  # The canonical instance.


def name(dtype: np.dtype) -> str:
  """The compact name of a dtype: `int32`, `bfloat16`, `str`, ..."""
  return 'str' if dtype == STR else dtype.name


def is_floating(dtype: np.dtype) -> bool:
  return dtype.kind in ('f', 'c') or dtype == _BFLOAT16


def is_integer(dtype: np.dtype) -> bool:
  return dtype.kind in ('i', 'u')


_NAMES = {name(d): d for d in ALLOWED}


def python_repr(dtype: np.dtype) -> str:
  """How a dtype is written in a constructor call: `np.int32`, ..."""
  if dtype == STR:
    return 'np.str_'
  if dtype == _BFLOAT16:
    return "'bfloat16'"
  if dtype == np.bool_:
    return 'np.bool_'  # `np.bool` does not exist in numpy 1.x.
  return f'np.{dtype.name}'


_ALLOWED_SET = frozenset(ALLOWED)
_NATIVE_DTYPE_CLASSES = frozenset(type(d) for d in ALLOWED if d.isnative)
