"""Tracing Python functions into federated IR.

While a function is traced, a `FederatedComputationContext` is current:
every call of an intrinsic or of a computation is bound to a fresh local
name, so a value used twice is computed once, and the traced body becomes
`(param -> (let _var1=..., _var2=... in result))`.
"""

from __future__ import annotations

import inspect
import itertools

from federax.core import building_blocks as bb
from federax.core import context_stack
from federax.core import types
from federax.core.value import Value, to_value


class FederatedComputationContext(context_stack.Context):
  """The context in which a federated computation's body is traced."""

  def __init__(self, namer):
    self.bindings: list[tuple[str, bb.ComputationBuildingBlock]] = []
    self.namer = namer

  def bind(self, comp: bb.ComputationBuildingBlock) -> Value:
    if not isinstance(comp, bb.Call):
      return Value(comp)
    name = f'_var{next(self.namer)}'
    self.bindings.append((name, comp))
    return Value(bb.Reference(name, comp.type_signature))

  def invoke(self, computation, arg):
    ft = computation.type_signature
    if ft.parameter is None:
      return self.bind(bb.Call(computation.building_block))
    value = to_value(arg, ft.parameter)
    check_argument(computation.name, ft.parameter, value.type_signature)
    return self.bind(bb.Call(computation.building_block, value.comp))


def check_argument(name: str, expected: types.Type, actual: types.Type):
  """Raises a `TypeError` that says how to fix an ill-typed call."""
  if expected.is_assignable_from(actual):
    return
  if types.contains(actual, types.FederatedType) and not types.contains(
      expected, types.FederatedType):
    raise TypeError(
        f'{name}: expected an argument of type {expected}, got the placed '
        f'value {actual}. {name} is a local (unplaced) computation; apply it '
        f'to each member with fx.federated_map({name}, value).')
  raise TypeError(f'{name}: expected an argument of type {expected}, got '
                  f'{actual}. Pass a value whose type is assignable to '
                  f'{expected}.')


def current_tracing_context() -> FederatedComputationContext | None:
  ctx = context_stack.current()
  return ctx if isinstance(ctx, FederatedComputationContext) else None


def bind(comp: bb.ComputationBuildingBlock) -> Value:
  """Records `comp` in the current trace and returns a value for it."""
  ctx = current_tracing_context()
  if ctx is None:
    raise RuntimeError(
        'Federated operators (fx.federated_*, fx.sequence_*) can only be used '
        'inside a function decorated with fx.federated_computation.')
  return ctx.bind(comp)


def parameter_names(fn) -> list[str]:
  """The names of `fn`'s positional parameters; rejects *args and **kwargs."""
  try:
    sig = inspect.signature(fn)
  except (TypeError, ValueError):
    return ['arg']
  names = []
  for p in sig.parameters.values():
    if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
      raise TypeError(
          f'{getattr(fn, "__name__", fn)}: *args and **kwargs are not '
          f'supported in computations; declare each parameter by name.')
    if p.kind == p.KEYWORD_ONLY:
      raise TypeError(f'{getattr(fn, "__name__", fn)}: keyword-only parameter '
                      f'{p.name!r} is not supported; make it positional.')
    names.append(p.name)
  return names


def unpack_parameter(param: Value, names: list[str]) -> list:
  """The Python arguments for a function with `names` given one parameter."""
  if len(names) <= 1:
    return [param] if names else []
  t = param.type_signature
  if not isinstance(t, types.StructType) or len(t) != len(names):
    raise TypeError(f'A function of {len(names)} parameters {names} needs a '
                    f'struct parameter of {len(names)} elements, got {t}.')
  return [param[i] for i in range(len(names))]


def trace_function(fn, parameter_type: types.Type | None,
                   names: list[str]) -> bb.Lambda:
  """Traces `fn` on a parameter of `parameter_type` into a `Lambda`."""
  outer = current_tracing_context()
  namer = outer.namer if outer is not None else itertools.count(1)
  ctx = FederatedComputationContext(namer)
  if parameter_type is None and names:
    raise TypeError(f'{getattr(fn, "__name__", fn)} has parameters {names} '
                    f'but no parameter type was given.')
  pname = None
  with context_stack.install(ctx):
    if parameter_type is None:
      result = fn()
    else:
      pname = names[0] if len(names) == 1 else 'arg'
      param = Value(bb.Reference(pname, parameter_type))
      result = fn(*unpack_parameter(param, names))
    if result is None:
      raise TypeError(f'{getattr(fn, "__name__", fn)} returned None; a '
                      f'federated computation must return a value.')
    body = to_value(result).comp
  return bb.Lambda(pname, parameter_type, _block(ctx.bindings, body))


def _block(bindings, result):
  """`(let ... in result)`, with a result that is the last binding inlined."""
  bindings = list(bindings)
  if (bindings and isinstance(result, bb.Reference) and
      result.name == bindings[-1][0]):
    result = bindings.pop()[1]
  return bb.Block(bindings, result) if bindings else result


def trace_lambda(fn, parameter_type: types.Type | None) -> bb.Lambda:
  """Traces a Python callable given where a function of a known type goes."""
  names = parameter_names(fn)
  if parameter_type is not None and not names:
    raise TypeError(f'{getattr(fn, "__name__", fn)} takes no parameter but '
                    f'is used where a function of {parameter_type} is needed.')
  return trace_function(fn, parameter_type, names)
