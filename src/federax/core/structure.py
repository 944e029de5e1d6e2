"""Python containers for structs: taking them apart and putting them back.

A federax struct value is any Python container with named or unnamed
elements: `dict`, `list`, `tuple`, a `NamedTuple`, a dataclass, an attrs
class, or `Struct` (the default when a type carries no container). This
module knows how to list a container's `(name, value)` elements and how to
rebuild a container of the same kind from new element values, so that
results come back in the container the caller used.
"""

from __future__ import annotations

import collections
import dataclasses
from typing import Any, Iterable, Iterator


class Struct:
  """An immutable sequence of optionally named values (TFF's `Struct`).

  Elements are reachable by position, by name (`s['a']`) and as attributes
  (`s.a`). It is the container of struct values whose type does not name a
  Python container, and it is a JAX pytree.

  Example:
    >>> s = Struct([('a', 1), (None, 2)])
    >>> s.a, s[1], len(s)
    (1, 2, 2)
  """

  __slots__ = ('_names', '_values', '_index')

  def __init__(self, elements: Iterable[tuple[str | None, Any]]):
    elements = list(elements)
    names = tuple(n for n, _ in elements)
    index = {}
    for i, name in enumerate(names):
      if name is not None:
        if not isinstance(name, str):
          raise TypeError(
              f'Struct element names must be str or None, got {name!r}.')
        if name in index:
          raise ValueError(f'Struct has duplicate element name {name!r}.')
        index[name] = i
    object.__setattr__(self, '_names', names)
    object.__setattr__(self, '_values', tuple(v for _, v in elements))
    object.__setattr__(self, '_index', index)

  @classmethod
  def named(cls, **kwargs) -> 'Struct':
    """`Struct.named(a=1, b=2)` is `Struct([('a', 1), ('b', 2)])`."""
    return cls(kwargs.items())

  def names(self) -> tuple[str | None, ...]:
    return self._names

  def items(self) -> list[tuple[str | None, Any]]:
    return list(zip(self._names, self._values))

  def __len__(self) -> int:
    return len(self._values)

  def __iter__(self) -> Iterator[Any]:
    return iter(self._values)

  def __getitem__(self, key):
    if isinstance(key, str):
      if key not in self._index:
        raise KeyError(f'Struct has no element named {key!r}; names are '
                       f'{[n for n in self._names if n]}.')
      return self._values[self._index[key]]
    return self._values[key]

  def __getattr__(self, name):
    index = object.__getattribute__(self, '_index')
    if name in index:
      return object.__getattribute__(self, '_values')[index[name]]
    raise AttributeError(f'Struct has no element named {name!r}.')

  def __setattr__(self, name, value):
    raise AttributeError('Struct is immutable.')

  def __delattr__(self, name):
    raise AttributeError('Struct is immutable.')

  def __reduce__(self):  # copy, deepcopy and pickle (slots, no setattr).
    return (Struct, (self.items(),))

  def __eq__(self, other):
    return (isinstance(other, Struct) and self._names == other._names and
            _values_equal(self._values, other._values))

  def __hash__(self):
    return hash((self._names, self._values))

  def __repr__(self):
    parts = [f'{n}={v!r}' if n else repr(v) for n, v in self.items()]
    return f'<{",".join(parts)}>'


def _values_equal(a, b) -> bool:
  import numpy as np
  if len(a) != len(b):
    return False
  for x, y in zip(a, b):
    if hasattr(x, 'shape') or hasattr(y, 'shape'):
      if not np.array_equal(np.asarray(x), np.asarray(y)):
        return False
    elif (isinstance(x, (list, tuple)) and isinstance(y, (list, tuple)) and
          not isinstance(x, Struct)):  # Arrays inside: compare elementwise.
      if type(x) is not type(y) or not _values_equal(x, y):
        return False
    elif isinstance(x, dict) and isinstance(y, dict):
      if (type(x) is not type(y) or list(x) != list(y) or
          not _values_equal(list(x.values()), list(y.values()))):
        return False
    elif x != y:
      return False
  return True


def is_named_tuple(value_or_cls) -> bool:
  cls = value_or_cls if isinstance(value_or_cls, type) else type(value_or_cls)
  return issubclass(cls, tuple) and hasattr(cls, '_fields')


