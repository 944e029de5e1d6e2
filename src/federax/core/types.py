"""The federated type system: tensors, structs, sequences, functions, placements.

Types are immutable and hashable. `str(t)` is TFF's compact notation
(`{float32[10]}@CLIENTS`, `<a=int32,b=bool>`, `int32*`, `(int32 -> bool)`),
`repr(t)` the constructor call, `t.formatted_representation()` an indented
multi-line form for long types.

Struct types remember the Python container they describe (`dict`, `list`,
a `NamedTuple`, ...) so values come back in that container, but the
container takes no part in equality, hashing or assignability: two struct
types with the same elements are the same type.
"""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from federax.core import dtypes as dtypes_lib
from federax.core import placements
from federax.core import structure
from federax.core.placements import PlacementLiteral


class Type:
  """Base class of all federax types.

  Example:
    >>> import numpy as np, federax as fx
    >>> t = fx.to_type((np.float32, [2]))
    >>> isinstance(t, fx.Type), str(t)
    (True, 'float32[2]')
    >>> fx.TensorType(np.float32, [None]).is_assignable_from(t)
    True
  """

  __slots__ = ()

  def __setattr__(self, name, value):
    raise AttributeError(f'{type(self).__name__} is immutable.')

  def __delattr__(self, name):
    raise AttributeError(f'{type(self).__name__} is immutable.')

  # Types are immutable: a copy is the type itself. Pickling (for worker
  # processes) rebuilds the slots without going through `__setattr__`.
  def __copy__(self):
    return self

  def __deepcopy__(self, memo):
    return self

  def __reduce__(self):
    slots = type(self).__slots__
    return (_rebuild, (type(self), tuple(getattr(self, k) for k in slots)))

  def children(self) -> Iterator['Type']:
    """The types directly inside this one."""
    return iter(())

  def compact_representation(self) -> str:
    raise NotImplementedError

  def formatted_representation(self) -> str:
    """A multi-line, indented form of the type, for long types."""
    return '\n'.join(self._formatted_lines())

  def _formatted_lines(self) -> list[str]:
    return [self.compact_representation()]

  def __str__(self) -> str:
    return self.compact_representation()

  def is_assignable_from(self, source: 'Type') -> bool:
    """Whether every value of `source` is also a value of this type."""
    raise NotImplementedError

  def is_equivalent_to(self, other: 'Type') -> bool:
    """Mutual assignability."""
    return self.is_assignable_from(other) and other.is_assignable_from(self)

  def check_assignable_from(self, source: 'Type', what: str = 'value'):
    """Raises `TypeError` unless `source` is assignable to this type."""
    if not self.is_assignable_from(source):
      raise TypeError(f'{what}: expected {self}, got {source}.')

  def _key(self):
    raise NotImplementedError

  def __eq__(self, other):
    return self is other or (type(self) is type(other) and
                             self._key() == other._key())

  def __hash__(self):
    return hash((type(self).__name__, self._key()))


def _rebuild(cls, values):
  obj = object.__new__(cls)
  _set(obj, **dict(zip(cls.__slots__, values)))
  return obj


def _set(obj, **fields):
  for k, v in fields.items():
    object.__setattr__(obj, k, v)


def _normalize_shape(shape):
  if shape is None:
    return None
  if isinstance(shape, (int, np.integer)):
    shape = (shape,)
  try:
    dims = tuple(shape)
  except TypeError:
    raise TypeError(f'shape: expected a tuple of ints or None, got '
                    f'{shape!r}.') from None
  result = []
  for d in dims:
    if d is None or d == -1:
      result.append(None)
    elif isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 0:
      result.append(int(d))
    else:
      raise TypeError(f'shape: each dimension must be a non-negative int or '
                      f'None, got {d!r} in {shape!r}.')
  return tuple(result)


class TensorType(Type):
  """A tensor: a dtype and a shape.

  `shape=()` (the default) is a scalar; `None` in a dimension is unknown
  (`int32[?]`); `shape=None` is an unknown rank (`int32[*]`).

  Example:
    >>> import numpy as np, federax as fx
    >>> str(fx.TensorType(np.int32, [10])), str(fx.TensorType(np.int32, [None]))
    ('int32[10]', 'int32[?]')
  """

  __slots__ = ('dtype', 'shape')

  def __init__(self, dtype, shape=()):
    _set(self, dtype=dtypes_lib.to_dtype(dtype), shape=_normalize_shape(shape))

  @property
  def rank(self) -> int | None:
    return None if self.shape is None else len(self.shape)

  def is_fully_defined(self) -> bool:
    return self.shape is not None and None not in self.shape

  def compact_representation(self) -> str:
    name = dtypes_lib.name(self.dtype)
    if self.shape is None:
      return f'{name}[*]'
    if not self.shape:
      return name
    return f'{name}[{",".join("?" if d is None else str(d) for d in self.shape)}]'

  def __repr__(self):
    dt = dtypes_lib.python_repr(self.dtype)
    if self.shape == ():
      return f'TensorType({dt})'
    return f'TensorType({dt}, {self.shape!r})'

  def _key(self):
    return (self.dtype, self.shape)

  def is_assignable_from(self, source):
    if not isinstance(source, TensorType) or source.dtype != self.dtype:
      return False
    if self.shape is None:
      return True
    if source.shape is None or len(source.shape) != len(self.shape):
      return False
    return all(t is None or t == s for t, s in zip(self.shape, source.shape))


