"""Types to and from the `types` table of a serialized computation.

Each distinct type (containers included) is stored once; an entry refers
to the types inside it by their index, which must come before its own.
Struct containers are stored as data (`Container` enum plus a name): dict,
OrderedDict, list and tuple come back as themselves; a NamedTuple,
dataclass or attrs class comes back as `fx.Struct` with the same names.

Example:
  >>> import numpy as np, federax as fx
  >>> from federax.serialization import type_codec
  >>> t = fx.type_at_clients(fx.SequenceType(fx.TensorType(np.float32, [None])))
  >>> encoder = type_codec.TypeEncoder()
  >>> index = encoder.encode(t)
  >>> decoded = type_codec.decode_types(encoder.table)[index]
  >>> print(decoded)
  {float32[?]*}@CLIENTS
  >>> decoded == t
  True
"""

from __future__ import annotations

import collections

import numpy as np

from federax.core import dtypes as dtypes_lib
from federax.core import placements
from federax.core import structure
from federax.core import types
from federax.proto import computation_pb2 as pb

# Largest number of type nodes a decoded type may expand to (a table entry
# may be shared, so a small file could otherwise describe a huge tree).
MAX_EXPANDED_SIZE = 1 << 20

_DTYPE_TO_ENUM = {
    'bool': pb.BOOL, 'int8': pb.INT8, 'int16': pb.INT16, 'int32': pb.INT32,
    'int64': pb.INT64, 'uint8': pb.UINT8, 'uint16': pb.UINT16,
    'uint32': pb.UINT32, 'uint64': pb.UINT64, 'float16': pb.FLOAT16,
    'bfloat16': pb.BFLOAT16, 'float32': pb.FLOAT32, 'float64': pb.FLOAT64,
    'complex64': pb.COMPLEX64, 'complex128': pb.COMPLEX128, 'str': pb.STRING,
}
_ENUM_TO_DTYPE = {v: k for k, v in _DTYPE_TO_ENUM.items()}

_CONTAINERS = {pb.DICT: dict, pb.ORDERED_DICT: collections.OrderedDict,
               pb.LIST: list, pb.TUPLE: tuple}


def dtype_to_enum(dtype: np.dtype) -> int:
  return _DTYPE_TO_ENUM[dtypes_lib.name(dtype)]


def enum_to_dtype(value: int) -> np.dtype:
  if value not in _ENUM_TO_DTYPE:
    raise ValueError(f'unknown dtype enum value {value}')
  return dtypes_lib.to_dtype(_ENUM_TO_DTYPE[value])


def container_to_proto(container_type) -> tuple[int, str]:
  """The `Container` enum value and the name describing a container type."""
  if container_type is None or container_type is structure.Struct:
    return pb.STRUCT, ''
  name = getattr(container_type, '__qualname__', '')
  if structure.is_sorted_mapping(container_type):
    return pb.DICT, '' if container_type is dict else name
  if structure.is_named_tuple(container_type):
    return pb.NAMED_RECORD, name
  if isinstance(container_type, type) and issubclass(container_type, dict):
    kind = pb.ORDERED_DICT
  elif isinstance(container_type, type) and issubclass(container_type, list):
    kind = pb.LIST
  elif isinstance(container_type, type) and issubclass(container_type, tuple):
    kind = pb.TUPLE
  else:  # dataclass, attrs class, or anything else with names
    kind = pb.NAMED_RECORD
  if container_type in (collections.OrderedDict, list, tuple):
    name = ''
  return kind, name


def container_from_proto(kind: int):
  """The Python container type a decoded struct value comes back in."""
  if kind in (pb.STRUCT, pb.NAMED_RECORD):
    return None
  if kind not in _CONTAINERS:
    raise ValueError(f'unknown struct container enum value {kind}')
  return _CONTAINERS[kind]


