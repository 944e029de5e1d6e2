"""`tf.train.Example` protos to and from examples, with protobuf only.

TFF's SQLite datasets store each example as a serialized
`tf.train.Example`: a map from feature name to a list of bytes, floats
(float32) or int64s. `federax/proto/example.proto` has the same wire
format. Parsing follows a spec: each feature's list is reshaped to the
spec's shape and cast to its dtype (floats are stored as float32, ints as
int64, bools as int64, strings as bytes).
"""

from __future__ import annotations

import collections.abc
import math

import numpy as np

from federax.core import dtypes as dtypes_lib
from federax.core import types
from federax.simulation.datasets import elements


def _kind(dtype) -> str:
  if dtype == dtypes_lib.STR:
    return 'bytes_list'
  if dtypes_lib.is_floating(dtype):
    return 'float_list'
  if dtypes_lib.is_integer(dtype) or dtype == np.bool_:
    return 'int64_list'
  raise TypeError(f'element_spec: a tf.train.Example feature holds bytes, '
                  f'floats or integers; {dtypes_lib.name(dtype)} is none of '
                  f'them.')


def _flat_spec(element_spec, where: str) -> dict:
  spec = elements.to_spec(element_spec)
  if not isinstance(spec, types.StructType) or any(
      n is None or not isinstance(e, types.TensorType)
      for n, e in spec.elements):
    raise TypeError(
        f'{where}: element_spec: expected a flat dict from feature name to '
        f'tensor spec (e.g. {{"pixels": (np.float32, [28, 28]), "label": '
        f'np.int32}}), as tf.train.Example holds; got {spec}.')
  return dict(spec.elements)


def serialize_example(example) -> bytes:
  """A flat dict of arrays/bytes as a serialized `tf.train.Example`.

  Example:
    >>> import numpy as np
    >>> data = serialize_example({'label': np.int32(3)})
    >>> parse_example(data, {'label': np.int32})
    {'label': np.int32(3)}
  """
  from federax.proto import example_pb2
  if not isinstance(example, collections.abc.Mapping):
    raise TypeError(f'example: expected a dict from feature name to value '
                    f'(tf.train.Example is flat), got '
                    f'{type(example).__name__}.')
  proto = example_pb2.Example()
  for key, value in example.items():
    feature = proto.features.feature[key]
    if isinstance(value, (bytes, str)):
      feature.bytes_list.value.append(
          value.encode() if isinstance(value, str) else value)
      continue
    array = np.asarray(value)
    if array.dtype == object or array.dtype.kind in 'SU':
      feature.bytes_list.value.extend(
          v.encode() if isinstance(v, str) else bytes(v)
          for v in array.ravel())
    elif array.dtype.kind == 'f':
      feature.float_list.value.extend(array.ravel().astype(np.float32))
    elif array.dtype.kind in 'iub':
      feature.int64_list.value.extend(array.ravel().astype(np.int64))
    else:
      raise TypeError(f'example: feature {key!r} has dtype {array.dtype}, '
                      f'which tf.train.Example cannot hold.')
  return proto.SerializeToString()


def build_parser(element_spec, where: str = 'parse_example'):
  """A function from serialized `tf.train.Example` to a dict of arrays.

  Example:
    >>> import numpy as np
    >>> parse = build_parser({'x': (np.float32, [2])})
    >>> parse(serialize_example({'x': np.ones(2)}))
    {'x': array([1., 1.], dtype=float32)}
  """
  from federax.proto import example_pb2
  spec = _flat_spec(element_spec, where)
  plan = []
  for key, t in spec.items():
    if t.shape is None or any(d is None for d in t.shape[1:]):
      raise ValueError(f'{where}: element_spec: feature {key!r} has shape '
                       f'{t}; only the first dimension may be unknown.')
    plan.append((key, t, _kind(t.dtype), math.prod(t.shape)
                 if None not in t.shape else None))

  def parse(serialized: bytes) -> dict:
    proto = example_pb2.Example.FromString(serialized)
    features = proto.features.feature
    out = {}
    for key, t, kind, size in plan:
      if key not in features:
        raise ValueError(f'{where}: the example has no feature {key!r} (it '
                         f'has {sorted(features)}); fix element_spec.')
      values = getattr(features[key], kind).value
      if size is not None and len(values) != size:
        raise ValueError(
            f'{where}: feature {key!r} has {len(values)} values, but its '
            f'spec {t} needs {size}; fix element_spec.')
      if kind == 'bytes_list':
        array = np.empty(len(values), dtype=object)
        array[:] = list(values)
        out[key] = array[0] if t.shape == () else array.reshape(
            [-1 if d is None else d for d in t.shape])
        continue
      array = np.asarray(values, np.float32 if kind == 'float_list' else
                         np.int64).astype(t.dtype, copy=False)
      shape = [-1 if d is None else d for d in t.shape]
      out[key] = array.reshape(shape)[()] if t.shape == () else (
          array.reshape(shape))
    return out

  return parse


def parse_example(serialized: bytes, element_spec) -> dict:
  """One serialized `tf.train.Example` parsed with `element_spec`.

  Example:
    >>> parse_example(serialize_example({'s': b'hi'}), {'s': str})
    {'s': b'hi'}
  """
  return build_parser(element_spec)(serialized)