class StructType(Type):
  """A struct of optionally named elements (TFF's named tuple type).

  `elements` is a list of types or `(name, type)` pairs, or a dict of
  name to type. Elements are reachable as `t[0]`, `t['a']` and `t.a`.

  Example:
    >>> import numpy as np, federax as fx
    >>> str(fx.StructType([('a', np.int32), ('b', np.bool_)]))
    '<a=int32,b=bool>'
  """

  __slots__ = ('_elements', '_index', 'container_type')

  def __init__(self, elements, container_type=None):
    from federax.core.type_conversions import to_type
    if isinstance(elements, StructType):
      if container_type is None:
        container_type = elements.container_type
      elements = elements.elements
    elif isinstance(elements, dict):
      elements = list(elements.items())
    elif isinstance(elements, (str, bytes, Type)) or not hasattr(
        elements, '__iter__'):
      raise TypeError(
          f'StructType(elements): expected a list of types or (name, type) '
          f'pairs, or a dict of name to type, got {elements!r}.')
    items = []
    index = {}
    for e in elements:
      if isinstance(e, tuple) and len(e) == 2 and (
          isinstance(e[0], str) or e[0] is None) and not (
              isinstance(e[0], str) and dtypes_lib.is_dtype_like(e[0]) and
              not isinstance(e[1], Type) and _looks_like_shape(e[1])):
        name, t = e
      else:
        name, t = None, e
      t = to_type(t)
      if not isinstance(t, Type):
        raise TypeError(f'StructType(elements): element {e!r}: expected a '
                        f'type, got {t!r}.')
      if name is not None:
        if not name:
          raise ValueError(f'StructType(elements): element names must not be '
                           f'empty, got {e!r}.')
        if name in index:
          raise ValueError(
              f'StructType(elements): duplicate element name {name!r}; '
              f'expected distinct names, got '
              f'{[n for n, _ in items if n is not None] + [name]}.')
        index[name] = len(items)
      items.append((name, t))
    if container_type is not None and structure.is_sorted_mapping(
        container_type) and all(n is not None for n, _ in items):
      items.sort(key=lambda item: item[0])
      index = {n: i for i, (n, _) in enumerate(items)}
    _set(self, _elements=tuple(items), _index=index,
         container_type=container_type)

  @property
  def elements(self) -> tuple[tuple[str | None, Type], ...]:
    """The `(name, type)` pairs."""
    return self._elements

  def names(self) -> tuple[str | None, ...]:
    return tuple(n for n, _ in self._elements)

  def has_names(self) -> bool:
    return any(n is not None for n, _ in self._elements)

  def index_of(self, name: str) -> int:
    if name not in self._index:
      raise AttributeError(
          f'{self} has no element named {name!r}; names are '
          f'{[n for n in self.names() if n is not None]}.')
    return self._index[name]

  def __len__(self):
    return len(self._elements)

  def __iter__(self):
    return (t for _, t in self._elements)

  def __getitem__(self, key):
    if isinstance(key, str):
      if key not in self._index:
        raise KeyError(
            f'{self} has no element named {key!r}; names are '
            f'{[n for n in self.names() if n is not None]}.')
      return self._elements[self._index[key]][1]
    if isinstance(key, slice):
      return tuple(t for _, t in self._elements[key])
    return self._elements[key][1]

  def __getattr__(self, name):
    if name.startswith('_'):
      raise AttributeError(name)
    index = object.__getattribute__(self, '_index')
    if name in index:
      return object.__getattribute__(self, '_elements')[index[name]][1]
    raise AttributeError(f'{self} has no element named {name!r}.')

  def children(self):
    return iter(self)

  def compact_representation(self):
    parts = [f'{n}={t}' if n else str(t) for n, t in self._elements]
    return f'<{",".join(parts)}>'

  def _formatted_lines(self):
    if not self._elements:
      return ['<>']
    lines = ['<']
    for i, (n, t) in enumerate(self._elements):
      sub = t._formatted_lines()
      sub[0] = f'{n}={sub[0]}' if n else sub[0]
      if i < len(self._elements) - 1:
        sub[-1] += ','
      lines.extend('  ' + s for s in sub)
    lines.append('>')
    return lines

  def __repr__(self):
    parts = [f'({n!r}, {t!r})' if n else repr(t) for n, t in self._elements]
    container = ''
    if self.container_type is not None:
      container = f', container_type={self.container_type.__name__}'
    return f'StructType([{", ".join(parts)}]{container})'

  def _key(self):
    return self._elements

  def is_assignable_from(self, source):
    if not isinstance(source, StructType) or len(source) != len(self):
      return False
    for (tn, tt), (sn, st) in zip(self._elements, source.elements):
      if sn is not None and sn != tn:
        return False
      if not tt.is_assignable_from(st):
        return False
    return True


