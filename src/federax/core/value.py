"""Traced values: what a `federated_computation` body manipulates.

A `Value` wraps a building block. Selecting `v.a` or `v[0]`, iterating,
and calling a function-typed value all build IR. On a federated struct,
`v.a` selects inside every member (a `federated_map` or `federated_apply`
of the selection), as in TFF.
"""

from __future__ import annotations

from federax.core import building_blocks as bb
from federax.core import placements
from federax.core import structure
from federax.core import types


class Value:
  """A value inside a traced federated computation.

  Example:
    >>> import numpy as np, federax as fx
    >>> @fx.federated_computation(fx.type_at_server(
    ...     fx.StructType([('a', np.int32), ('b', np.float32)])))
    ... def get_a(s):
    ...   return s.a          # a federated_apply of the selection
    >>> str(get_a.type_signature)
    '(<a=int32,b=float32>@SERVER -> int32@SERVER)'
  """

  __slots__ = ('_comp',)

  def __init__(self, comp: bb.ComputationBuildingBlock):
    if not isinstance(comp, bb.ComputationBuildingBlock):
      raise TypeError(f'Value: expected a building block, got '
                      f'{type(comp).__name__}.')
    object.__setattr__(self, '_comp', comp)

  @property
  def comp(self) -> bb.ComputationBuildingBlock:
    """The building block this value stands for."""
    return self._comp

  @property
  def type_signature(self) -> types.Type:
    return self._comp.type_signature

  def __repr__(self):
    return f'Value({self._comp.compact_representation()}: {self.type_signature})'

  def __str__(self):
    return self._comp.compact_representation()

  def __setattr__(self, name, value):
    raise AttributeError('Traced values are immutable.')

  def __bool__(self):
    raise TypeError(
        f'A traced value of type {self.type_signature} has no truth value: '
        f'Python control flow (if, while, and, or) cannot depend on values '
        f'inside a federated_computation. Compute it in a jax_computation '
        f'(e.g. with jnp.where) instead.')

  def _struct_type(self, what):
    t = self.type_signature
    if isinstance(t, types.FederatedType) and isinstance(t.member,
                                                         types.StructType):
      return t.member
    if isinstance(t, types.StructType):
      return t
    raise TypeError(f'{what}: expected a struct or a federated struct, got a '
                    f'value of type {t}.')

  def _select(self, index):
    t = self.type_signature
    if isinstance(t, types.StructType):
      return _bind(bb.Selection(self._comp, index=index))
    # A federated struct: select inside each member.
    member = t.member
    ref = bb.Reference('x', member)
    fn = bb.Lambda('x', member, bb.Selection(ref, index=index))
    from federax.core import intrinsics
    return intrinsics.federated_map(Value(fn), self)

  def __getattr__(self, name):
    if name.startswith('__'):
      raise AttributeError(name)
    try:
      st = self._struct_type(f'.{name}')
    except TypeError as e:
      # An AttributeError, so that hasattr() and getattr(v, n, default) work.
      raise AttributeError(str(e)) from None
    if name not in st.names():
      raise AttributeError(
          f'.{name}: the value of type {self.type_signature} has no element '
          f'named {name!r}; names are {[n for n in st.names() if n]}.')
    return self._select(st.index_of(name))

  def __getitem__(self, key):
    st = self._struct_type(f'[{key!r}]')
    if isinstance(key, str):
      if key not in st.names():
        raise KeyError(
            f'[{key!r}]: the value of type {self.type_signature} has no '
            f'element named {key!r}; names are {[n for n in st.names() if n]}.')
      return self._select(st.index_of(key))
    if isinstance(key, slice):
      return [self._select(i) for i in range(len(st))[key]]
    if not isinstance(key, int) or not -len(st) <= key < len(st):
      raise IndexError(f'[{key!r}]: index out of range for {st} with '
                       f'{len(st)} elements.')
    return self._select(key % len(st))

  def __len__(self):
    return len(self._struct_type('len()'))

  def __iter__(self):
    st = self._struct_type('iteration')
    return (self._select(i) for i in range(len(st)))

  def __dir__(self):
    t = self.type_signature
    if isinstance(t, types.FederatedType):
      t = t.member
    names = [n for n in t.names() if n] if isinstance(t, types.StructType) else []
    return sorted(set(super().__dir__()) | set(names))

  def __call__(self, *args, **kwargs):
    t = self.type_signature
    if not isinstance(t, types.FunctionType):
      raise TypeError(f'A value of type {t} is not a function and cannot be '
                      f'called.')
    if kwargs or len(args) > 1:
      arg = structure.Struct([(None, a) for a in args] + list(kwargs.items()))
    else:
      arg = args[0] if args else None
    if (arg is None) != (t.parameter is None):
      raise TypeError(f'Calling a value of type {t}: expected '
                      f'{"no argument" if t.parameter is None else t.parameter}'
                      f', got {"none" if arg is None else "one"}.')
    arg_comp = None if arg is None else to_value(arg, t.parameter).comp
    return _bind(bb.Call(self._comp, arg_comp))


