"""Computations: typed, callable, and polymorphic ones traced per type."""

from __future__ import annotations

from typing import Callable

from federax.core import building_blocks as bb
from federax.core import context_stack
from federax.core import structure
from federax.core import type_conversions
from federax.core import types


class Computation:
  """A typed computation: a building block with a function type.

  Calling it runs it in the current execution context or, inside a traced
  federated computation, adds a call to the trace. Several parameters are
  one struct parameter, as in TFF; `comp(a, b)`, `comp(x=a, f=b)` and
  `comp([a, b])` all pass it.

  Example:
    >>> import numpy as np, federax as fx
    >>> @fx.federated_computation(fx.type_at_clients(np.float32))
    ... def get_average_temperature(sensor_readings):
    ...   return fx.federated_mean(sensor_readings)
    >>> str(get_average_temperature.type_signature)
    '({float32}@CLIENTS -> float32@SERVER)'
    >>> float(get_average_temperature([68.5, 70.3, 69.8]))  # doctest: +ELLIPSIS
    69.5...
  """

  def __init__(self, building_block: bb.ComputationBuildingBlock,
               parameter_names: list[str], name: str,
               python_fn: Callable | None = None):
    if not isinstance(building_block.type_signature, types.FunctionType):
      raise TypeError(f'A computation needs a function type, got '
                      f'{building_block.type_signature}.')
    self._building_block = building_block
    self._parameter_names = list(parameter_names)
    self._name = name
    self._python_fn = python_fn

  @property
  def building_block(self) -> bb.ComputationBuildingBlock:
    """The IR of this computation (a `Lambda` or `CompiledComputation`)."""
    return self._building_block

  @property
  def type_signature(self) -> types.FunctionType:
    return self._building_block.type_signature

  @property
  def name(self) -> str:
    return self._name

  @property
  def parameter_names(self) -> list[str]:
    return list(self._parameter_names)

  def __repr__(self):
    return f'Computation({self._name}: {self.type_signature})'

  def __call__(self, *args, **kwargs):
    if self._python_fn is not None and _inside_jax_trace():
      # Called from inside another JAX function: inline it.
      return self._python_fn(*args, **kwargs)
    arg = pack_arguments(self._name, self._parameter_names,
                         self.type_signature.parameter, args, kwargs)
    return context_stack.current().invoke(self, arg)


class PolymorphicComputation:
  """A computation without type specs, traced again for each argument type.

  Example:
    >>> import federax as fx
    >>> @fx.jax_computation
    ... def add(x, y):
    ...   return x + y
    >>> int(add(1, 2)), float(add(0.5, 0.25))
    (3, 0.75)
  """

  def __init__(self, fn: Callable, concretize: Callable[[types.Type | None],
                                                        Computation],
               parameter_names: list[str], name: str):
    self._fn = fn
    self._concretize = concretize
    self._parameter_names = list(parameter_names)
    self._name = name
    self._cache: dict = {}

  @property
  def name(self) -> str:
    return self._name

  @property
  def fn(self) -> Callable:
    return self._fn

  def concretize(self, parameter_type: types.Type | None) -> Computation:
    """The computation traced for arguments of `parameter_type` (cached)."""
    key = (parameter_type, _container_key(parameter_type))
    if key not in self._cache:
      self._cache[key] = self._concretize(parameter_type)
    return self._cache[key]

  def __repr__(self):
    return f'PolymorphicComputation({self._name})'

  def __call__(self, *args, **kwargs):
    arg = pack_arguments(self._name, self._parameter_names, None, args,
                         kwargs)
    parameter_type = type_conversions.infer_type(arg)
    try:
      computation = self.concretize(parameter_type)
    except TypeError as e:
      from federax.core import tracing
      if (tracing.current_tracing_context() is not None and
          types.contains(parameter_type, types.FederatedType) and
          'federated_map' not in str(e)):
        raise TypeError(
            f'{e} If {self._name} is a local (unplaced) computation, apply '
            f'it to each member of the placed value {parameter_type} with '
            f'fx.federated_map({self._name}, value).') from e
      raise
    if computation._python_fn is not None and _inside_jax_trace():
      return self._fn(*args, **kwargs)  # Inlined, as for typed ones.
    # `arg` is already packed: packing it again for `computation`, whose
    # parameter type is `infer_type(arg)`, gives `arg`.
    return context_stack.current().invoke(computation, arg)


def _container_key(t):
  """The Python containers inside `t`, which type equality ignores."""
  if isinstance(t, types.StructType):
    return (t.container_type, tuple(_container_key(e) for e in t))
  if t is None or isinstance(t, types.TensorType):
    return None
  return tuple(_container_key(c) for c in t.children())


def _inside_jax_trace() -> bool:
  """Whether JAX is tracing a function now (a call from inside JAX code).

  A JAX computation called there, on tracers or on constants, is inlined:
  it is part of the function being traced.
  """
  import sys
  if 'jax' not in sys.modules:
    return False
  from jax._src import core
  return not core.trace_state_clean()


def pack_arguments(name: str, parameter_names: list[str],
                   parameter_type: types.Type | None, args, kwargs):
  """Packs call arguments into the one argument a computation takes.

  No parameter gives None; one parameter gives the argument itself;
  several give a `Struct` named by the parameters, or the single struct
  container (list, tuple, NamedTuple, dict, dataclass, attrs instance) the
  caller passed when it has one element per parameter.
  """
  n = len(parameter_names)
  if parameter_type is None and n == 0 and (args or kwargs):
    raise TypeError(f'{name} takes no arguments, got {len(args)} positional '
                    f'and {len(kwargs)} keyword.')
  if n == 0:
    return None
  if n == 1:
    if len(args) + len(kwargs) != 1:
      raise TypeError(f'{name} takes 1 argument ({parameter_names[0]}), got '
                      f'{len(args) + len(kwargs)}.')
    if kwargs:
      (key, value), = kwargs.items()
      if key != parameter_names[0]:
        raise TypeError(f'{name} got an unexpected keyword argument {key!r}; '
                        f'its parameter is {parameter_names[0]!r}.')
      return value
    return args[0]
  if len(args) == 1 and not kwargs and _unpackable(args[0], n):
    if isinstance(args[0], dict) and set(args[0]) == set(parameter_names):
      # A mapping of parameter names: by name, whatever its key order.
      kwargs, args = args[0], ()
    else:
      return args[0]
  if len(args) > n:
    raise TypeError(f'{name} takes {n} arguments {parameter_names}, got '
                    f'{len(args)} positional.')
  values = dict(zip(parameter_names, args))
  for key, value in kwargs.items():
    if key not in parameter_names:
      raise TypeError(f'{name} got an unexpected keyword argument {key!r}; '
                      f'its parameters are {parameter_names}.')
    if key in values:
      raise TypeError(f'{name} got multiple values for argument {key!r}.')
    values[key] = value
  missing = [p for p in parameter_names if p not in values]
  if missing:
    raise TypeError(f'{name} is missing arguments {missing}; its parameters '
                    f'are {parameter_names}.')
  names = parameter_names
  if isinstance(parameter_type, types.StructType) and len(parameter_type) == n:
    names = parameter_type.names()
  return structure.Struct(
      (k, values[p]) for k, p in zip(names, parameter_names))


def _unpackable(value, n) -> bool:
  """Whether `value` is a container with one element per parameter.

  Any federax struct container counts: list, tuple (NamedTuple), dict,
  `Struct`, dataclass or attrs instance.
  """
  if not structure.is_container(value):
    return False
  try:
    return len(structure.elements_of(value)) == n
  except TypeError:  # E.g. a dict with non-str keys: not a struct.
    return False