def _looks_like_shape(x) -> bool:
  return x is None or (isinstance(x, (list, tuple)) and all(
      d is None or isinstance(d, (int, np.integer)) for d in x))


def _contains(t: Type, kinds) -> Type | None:
  """The first type of one of `kinds` inside `t` (or `t` itself), or None."""
  if isinstance(t, kinds):
    return t
  for c in t.children():
    found = _contains(c, kinds)
    if found is not None:
      return found
  return None


class SequenceType(Type):
  """A sequence of elements of one type: `T*` (TFF's `tf.data.Dataset`).

  Example:
    >>> import numpy as np, federax as fx
    >>> str(fx.SequenceType(np.int32))
    'int32*'
  """

  __slots__ = ('element',)

  def __init__(self, element):
    from federax.core.type_conversions import to_type
    element = to_type(element)
    if not isinstance(element, Type):
      raise TypeError(f'SequenceType(element): expected a type, got '
                      f'{element!r}.')
    bad = _contains(element, (FederatedType, FunctionType, SequenceType,
                              PlacementType))
    if bad is not None:
      raise ValueError(
          f'SequenceType(element): a sequence may not contain a '
          f'{type(bad).__name__} ({bad}); got element type {element}.')
    _set(self, element=element)

  def children(self):
    yield self.element

  def compact_representation(self):
    s = str(self.element)
    # A function or federated element would need parentheses; excluded above.
    return f'{s}*'

  def __repr__(self):
    return f'SequenceType({self.element!r})'

  def _key(self):
    return self.element

  def is_assignable_from(self, source):
    return (isinstance(source, SequenceType) and
            self.element.is_assignable_from(source.element))


class FunctionType(Type):
  """A function `(T -> U)`, or `( -> U)` when `parameter` is None.

  Example:
    >>> import numpy as np, federax as fx
    >>> str(fx.FunctionType(np.int32, np.float64))
    '(int32 -> float64)'
  """

  __slots__ = ('parameter', 'result')

  def __init__(self, parameter, result):
    from federax.core.type_conversions import to_type
    _set(self, parameter=to_type(parameter), result=to_type(result))
    if self.result is None:
      raise TypeError('FunctionType(result): a function must have a result '
                      'type.')

  def children(self):
    if self.parameter is not None:
      yield self.parameter
    yield self.result

  def compact_representation(self):
    p = '' if self.parameter is None else str(self.parameter)
    return f'({p} -> {self.result})'

  def _formatted_lines(self):
    if self.parameter is None:
      res = self.result._formatted_lines()
      if len(res) == 1:
        return [f'( -> {res[0]})']
      return ['( ->'] + ['  ' + s for s in res] + [')']
    lines = ['(']
    lines += ['  ' + s for s in self.parameter._formatted_lines()]
    lines.append('->')
    lines += ['  ' + s for s in self.result._formatted_lines()]
    lines.append(')')
    return lines

  def __repr__(self):
    return f'FunctionType({self.parameter!r}, {self.result!r})'

  def _key(self):
    return (self.parameter, self.result)

  def is_assignable_from(self, source):
    if not isinstance(source, FunctionType):
      return False
    if (self.parameter is None) != (source.parameter is None):
      return False
    if self.parameter is not None and not source.parameter.is_assignable_from(
        self.parameter):
      return False
    return self.result.is_assignable_from(source.result)


class PlacementType(Type):
  """The type of placement literals (`CLIENTS`, `SERVER`): `placement`.

  Example:
    >>> import federax as fx
    >>> t = fx.infer_type(fx.CLIENTS)
    >>> str(t), t == fx.PlacementType()
    ('placement', True)
  """

  __slots__ = ()

  def compact_representation(self):
    return 'placement'

  def __repr__(self):
    return 'PlacementType()'

  def _key(self):
    return ()

  def is_assignable_from(self, source):
    return isinstance(source, PlacementType)


