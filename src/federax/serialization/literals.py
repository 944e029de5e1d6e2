"""Literal values to and from `Literal` messages.

Numeric tensors are stored as their little-endian bytes in C order with
their shape; strings as UTF-8 text (a Python `bytes` element as raw bytes).
The dtype is the one of the literal's tensor type.

Example:
  >>> import numpy as np
  >>> from federax.core import dtypes
  >>> from federax.serialization import literals
  >>> m = literals.encode(np.arange(3, dtype=np.int32))
  >>> literals.decode(m, np.dtype(np.int32))
  array([0, 1, 2], dtype=int32)
  >>> literals.decode(literals.encode(np.array('héllo', object)), dtypes.STR)
  array('héllo', dtype=object)
"""

from __future__ import annotations

import math

import numpy as np

from federax.core import dtypes as dtypes_lib
from federax.proto import computation_pb2 as pb

# Largest literal (elements) a file may hold.
MAX_ELEMENTS = 1 << 28


def encode(value: np.ndarray) -> pb.Literal:
  message = pb.Literal(shape=value.shape)
  if value.dtype == object:
    for x in value.ravel():
      if isinstance(x, bytes):
        message.strings.add(raw=x)
      else:
        message.strings.add(text=str(x))
  else:
    message.data = np.ascontiguousarray(value).astype(
        value.dtype.newbyteorder('<'), copy=False).tobytes()
  return message


def decode(message: pb.Literal, dtype: np.dtype) -> np.ndarray:
  """The array of a literal of `dtype`; `ValueError` if it is malformed."""
  shape = tuple(message.shape)
  size = math.prod(shape)
  if size > MAX_ELEMENTS:
    raise ValueError(f'a literal of shape {shape} is too large')
  if dtype == dtypes_lib.STR:
    if message.data or len(message.strings) != size:
      raise ValueError(f'a string literal of shape {shape} needs {size} '
                       f'strings, got {len(message.strings)}')
    values = [s.raw if s.WhichOneof('value') == 'raw' else s.text
              for s in message.strings]
    array = np.empty(size, dtype=object)
    array[:] = values
    return array.reshape(shape)
  if message.strings:
    raise ValueError(f'a {dtypes_lib.name(dtype)} literal holds strings')
  little = dtype.newbyteorder('<')
  if len(message.data) != size * little.itemsize:
    raise ValueError(f'a {dtypes_lib.name(dtype)} literal of shape {shape} '
                     f'needs {size * little.itemsize} bytes, got '
                     f'{len(message.data)}')
  return np.frombuffer(message.data, little).astype(dtype).reshape(shape)