def is_attrs(value_or_cls) -> bool:
  cls = value_or_cls if isinstance(value_or_cls, type) else type(value_or_cls)
  return hasattr(cls, '__attrs_attrs__')


def is_dataclass_instance(value) -> bool:
  return dataclasses.is_dataclass(value) and not isinstance(value, type)


def is_sorted_mapping(value_or_cls) -> bool:
  """Whether a mapping's elements are in key order, as in JAX pytrees.

  A plain `dict` (or `defaultdict`) is unordered as far as equality goes, and
  JAX flattens it in sorted key order; federax does the same, so struct
  types of dicts list their elements sorted by name. An `OrderedDict` keeps
  its order.
  """
  cls = value_or_cls if isinstance(value_or_cls, type) else type(value_or_cls)
  return cls in (dict, collections.defaultdict)


def is_container(value) -> bool:
  """Whether `value` is a struct container federax takes apart."""
  return (isinstance(value, (list, tuple, dict, Struct)) or
          is_dataclass_instance(value) or
          (is_attrs(value) and not isinstance(value, type)))


def elements_of(value) -> list[tuple[str | None, Any]]:
  """The `(name, value)` elements of a struct container, in order."""
  if isinstance(value, Struct):
    return value.items()
  if is_named_tuple(value):
    return list(zip(value._fields, value))
  if isinstance(value, (list, tuple)):
    return [(None, v) for v in value]
  if isinstance(value, dict):
    for k in value:
      if not isinstance(k, str):
        raise TypeError(
            f'dict keys of a struct must be str, got {k!r} of type '
            f'{type(k).__name__}. Use string keys.')
    items = list(value.items())
    return sorted(items) if is_sorted_mapping(value) else items
  if is_dataclass_instance(value):
    return [(f.name, getattr(value, f.name))
            for f in dataclasses.fields(value)]
  if is_attrs(value):
    return [(a.name, getattr(value, a.name))
            for a in type(value).__attrs_attrs__]
  raise TypeError(f'{type(value).__name__} is not a struct container.')


def container_of(value):
  """The container type to rebuild `value` with (`None` for a `Struct`)."""
  return None if isinstance(value, Struct) else type(value)


def build(container_type, names, values):
  """Rebuilds a container of `container_type` from element names and values.

  `container_type=None` gives a `Struct`.
  """
  values = list(values)
  names = list(names)
  if len(names) != len(values):
    raise ValueError(f'build: expected as many names as values, got '
                     f'{len(names)} names {names} and {len(values)} values.')
  if container_type is None or container_type is Struct:
    return Struct(zip(names, values))
  if is_named_tuple(container_type):
    return container_type(*values)
  if container_type in (list, tuple):
    return container_type(values)
  if isinstance(container_type, type) and issubclass(container_type, dict):
    if issubclass(container_type, collections.defaultdict):
      return collections.OrderedDict(zip(names, values))
    return container_type(zip(names, values))
  if dataclasses.is_dataclass(container_type):
    fields = dict(zip(names, values))
    init = {f.name for f in dataclasses.fields(container_type) if f.init}
    result = container_type(**{k: v for k, v in fields.items() if k in init})
    for k, v in fields.items():  # Fields with init=False.
      if k not in init:
        object.__setattr__(result, k, v)
    return result
  if is_attrs(container_type):
    # attrs strips leading underscores from __init__ arguments (`alias`).
    aliases = {a.name: getattr(a, 'alias', None) or a.name.lstrip('_')
               for a in container_type.__attrs_attrs__}
    return container_type(**{aliases.get(n, n): v
                             for n, v in zip(names, values)})
  if isinstance(container_type, type) and issubclass(container_type,
                                                     (list, tuple)):
    return container_type(values)
  raise TypeError(f'Cannot rebuild a struct as {container_type!r}.')


_pytree_registered = False


def _register_pytree():
  """Registers `Struct` as a JAX pytree (called when JAX is first used).

  Idempotent: JAX refuses a second registration of the same class.
  """
  global _pytree_registered
  if _pytree_registered:
    return
  import jax
  jax.tree_util.register_pytree_node(
      Struct, lambda s: (s._values, s._names),
      lambda names, values: Struct(zip(names, values)))
  _pytree_registered = True
