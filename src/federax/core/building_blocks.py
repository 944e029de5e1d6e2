"""The IR: a small, closed set of typed, immutable building blocks.

A federated computation is a tree of these nodes, a lambda calculus with
placements and intrinsics. Every node checks its own typing rule when it is
built, so an ill-typed tree cannot exist. Nodes compare structurally and
print in TFF's compact notation: `(x -> federated_mean(x))`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from federax.core import dtypes as dtypes_lib
from federax.core import placements
from federax.core import types
from federax.core.types import Type


class ComputationBuildingBlock:
  """Base class of IR nodes; each has a `type_signature`."""

  __slots__ = ('type_signature', '_hash')

  def __setattr__(self, name, value):
    raise AttributeError(f'{type(self).__name__} is immutable.')

  def _init(self, type_signature, **fields):
    object.__setattr__(self, 'type_signature', type_signature)
    object.__setattr__(self, '_hash', None)
    for k, v in fields.items():
      object.__setattr__(self, k, v)

  def children(self) -> tuple['ComputationBuildingBlock', ...]:
    """The nodes directly below this one, in evaluation order."""
    return ()

  def _fields(self) -> tuple:
    """The non-child data that, with the children, defines the node."""
    return ()

  def compact_representation(self) -> str:
    return _compact(self)

  def formatted_representation(self) -> str:
    """A multi-line form: one line per block binding."""
    return _formatted(self, '')

  def __str__(self):
    return self.compact_representation()

  def __repr__(self):
    return f'{type(self).__name__}({self.compact_representation()})'

  def __eq__(self, other):
    if self is other:
      return True
    return (type(self) is type(other) and
            self.type_signature == other.type_signature and
            self._fields() == other._fields() and
            self.children() == other.children())

  def __hash__(self):
    if self._hash is None:
      object.__setattr__(self, '_hash', hash(
          (type(self).__name__, self.type_signature, self._fields(),
           self.children())))
    return self._hash


class Reference(ComputationBuildingBlock):
  """A reference to a name bound by an enclosing `Lambda` or `Block`."""

  __slots__ = ('name',)

  def __init__(self, name: str, type_signature):
    if not isinstance(name, str) or not name:
      raise TypeError(f'Reference(name): expected a non-empty str, got '
                      f'{name!r}.')
    self._init(_as_type(type_signature, 'Reference(type_signature)'),
               name=name)

  def _fields(self):
    return (self.name,)


class Selection(ComputationBuildingBlock):
  """Element `index` (or `name`) of a struct-typed `source`."""

  __slots__ = ('source', 'index')

  def __init__(self, source, index: int | None = None, name: str | None = None):
    _check_block(source, 'Selection(source)')
    st = source.type_signature
    if not isinstance(st, types.StructType):
      raise TypeError(f'Selection(source): expected a struct, got {st}. '
                      f'Only struct-typed values have elements.')
    if (index is None) == (name is None):
      raise TypeError('Selection: give exactly one of index or name.')
    if name is not None:
      if name not in st.names():
        raise TypeError(f'Selection(name): expected one of the names of {st}, '
                        f'got {name!r}.')
      index = st.index_of(name)
    if not isinstance(index, int) or not -len(st) <= index < len(st):
      raise TypeError(f'Selection(index): index {index!r} out of range for '
                      f'{st} with {len(st)} elements.')
    index %= len(st)
    self._init(st[index], source=source, index=index)

  @property
  def name(self) -> str | None:
    return self.source.type_signature.elements[self.index][0]

  def children(self):
    return (self.source,)

  def _fields(self):
    return (self.index,)


class Struct(ComputationBuildingBlock):
  """A struct of `(name, block)` elements (names may be None)."""

  __slots__ = ('elements',)

  def __init__(self, elements, container_type=None):
    items = []
    for e in elements:
      if isinstance(e, tuple) and len(e) == 2:
        name, bb = e
      else:
        name, bb = None, e
      _check_block(bb, 'Struct element')
      items.append((name, bb))
    t = types.StructType([(n, bb.type_signature) for n, bb in items],
                         container_type)
    self._init(t, elements=tuple(items))

  def children(self):
    return tuple(bb for _, bb in self.elements)

  def _fields(self):
    return tuple(n for n, _ in self.elements)


class Call(ComputationBuildingBlock):
  """Calls `function` on `argument` (None for a no-parameter function)."""

  __slots__ = ('function', 'argument')

  def __init__(self, function, argument=None):
    _check_block(function, 'Call(function)')
    ft = function.type_signature
    if not isinstance(ft, types.FunctionType):
      raise TypeError(f'Call(function): expected a function, got {ft}.')
    if argument is None:
      if ft.parameter is not None:
        raise TypeError(f'Call(argument): {_label(function)} of type {ft} '
                        f'needs an argument of type {ft.parameter}.')
    else:
      _check_block(argument, 'Call(argument)')
      if ft.parameter is None:
        raise TypeError(f'Call(argument): {_label(function)} of type {ft} '
                        f'takes no argument, got one of type '
                        f'{argument.type_signature}.')
      if not ft.parameter.is_assignable_from(argument.type_signature):
        raise TypeError(
            f'Call(argument): {_label(function)} expects {ft.parameter}, got '
            f'{argument.type_signature}.')
    self._init(ft.result, function=function, argument=argument)

  def children(self):
    return (self.function,) if self.argument is None else (self.function,
                                                           self.argument)


class Lambda(ComputationBuildingBlock):
  """`(parameter_name -> result)`; no parameter when `parameter_name` is None."""

  __slots__ = ('parameter_name', 'parameter_type', 'result')

  def __init__(self, parameter_name, parameter_type, result):
    _check_block(result, 'Lambda(result)')
    if (parameter_name is None) != (parameter_type is None):
      raise TypeError('Lambda: parameter_name and parameter_type must both be '
                      'given or both be None.')
    if parameter_type is not None:
      parameter_type = _as_type(parameter_type, 'Lambda(parameter_type)')
    self._init(types.FunctionType(parameter_type, result.type_signature),
               parameter_name=parameter_name, parameter_type=parameter_type,
               result=result)

  def children(self):
    return (self.result,)

  def _fields(self):
    return (self.parameter_name,)


class Block(ComputationBuildingBlock):
  """`(let a=..., b=... in result)`: sequential local bindings."""

  __slots__ = ('locals', 'result')

  def __init__(self, local_symbols, result):
    local_symbols = tuple(local_symbols)
    for name, bb in local_symbols:
      if not isinstance(name, str) or not name:
        raise TypeError(f'Block local name: expected a non-empty str, got '
                        f'{name!r}.')
      _check_block(bb, f'Block local {name!r}')
    _check_block(result, 'Block(result)')
    self._init(result.type_signature, locals=local_symbols, result=result)

  def children(self):
    return tuple(bb for _, bb in self.locals) + (self.result,)

  def _fields(self):
    return tuple(n for n, _ in self.locals)


class Intrinsic(ComputationBuildingBlock):
  """An intrinsic operator, by uri, at a concrete type.

  The type must be an instance of the intrinsic's declared signature.
  """

  __slots__ = ('uri',)

  def __init__(self, uri: str, type_signature):
    from federax.core import intrinsic_defs
    definition = intrinsic_defs.by_uri(uri)
    type_signature = _as_type(type_signature, f'Intrinsic({uri})')
    definition.check_instance(type_signature)
    self._init(type_signature, uri=uri)

  @property
  def name(self) -> str:
    return self.uri

  def _fields(self):
    return (self.uri,)


class Literal(ComputationBuildingBlock):
  """A constant tensor (a numpy array or scalar, or a string)."""

  __slots__ = ('value',)

  def __init__(self, value, type_signature=None):
    array = np.asarray(value)
    if type_signature is None:
      type_signature = types.TensorType(array.dtype, array.shape)
    if not isinstance(type_signature, types.TensorType):
      raise TypeError(f'Literal(type_signature): expected a tensor type, got '
                      f'{type_signature}.')
    dtype = type_signature.dtype
    array = array.astype(object if dtype == dtypes_lib.STR else dtype)
    if not type_signature.is_assignable_from(
        types.TensorType(type_signature.dtype, array.shape)):
      raise TypeError(f'Literal: value of shape {array.shape} does not fit '
                      f'{type_signature}.')
    array.setflags(write=False)
    self._init(type_signature, value=array)

  def _fields(self):
    return (self.value.dtype.str, self.value.shape, self.value.tobytes()
            if self.value.dtype != object else tuple(self.value.ravel()))


class Placement(ComputationBuildingBlock):
  """A placement literal (`CLIENTS`, `SERVER`)."""

  __slots__ = ('literal',)

  def __init__(self, literal: placements.PlacementLiteral):
    if not isinstance(literal, placements.PlacementLiteral):
      raise TypeError(f'Placement: expected fx.CLIENTS or fx.SERVER, got '
                      f'{literal!r}.')
    self._init(types.PlacementType(), literal=literal)

  def _fields(self):
    return (self.literal.uri,)


class CompiledComputation(ComputationBuildingBlock):
  """A local computation compiled by a framework (JAX), run as a unit.

  `function` is the framework object (a `JaxFunction`) with a `name`;
  equality is identity of that object.
  """

  __slots__ = ('function',)

  def __init__(self, function: Any, type_signature):
    type_signature = _as_type(type_signature, 'CompiledComputation')
    if not isinstance(type_signature, types.FunctionType):
      raise TypeError(f'CompiledComputation(type_signature): expected a '
                      f'function type, got {type_signature}.')
    self._init(type_signature, function=function)

  @property
  def name(self) -> str:
    return getattr(self.function, 'name', 'compiled')

  def _fields(self):
    return (id(self.function),)


def _as_type(t, what) -> Type:
  if not isinstance(t, Type):
    raise TypeError(f'{what}: expected a federax Type, got {t!r}.')
  return t


def _check_block(bb, what):
  if not isinstance(bb, ComputationBuildingBlock):
    raise TypeError(f'{what}: expected a building block, got '
                    f'{type(bb).__name__}.')


def _label(bb) -> str:
  if isinstance(bb, Intrinsic):
    return bb.uri
  if isinstance(bb, CompiledComputation):
    return bb.name
  return 'the function'


def _literal_str(value: np.ndarray) -> str:
  if value.dtype == object:
    return repr(value.item()) if value.ndim == 0 else repr(value.tolist())
  if value.ndim == 0:
    return repr(value.item())
  return np.array2string(value, separator=',', threshold=8).replace('\n', '')


def _compact(bb) -> str:
  if isinstance(bb, Reference):
    return bb.name
  if isinstance(bb, Selection):
    name = bb.name
    src = _compact(bb.source)
    return f'{src}.{name}' if name else f'{src}[{bb.index}]'
  if isinstance(bb, Struct):
    return '<' + ','.join(f'{n}={_compact(e)}' if n else _compact(e)
                          for n, e in bb.elements) + '>'
  if isinstance(bb, Call):
    arg = '' if bb.argument is None else _compact(bb.argument)
    return f'{_compact(bb.function)}({arg})'
  if isinstance(bb, Lambda):
    return f'({bb.parameter_name or ""} -> {_compact(bb.result)})'
  if isinstance(bb, Block):
    binds = ','.join(f'{n}={_compact(v)}' for n, v in bb.locals)
    return f'(let {binds} in {_compact(bb.result)})'
  if isinstance(bb, Intrinsic):
    return bb.uri
  if isinstance(bb, Literal):
    return _literal_str(bb.value)
  if isinstance(bb, Placement):
    return bb.literal.name
  if isinstance(bb, CompiledComputation):
    return f'comp#{bb.name}'
  raise TypeError(f'Unknown building block {type(bb).__name__}.')


def _formatted(bb, indent: str) -> str:
  if isinstance(bb, Lambda):
    return f'({bb.parameter_name or ""} -> {_formatted(bb.result, indent)})'
  if isinstance(bb, Block):
    inner = indent + '  '
    binds = ',\n'.join(f'{inner}{n}={_formatted(v, inner)}'
                       for n, v in bb.locals)
    return f'(let\n{binds}\n{indent}in {_formatted(bb.result, indent)})'
  return _compact(bb)

