"""The reference interpreter: evaluates IR node by node.

It defines what a federated computation means; every other backend is
tested against it. Values are in the internal form of
`federax.core.value_conversion`; functions are Python callables on that
form. An all-equal CLIENTS value is held once and expanded to one member
per client where a call expects a per-client value.
"""

from __future__ import annotations

from federax.core import building_blocks as bb
from federax.core import computation as computation_lib
from federax.core import placements
from federax.core import types
from federax.backends.interpreter import intrinsic_impls


class Environment:
  """Lexical bindings: a name, its value, and the enclosing environment."""

  __slots__ = ('name', 'value', 'parent')

  def __init__(self, name=None, value=None, parent=None):
    self.name, self.value, self.parent = name, value, parent

  def bind(self, name, value) -> 'Environment':
    return Environment(name, value, self)

  def lookup(self, name):
    env = self
    while env is not None:
      if env.name == name:
        return env.value
      env = env.parent
    raise NameError(f'The IR refers to {name!r}, which is not bound.')


class Function:
  """A function value of the IR, with the parameter type it was built for.

  A function may be called where a function of a narrower type is expected
  (parameter contravariant, result covariant): an all-equal CLIENTS value is
  expanded to one member per client against the function's own types, not
  only those at the call site.
  """

  __slots__ = ('fn', 'parameter_type', 'result_type')

  def __init__(self, fn, function_type: types.FunctionType):
    self.fn = fn
    self.parameter_type = function_type.parameter
    self.result_type = function_type.result

  def __call__(self, *args):
    return self.fn(*args)


def coerce(value, source: types.Type, target: types.Type, expand):
  """`value` of type `source` as a value of the assignable type `target`.

  Only placements can differ in representation: where `target` wants a
  value per client and `source` is all-equal, `expand(value)` makes one.
  Every backend's evaluator uses this with its own `expand`.
  """
  if source == target:
    return value
  if isinstance(target, types.FederatedType):
    # Members hold no federated values, so only the placement can differ.
    if (target.placement is placements.CLIENTS and not target.all_equal and
        source.all_equal):
      return expand(value)
    return value
  if isinstance(target, types.StructType):
    return tuple(coerce(v, s, t, expand) for v, s, t in zip(value, source,
                                                           target))
  return value


class Evaluator:
  """Evaluates building blocks for a call with `cardinality` clients."""

  def __init__(self, cardinality: int, secure_aggregation=None):
    self.cardinality = cardinality
    self.secure_aggregation = secure_aggregation  # runs the secure sums
    self._dispatch = {
        bb.Reference: self._reference, bb.Selection: self._selection,
        bb.Struct: self._struct, bb.Call: self._call, bb.Lambda: self._lambda,
        bb.Block: self._block, bb.Intrinsic: self._intrinsic,
        bb.Literal: self._literal, bb.Placement: lambda c, e: c.literal,
        bb.CompiledComputation: lambda c, e: c.function,
    }

  def evaluate(self, comp: bb.ComputationBuildingBlock,
               env: Environment | None = None):
    return self._dispatch[type(comp)](comp, env or Environment())

  def as_callable(self, fn):
    """A Python callable for a function value (computations included)."""
    if isinstance(fn, computation_lib.Computation):
      return self.evaluate(fn.building_block)
    return fn

  def call(self, fn, arg, arg_type, parameter_type, result_type=None):
    """Calls `fn`; `result_type` is the type the call site expects."""
    fn = self.as_callable(fn)
    if parameter_type is None:
      result = fn()
    else:
      if isinstance(fn, Function):
        parameter_type = fn.parameter_type
      result = fn(self.coerce(arg, arg_type, parameter_type))
    if isinstance(fn, Function) and result_type is not None:
      result = self.coerce(result, fn.result_type, result_type)
    return result

  def coerce(self, value, source: types.Type, target: types.Type):
    """Expands all-equal CLIENTS values where `target` wants one per client."""
    return coerce(value, source, target,
                  lambda member: [member] * self.cardinality)

  def _reference(self, comp, env):
    return env.lookup(comp.name)

  def _selection(self, comp, env):
    return self.evaluate(comp.source, env)[comp.index]

  def _struct(self, comp, env):
    return tuple(self.evaluate(e, env) for _, e in comp.elements)

  def _call(self, comp, env):
    fn = self.evaluate(comp.function, env)
    ft = comp.function.type_signature
    if comp.argument is None:
      return self.call(fn, None, None, None, comp.type_signature)
    arg = self.evaluate(comp.argument, env)
    return self.call(fn, arg, comp.argument.type_signature, ft.parameter,
                     comp.type_signature)

  def _lambda(self, comp, env):
    if comp.parameter_name is None:
      return Function(lambda: self.evaluate(comp.result, env),
                      comp.type_signature)
    return Function(lambda arg: self.evaluate(
        comp.result, env.bind(comp.parameter_name, arg)), comp.type_signature)

  def _block(self, comp, env):
    for name, value in comp.locals:
      env = env.bind(name, self.evaluate(value, env))
    return self.evaluate(comp.result, env)

  def _intrinsic(self, comp, env):
    impl = intrinsic_impls.IMPLS[comp.uri]
    return Function(lambda arg=None: impl(self, comp.type_signature, arg),
                    comp.type_signature)

  def _literal(self, comp, env):
    value = comp.value
    if value.dtype == object and value.ndim == 0:
      return value.item()
    return value