def _bind(comp: bb.ComputationBuildingBlock) -> Value:
  from federax.core import tracing
  return tracing.bind(comp)


def to_value(obj, type_hint: types.Type | None = None) -> Value:
  """Converts a Python object met while tracing into a `Value`.

  Accepts traced values, computations, placement literals, Python callables
  (traced as federated computations when `type_hint` is a function type),
  struct containers of any of these, and constants (which become literals).
  """
  from federax.core import computation as computation_lib
  from federax.core import type_conversions
  if isinstance(obj, Value):
    return obj
  if isinstance(obj, computation_lib.Computation):
    return Value(obj.building_block)
  if isinstance(obj, placements.PlacementLiteral):
    return Value(bb.Placement(obj))
  if _is_function_like(obj):
    if not isinstance(type_hint, types.FunctionType):
      raise TypeError(
          f'{getattr(obj, "name", getattr(obj, "__name__", obj))} cannot be '
          f'used here without a type: wrap it in fx.federated_computation or '
          f'fx.jax_computation with a type spec.')
    return to_function(obj, type_hint.parameter, 'function')
  if structure.is_container(obj):
    elements = structure.elements_of(obj)
    hints = [None] * len(elements)
    if isinstance(type_hint, types.StructType) and len(type_hint) == len(
        elements):
      hints = list(type_hint)
    values = [(n, to_value(v, h).comp) for (n, v), h in zip(elements, hints)]
    return Value(bb.Struct(values, structure.container_of(obj)))
  try:
    t = type_conversions.infer_type(obj)
  except (TypeError, ValueError) as e:
    raise TypeError(f'Cannot use {obj!r} of Python type '
                    f'{type(obj).__name__} in a federated computation: '
                    f'{e}') from None
  if isinstance(type_hint, types.TensorType) and type_hint.dtype != t.dtype:
    t = _literal_type_for_hint(obj, t, type_hint)
  return Value(bb.Literal(obj, t))


def _is_function_like(obj) -> bool:
  from federax.core import computation as computation_lib
  return isinstance(obj, computation_lib.PolymorphicComputation) or (
      callable(obj) and not structure.is_container(obj) and
      not isinstance(obj, (type, Value)))


def to_function(obj, parameter_type: types.Type | None, what: str) -> Value:
  """A function value that accepts `parameter_type`, from `obj`.

  `obj` may be a computation, a polymorphic computation (concretized at
  `parameter_type`), a traced function value, or a Python callable (traced
  as a federated computation on `parameter_type`).
  """
  from federax.core import computation as computation_lib
  from federax.core import tracing
  if isinstance(obj, computation_lib.PolymorphicComputation):
    return Value(obj.concretize(parameter_type).building_block)
  if isinstance(obj, computation_lib.Computation):
    value = Value(obj.building_block)
  elif isinstance(obj, Value):
    value = obj
  elif _is_function_like(obj):
    return Value(tracing.trace_lambda(obj, parameter_type))
  else:
    raise TypeError(f'{what}: expected a computation or a function, got '
                    f'{obj!r} of Python type {type(obj).__name__}.')
  ft = value.type_signature
  if not isinstance(ft, types.FunctionType):
    raise TypeError(f'{what}: expected a function, got a value of type {ft}.')
  if (ft.parameter is None) != (parameter_type is None) or (
      parameter_type is not None and
      not ft.parameter.is_assignable_from(parameter_type)):
    if parameter_type is None:
      raise TypeError(f'{what}: expected a function that takes no argument, '
                      f'( -> T), got {ft}.')
    raise TypeError(
        f'{what}: expected a function that accepts {parameter_type}, got '
        f'{ft}. Give the function a parameter type that accepts '
        f'{parameter_type}.')
  return value


def _literal_type_for_hint(obj, inferred, hint):
  """Python numbers take the dtype a parameter expects, when lossless."""
  import numpy as np
  from federax.core import dtypes as dtypes_lib
  # Only plain Python numbers: numpy scalars (np.float64 is a float) keep
  # their dtype, as federax never converts dtypes implicitly.
  if type(obj) not in (int, float) or hint.dtype == dtypes_lib.STR:
    return inferred
  if isinstance(obj, float) and not dtypes_lib.is_floating(hint.dtype):
    return inferred
  if isinstance(obj, int) and dtypes_lib.is_integer(hint.dtype):
    info = np.iinfo(hint.dtype)
    if not info.min <= obj <= info.max:
      return inferred  # Does not fit: the call then fails to type-check.
  return types.TensorType(hint.dtype, ())
