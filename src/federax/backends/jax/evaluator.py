"""The vectorized evaluator: the interpreter's twin, run under `jax.jit`.

Server and all-equal values are JAX pytrees; CLIENTS values are lazy
`Clients` graphs; the result of an aggregation is a `Pending` value until a
value must reach the clients (a broadcast) or the call ends, at which point
every pending aggregation runs in one pass over the clients. Server
computations on pending results are `Deferred` until then, so that the
aggregations a round makes after using a result (a metrics sum finalized
at the server, then the model update's mean) still share one pass. Lambdas and blocks are Python closures while
JAX traces.
"""

from __future__ import annotations

import jax.numpy as jnp

from federax.backends.interpreter import evaluator as interpreter_evaluator
from federax.backends.interpreter.evaluator import Environment
from federax.backends.jax import aggregation
from federax.backends.jax import clients as clients_lib
from federax.backends.jax import intrinsic_rules
from federax.core import building_blocks as bb
from federax.core import types


class Pending:
  """A server value an aggregation will produce."""

  def __init__(self, evaluator: 'Evaluator', agg: aggregation.Aggregation):
    self.evaluator, self.aggregation = evaluator, agg
    self.done, self.value = False, None

  def get(self):
    if not self.done:
      self.evaluator.flush()
    return self.value


class Deferred:
  """A server value computed from pending results when it is needed."""

  def __init__(self, thunk):
    self.thunk = thunk
    self.done, self.value = False, None

  def get(self):
    if not self.done:
      self.value, self.done = self.thunk(), True
    return self.value


def _is_lazy(value) -> bool:
  if isinstance(value, (Pending, Deferred)):
    return not value.done
  if isinstance(value, tuple):
    return any(_is_lazy(v) for v in value)
  return False


class Evaluator:
  """Evaluates building blocks inside one traced call."""

  def __init__(self, plan: aggregation.Plan, inputs: list,
               secure_aggregation=None):
    self.plan = plan
    self.secure_aggregation = secure_aggregation  # runs the secure sums
    self.inputs = inputs  # filled while the argument is bound
    self.pending: list[Pending] = []
    self.checks: list = []
    self._dispatch = {
        bb.Reference: lambda c, e: e.lookup(c.name),
        bb.Selection: lambda c, e: self._select(self.evaluate(c.source, e),
                                                c.index),
        bb.Struct: lambda c, e: tuple(self.evaluate(x, e)
                                      for _, x in c.elements),
        bb.Call: self._call, bb.Lambda: self._lambda, bb.Block: self._block,
        bb.Intrinsic: self._intrinsic,
        bb.Literal: lambda c, e: jnp.asarray(c.value),
        bb.Placement: lambda c, e: c.literal,
        bb.CompiledComputation: lambda c, e: c.function.lowered,
    }

  def evaluate(self, comp, env=None):
    return self._dispatch[type(comp)](comp, env or Environment())

  def aggregate(self, agg: aggregation.Aggregation) -> Pending:
    p = Pending(self, agg)
    self.pending.append(p)
    return p

  def flush(self, outputs=()):
    """Runs every pending aggregation (and `outputs`) in one client pass."""
    todo = [p for p in self.pending if not p.done]
    self.pending = []
    results, rows, checks = aggregation.run_pass(
        self.plan, self.inputs, [p.aggregation for p in todo], list(outputs))
    for p, r in zip(todo, results):
      p.done, p.value = True, r
    self.checks.extend(checks)
    return rows

  def later(self, fn, value):
    """`fn(value)`, deferred while `value` holds pending results."""
    if _is_lazy(value):
      return Deferred(lambda: fn(self.resolve(value)))
    return fn(self.resolve(value))

  def resolve(self, value):
    """`value` with every pending aggregation replaced by its result."""
    if isinstance(value, (Pending, Deferred)):
      return self.resolve(value.get())
    if isinstance(value, tuple):
      return tuple(self.resolve(v) for v in value)
    return value

  def coerce(self, value, source: types.Type, target: types.Type):
    """All-equal values become per-client ones where `target` wants them."""
    return interpreter_evaluator.coerce(
        value, source, target, lambda v: self.broadcast(self.resolve(v)))

  def broadcast(self, value) -> clients_lib.Clients:
    """The per-client value of an all-equal (server-computed) `value`."""
    return clients_lib.Broadcast(value)

  def _select(self, value, index):
    if isinstance(value, (Pending, Deferred)):
      return self.later(lambda v: v[index], value)
    return value[index]

  def _call(self, comp, env):
    fn = self.evaluate(comp.function, env)
    if comp.argument is None:
      return fn()
    arg = self.evaluate(comp.argument, env)
    return fn(self.coerce(arg, comp.argument.type_signature,
                          comp.function.type_signature.parameter))

  def _lambda(self, comp, env):
    if comp.parameter_name is None:
      return lambda: self.evaluate(comp.result, env)
    return lambda arg: self.evaluate(comp.result,
                                     env.bind(comp.parameter_name, arg))

  def _block(self, comp, env):
    for name, value in comp.locals:
      env = env.bind(name, self.evaluate(value, env))
    return self.evaluate(comp.result, env)

  def _intrinsic(self, comp, env):
    rule = intrinsic_rules.RULES[comp.uri]
    return lambda arg=None: rule(self, comp.type_signature, arg)