class TypeEncoder:
  """Builds the `types` table: `encode(t)` returns the index of `t`."""

  def __init__(self):
    self.table: list[pb.Type] = []
    self._by_id: dict[int, tuple[int, types.Type]] = {}
    self._by_key: dict[tuple, int] = {}

  def encode(self, t: types.Type) -> int:
    hit = self._by_id.get(id(t))
    if hit is not None:
      return hit[0]
    key, message = self._entry(t)
    index = self._by_key.get(key)
    if index is None:
      index = self._by_key[key] = len(self.table)
      self.table.append(message)
    self._by_id[id(t)] = (index, t)  # keeps `t` alive, so ids stay unique
    return index

  def _entry(self, t) -> tuple[tuple, pb.Type]:
    if isinstance(t, types.TensorType):
      dtype = dtype_to_enum(t.dtype)
      dims = () if t.shape is None else tuple(-1 if d is None else d
                                              for d in t.shape)
      return ('tensor', dtype, t.shape is None, dims), pb.Type(
          tensor=pb.TensorType(dtype=dtype, unknown_rank=t.shape is None,
                               dims=dims))
    if isinstance(t, types.StructType):
      elements = tuple((n or '', self.encode(e)) for n, e in t.elements)
      kind, name = container_to_proto(t.container_type)
      return ('struct', elements, kind, name), pb.Type(struct=pb.StructType(
          elements=[pb.StructType.Element(name=n, type=i)
                    for n, i in elements], container=kind,
          container_name=name))
    if isinstance(t, types.SequenceType):
      element = self.encode(t.element)
      return ('sequence', element), pb.Type(
          sequence=pb.SequenceType(element=element))
    if isinstance(t, types.FunctionType):
      parameter = None if t.parameter is None else self.encode(t.parameter)
      result = self.encode(t.result)
      return ('function', parameter, result), pb.Type(
          function=pb.FunctionType(parameter=parameter, result=result))
    if isinstance(t, types.FederatedType):
      member = self.encode(t.member)
      return ('federated', member, t.placement.uri, t.all_equal), pb.Type(
          federated=pb.FederatedType(member=member, placement=t.placement.uri,
                                     all_equal=t.all_equal))
    if isinstance(t, types.PlacementType):
      return ('placement',), pb.Type(placement=pb.PlacementType())
    raise TypeError(f'Cannot serialize the type {t} ({type(t).__name__}); '
                    f'only tensor, struct, sequence, function, federated and '
                    f'placement types are part of the format.')


def decode_types(table) -> list[types.Type]:
  """The types of a `types` table; raises `ValueError` if it is malformed."""
  decoded: list[types.Type] = []
  sizes: list[int] = []

  def ref(index, what, position):
    if not 0 <= index < position:
      raise ValueError(f'types[{position}]: {what} refers to types[{index}], '
                       f'which is not an earlier entry')
    children.append(index)
    return decoded[index]

  for position, message in enumerate(table):
    kind = message.WhichOneof('kind')
    children: list[int] = []
    try:
      if kind == 'tensor':
        m = message.tensor
        if m.unknown_rank and m.dims:
          raise ValueError('a tensor of unknown rank lists dimensions')
        if any(d < -1 for d in m.dims):
          raise ValueError(f'negative dimension in {list(m.dims)}')
        shape = None if m.unknown_rank else tuple(
            None if d == -1 else d for d in m.dims)
        t = types.TensorType(enum_to_dtype(m.dtype), shape)
      elif kind == 'struct':
        m = message.struct
        elements = [(e.name or None, ref(e.type, 'an element', position))
                    for e in m.elements]
        container = container_from_proto(m.container)
        if container in (dict, collections.OrderedDict) and any(
            n is None for n, _ in elements):
          raise ValueError('a dict struct has an unnamed element')
        t = types.StructType(elements, container)
      elif kind == 'sequence':
        t = types.SequenceType(ref(message.sequence.element, 'the element',
                                   position))
      elif kind == 'function':
        m = message.function
        parameter = (ref(m.parameter, 'the parameter', position)
                     if m.HasField('parameter') else None)
        t = types.FunctionType(parameter,
                               ref(m.result, 'the result', position))
      elif kind == 'federated':
        m = message.federated
        t = types.FederatedType(ref(m.member, 'the member', position),
                                placements.from_uri(m.placement),
                                m.all_equal)
      elif kind == 'placement':
        t = types.PlacementType()
      else:
        raise ValueError('the entry has no kind')
    except (TypeError, ValueError) as e:
      raise ValueError(f'types[{position}] ({kind}): {e}') from e
    size = 1 + sum(sizes[c] for c in children)
    if size > MAX_EXPANDED_SIZE:
      raise ValueError(f'types[{position}] expands to more than '
                       f'{MAX_EXPANDED_SIZE} nested types')
    decoded.append(t)
    sizes.append(size)
  return decoded
