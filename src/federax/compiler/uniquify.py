"""`uniquify_names`: every bound name in a tree bound exactly once.

The passes that move code across binders (inlining, flattening, merging)
run this first: when no two binders share a name and no binder reuses a
free name, moving a subtree into another scope cannot capture a reference.
"""

from __future__ import annotations

from federax.compiler import _ir
from federax.core import building_blocks as bb
from federax.core import transformations


def uniquify_names(comp: _ir.Node) -> _ir.Node:
  """Renames binders so that no name is bound twice in `comp`.

  The first binder of a name (in evaluation order, outside in) keeps it;
  a later binder of the same name, or one that would hide a free name, is
  renamed to a fresh one (`x_1` for `x`, a new `_varN` for `_varK`), and
  so are the references it binds. A tree
  whose names are already unique is returned as is.

  Example:
    >>> import numpy as np
    >>> from federax.core import building_blocks as bb
    >>> i32 = bb.Literal(np.int32(1)).type_signature
    >>> x = bb.Reference('x', i32)
    >>> inner = bb.Lambda('x', i32, x)
    >>> tree = bb.Lambda('x', i32, bb.Call(inner, x))
    >>> print(tree)
    (x -> (x -> x)(x))
    >>> print(uniquify_names(tree))
    (x -> (x_1 -> x_1)(x))
  """
  names = _ir.NameGenerator(comp)
  seen = set(transformations.free_references(comp))

  def bind(name):
    new = name if name not in seen else names.fresh(name)
    seen.add(new)
    return new

  def visit(node, env):
    if isinstance(node, bb.Reference):
      new = env.get(node.name, node.name)
      return node if new == node.name else bb.Reference(new,
                                                        node.type_signature)
    if isinstance(node, bb.Lambda):
      if node.parameter_name is None:
        return transformations.with_children(node, [visit(node.result, env)])
      new = bind(node.parameter_name)
      result = visit(node.result, {**env, node.parameter_name: new})
      if new == node.parameter_name:
        return transformations.with_children(node, [result])
      return bb.Lambda(new, node.parameter_type, result)
    if isinstance(node, bb.Block):
      local_symbols = []
      changed = False
      for name, value in node.locals:
        new_value = visit(value, env)
        new = bind(name)
        env = {**env, name: new}
        changed |= new != name or new_value is not value
        local_symbols.append((new, new_value))
      result = visit(node.result, env)
      if not changed and result is node.result:
        return node
      return bb.Block(local_symbols, result)
    return transformations.with_children(node, [visit(c, env) for c in node.children()])

  return visit(comp, {})


def has_unique_names(comp: _ir.Node) -> bool:
  """Whether no name is bound twice and no binder hides a free name."""
  free = transformations.free_references(comp)
  bound = []
  for node in transformations.postorder(comp):
    if isinstance(node, bb.Lambda) and node.parameter_name is not None:
      bound.append(node.parameter_name)
    elif isinstance(node, bb.Block):
      bound.extend(n for n, _ in node.locals)
  return len(bound) == len(set(bound)) and not free & set(bound)