class FederatedType(Type):
  """A value hosted by a placement: `{T}@CLIENTS`, `T@SERVER`.

  `all_equal` defaults to `False` at `CLIENTS` and `True` at `SERVER`; an
  all-equal type drops the braces.

  Example:
    >>> import numpy as np, federax as fx
    >>> str(fx.FederatedType(np.int32, fx.CLIENTS))
    '{int32}@CLIENTS'
  """

  __slots__ = ('member', 'placement', 'all_equal')

  def __init__(self, member, placement: PlacementLiteral, all_equal=None):
    from federax.core.type_conversions import to_type
    member = to_type(member)
    if not isinstance(member, Type):
      raise TypeError(f'FederatedType(member): expected a type, got '
                      f'{member!r}.')
    if not isinstance(placement, PlacementLiteral):
      raise TypeError(
          f'FederatedType(placement): expected fx.CLIENTS or fx.SERVER, got '
          f'{placement!r} of type {type(placement).__name__}.')
    bad = _contains(member, (FederatedType, FunctionType, PlacementType))
    if bad is not None:
      raise ValueError(
          f'FederatedType(member): a federated type may not contain a '
          f'{type(bad).__name__} ({bad}); got member type {member}.')
    if all_equal is None:
      all_equal = placement.default_all_equal
    elif not isinstance(all_equal, (bool, np.bool_)):
      raise TypeError(f'FederatedType(all_equal): expected True, False or '
                      f'None, got {all_equal!r}.')
    _set(self, member=member, placement=placement, all_equal=bool(all_equal))

  def children(self):
    yield self.member

  def compact_representation(self):
    if self.all_equal:
      return f'{self.member}@{self.placement}'
    return f'{{{self.member}}}@{self.placement}'

  def _formatted_lines(self):
    lines = self.member._formatted_lines()
    if len(lines) == 1:
      return [self.compact_representation()]
    if self.all_equal:
      return lines[:-1] + [f'{lines[-1]}@{self.placement}']
    return ['{' + lines[0]] + lines[1:-1] + [f'{lines[-1]}}}@{self.placement}']

  def __repr__(self):
    extra = ''
    if self.all_equal != self.placement.default_all_equal:
      extra = f', all_equal={self.all_equal}'
    return f'FederatedType({self.member!r}, {self.placement}{extra})'

  def _key(self):
    return (self.member, self.placement, self.all_equal)

  def is_assignable_from(self, source):
    return (isinstance(source, FederatedType) and
            source.placement == self.placement and
            (source.all_equal or not self.all_equal) and
            self.member.is_assignable_from(source.member))


class AbstractType(Type):
  """A type variable (`T`) in the signatures of intrinsics; internal."""

  __slots__ = ('label',)

  def __init__(self, label: str):
    _set(self, label=label)

  def compact_representation(self):
    return self.label

  def __repr__(self):
    return f'AbstractType({self.label!r})'

  def _key(self):
    return self.label

  def is_assignable_from(self, source):
    return self == source


def type_at_clients(member, all_equal: bool = False) -> FederatedType:
  """`{member}@CLIENTS` (or `member@CLIENTS` when `all_equal`).

  Example:
    >>> import numpy as np, federax as fx
    >>> str(fx.type_at_clients(np.float32))
    '{float32}@CLIENTS'
  """
  return FederatedType(member, placements.CLIENTS, all_equal)


def type_at_server(member) -> FederatedType:
  """`member@SERVER`.

  Example:
    >>> import numpy as np, federax as fx
    >>> str(fx.type_at_server(np.float32))
    'float32@SERVER'
  """
  return FederatedType(member, placements.SERVER)


def contains(t: Type, kinds) -> bool:
  """Whether `t` is, or contains, a type of one of the classes `kinds`."""
  return _contains(t, kinds) is not None


def map_types(t: Type | None, fn) -> Any:
  """Rebuilds `t` bottom-up, replacing each type `s` by `fn(s)`."""
  if t is None:
    return None
  if isinstance(t, StructType):
    t = StructType([(n, map_types(e, fn)) for n, e in t.elements],
                   t.container_type)
  elif isinstance(t, SequenceType):
    t = SequenceType(map_types(t.element, fn))
  elif isinstance(t, FunctionType):
    t = FunctionType(map_types(t.parameter, fn), map_types(t.result, fn))
  elif isinstance(t, FederatedType):
    t = FederatedType(map_types(t.member, fn), t.placement, t.all_equal)
  return fn(t)
