"""`inline_calls`: beta-reduction, `(x -> body)(arg)` to `(let x=arg in body)`.

Nested federated computations are traced as calls of lambdas; this pass
turns each into a block, so that later passes see one flat program.
"""

from __future__ import annotations

from federax.compiler import _ir
from federax.compiler.uniquify import uniquify_names
from federax.core import building_blocks as bb
from federax.core import placements
from federax.core import transformations
from federax.core import types


def inline_calls(comp: _ir.Node) -> _ir.Node:
  """Replaces every call of a lambda by a block that binds its argument.

  `(x -> body)(arg)` becomes `(let x=arg in body)` and `( -> body)()`
  becomes `body`; a call of a block, `(let a=... in f)(arg)`, becomes
  `(let a=... in f(arg))`, so `(let a=... in (x -> body))(arg)` becomes
  `(let a=..., x=arg in body)`. The argument is evaluated once, as before.
  Names are made unique first (`uniquify_names`), so nothing is captured;
  a tree without such calls is returned as is.

  Where the argument's type is narrower than the parameter's (an all-equal
  CLIENTS value passed for a per-client one, an unnamed struct for a named
  one), the block converts it explicitly (`federated_map` or
  `federated_apply` of the identity, or a struct of selections), since a
  reference must have exactly the type of what it names. An unplaced
  tensor or sequence of a more specific shape than the parameter cannot be
  converted so: that call is left as it is.

  Example:
    >>> import numpy as np, federax as fx
    >>> inner = fx.federated_computation(
    ...     lambda v: fx.federated_sum(v), fx.type_at_clients(np.float32))
    >>> @fx.federated_computation(fx.type_at_clients(np.float32))
    ... def outer(x):
    ...   return inner(x)
    >>> print(outer.building_block)
    (x -> (v -> federated_sum(v))(x))
    >>> print(inline_calls(outer.building_block))
    (x -> (let v=x in federated_sum(v)))
  """
  original, comp = comp, uniquify_names(comp)
  names = _ir.NameGenerator(comp)

  def reduce(node):
    if not isinstance(node, bb.Call):
      return node
    fn = node.function
    if isinstance(fn, bb.Block):
      inner = reduce(bb.Call(fn.result, node.argument)
                     if node.argument is not None else bb.Call(fn.result))
      if isinstance(inner, bb.Call) and isinstance(inner.function, bb.Lambda):
        return node  # Not reducible: leave the call of the block alone.
      if isinstance(inner, bb.Block):
        return bb.Block(list(fn.locals) + list(inner.locals), inner.result)
      return bb.Block(fn.locals, inner)
    if not isinstance(fn, bb.Lambda):
      return node
    if fn.parameter_name is None:
      return fn.result
    arg = node.argument
    if arg.type_signature == fn.parameter_type:
      return bb.Block([(fn.parameter_name, arg)], fn.result)
    tmp = bb.Reference(names.fresh(), arg.type_signature)
    converted = coerce(tmp, fn.parameter_type, names)
    if converted is None:
      return node
    return bb.Block([(tmp.name, arg), (fn.parameter_name, converted)],
                    fn.result)

  return _ir.keep_if_unchanged(
      original, comp, transformations.transform_postorder(comp, reduce))


def coerce(value: _ir.Node, target: types.Type,
           names: _ir.NameGenerator) -> _ir.Node | None:
  """`value` converted to exactly `target`, or None where the IR cannot.

  `value` must be cheap to repeat (a reference or selections of one) and
  its type assignable to `target`.

  Example:
    >>> import numpy as np, federax as fx
    >>> from federax.core import building_blocks as bb
    >>> x = bb.Reference('x', fx.type_at_clients(np.float32, all_equal=True))
    >>> print(coerce(x, fx.type_at_clients(np.float32), _ir.NameGenerator(x)))
    federated_map(<(_var1 -> _var1),x>)
  """
  source = value.type_signature
  if source == target:
    return value
  if isinstance(target, types.StructType):
    if not isinstance(source, types.StructType) or len(source) != len(target):
      return None
    elements = []
    for i, (name, t) in enumerate(target.elements):
      e = coerce(bb.Selection(value, index=i), t, names)
      if e is None:
        return None
      elements.append((name, e))
    return bb.Struct(elements, target.container_type)
  if isinstance(target, types.FederatedType) and isinstance(
      source, types.FederatedType) and source.placement == target.placement:
    member = target.member
    v = names.fresh()
    identity = bb.Lambda(v, member, bb.Reference(v, member))
    if target.placement is placements.SERVER:
      uri = 'federated_apply'
    elif target.all_equal:
      uri = 'federated_map_all_equal'
    else:
      uri = 'federated_map'
    intrinsic = bb.Intrinsic(uri, types.FunctionType(
        types.StructType([identity.type_signature, target]), target))
    return bb.Call(intrinsic, bb.Struct([identity, value]))
  return None
