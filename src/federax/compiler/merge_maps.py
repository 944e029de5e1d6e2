"""`merge_consecutive_maps`: one map of `g(f(v))` for a map of `g` after `f`.

Two maps in a row are two passes over the clients (or two server steps);
fused, the member computations run back to back on each member.
"""

from __future__ import annotations

from federax.compiler import _ir
from federax.compiler.uniquify import uniquify_names
from federax.core import building_blocks as bb
from federax.core import transformations
from federax.core import types

_MAPS = ('federated_map', 'federated_map_all_equal', 'federated_apply')


def merge_consecutive_maps(comp: _ir.Node) -> _ir.Node:
  """Fuses `federated_map(<g, federated_map(<f, x>)>)` into one map.

  The result is `federated_map(<(v -> g(f(v))), x>)`. It applies to
  `federated_map`, `federated_map_all_equal` (an all-equal map followed by
  either kind) and `federated_apply`, whether the inner map is nested in
  the outer one or bound to a block local that is used only there; a
  local used anywhere else is left alone, since fusing would compute it
  twice. Chains fuse into one map. When `f` or `g` is a lambda, its
  parameter is bound directly instead of calling it. A tree without maps
  to fuse is returned as is.

  Example:
    >>> import numpy as np, federax as fx
    >>> double = fx.jax_computation(lambda v: 2.0 * v, np.float32)
    >>> @fx.federated_computation(fx.type_at_clients(np.float32))
    ... def twice(x):
    ...   return fx.federated_map(double, fx.federated_map(double, x))
    >>> print(twice.building_block)
    (x -> (let _var1=federated_map(<comp#<lambda>,x>) in federated_map(<comp#<lambda>,_var1>)))
    >>> print(merge_consecutive_maps(twice.building_block))
    (x -> federated_map(<(_var2 -> comp#<lambda>(comp#<lambda>(_var2))),x>))
  """
  original, comp = comp, uniquify_names(comp)
  names = _ir.NameGenerator(comp)

  def visit(node):
    if isinstance(node, bb.Block):
      return _merge_in_block(node, names)
    parts = _map_parts(node)
    if parts is not None and _map_parts(parts[2]) is not None:
      return _fuse(node, parts[2], names) or node
    return node

  return _ir.keep_if_unchanged(
      original, comp, transformations.transform_postorder(comp, visit))


def _map_parts(node):
  """`(intrinsic, fn, data)` of a map call, else None."""
  if (isinstance(node, bb.Call) and isinstance(node.function, bb.Intrinsic)
      and node.function.uri in _MAPS and
      isinstance(node.argument, bb.Struct) and
      len(node.argument.elements) == 2):
    return (node.function,) + node.argument.children()
  return None


def _merge_in_block(node, names):
  counts = _ir.reference_counts(node)
  maps = {}  # local name -> its index in `new`, for locals bound to maps
  new = []
  fused_away = set()

  def fuse_local(value):
    parts = _map_parts(value)
    if parts is None or not isinstance(parts[2], bb.Reference):
      return value
    ref = parts[2].name
    if ref not in maps or counts[ref] != 1:
      return value
    fused = _fuse(value, new[maps[ref]][1], names)
    if fused is None:
      return value
    fused_away.add(ref)
    return fused

  for name, value in node.locals:
    value = fuse_local(value)
    if _map_parts(value) is not None:
      maps[name] = len(new)
    new.append((name, value))
  result = fuse_local(node.result)
  if not fused_away:
    return node
  return _ir.block([(n, v) for n, v in new if n not in fused_away], result)


def _fuse(outer, inner, names):
  """The one map that does `inner` then `outer`, or None if none fits."""
  outer_intrinsic, g, _ = _map_parts(outer)
  inner_intrinsic, f, x = _map_parts(inner)
  o, i = outer_intrinsic.uri, inner_intrinsic.uri
  if (o == 'federated_apply') != (i == 'federated_apply'):
    return None
  if o == 'federated_map_all_equal' and i != 'federated_map_all_equal':
    return None
  outer_param = outer_intrinsic.type_signature.parameter
  inner_param = inner_intrinsic.type_signature.parameter
  a = inner_param[0].parameter
  fn = _compose(f, g, a, names)
  data = outer_param[1]
  data = types.FederatedType(a, data.placement, data.all_equal)
  try:
    intrinsic = bb.Intrinsic(o, types.FunctionType(
        types.StructType([types.FunctionType(a, outer_param[0].result),
                          data]),
        outer_intrinsic.type_signature.result))
    return bb.Call(intrinsic, bb.Struct([fn, x]))
  except TypeError:
    return None


def _compose(f, g, a, names):
  """`(v -> g(f(v)))` with parameter type `a`, lambdas applied directly."""
  if isinstance(f, bb.Lambda) and f.parameter_type == a:
    v, inner = f.parameter_name, f.result
  else:
    v = names.fresh()
    inner = bb.Call(f, bb.Reference(v, a))
  if isinstance(g, bb.Lambda) and g.parameter_type == inner.type_signature:
    outer = bb.Block([(g.parameter_name, inner)], g.result)
  else:
    outer = bb.Call(g, inner)
  return bb.Lambda(v, a, outer)
