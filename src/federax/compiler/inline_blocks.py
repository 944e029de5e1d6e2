"""`inline_blocks`: flatten nested blocks and inline cheap bindings.

Calls are never inlined or moved into a lambda: each is still evaluated
exactly once, so no work is duplicated and randomness is unchanged.
"""

from __future__ import annotations

from federax.compiler import _ir
from federax.compiler.uniquify import uniquify_names
from federax.core import building_blocks as bb
from federax.core import transformations

# Values that cost nothing to repeat: inlined however often they are used.
_TRIVIAL = (bb.Reference, bb.Placement, bb.Intrinsic, bb.CompiledComputation)


def inline_blocks(comp: _ir.Node) -> _ir.Node:
  """Flattens nested blocks and inlines bindings of cheap values.

  - Blocks nested in a block's locals or result, or in a struct, selection
    or call outside any lambda, are merged into the enclosing block (or
    into one block at the top of the lambda body they are in). A block in
    a lambda's body stays in that lambda.
  - A local bound to a reference, a selection from a reference, a
    placement, an intrinsic, a compiled computation, a scalar literal, or a
    struct of these, is replaced by its value wherever it is used.
  - A local bound to a lambda, a struct or selection of cheap values, or a
    literal, and used once, is replaced by its value.
  - A selection from a struct literal, `<a,b>[0]`, becomes the element.

  Calls stay bound where they are. Names are made unique first
  (`uniquify_names`), so moving a value never captures a name; a tree with
  nothing to flatten or inline is returned as is.

  Example:
    >>> import numpy as np, federax as fx
    >>> from federax.compiler import inline_calls
    >>> inner = fx.federated_computation(
    ...     lambda v: fx.federated_sum(v), fx.type_at_clients(np.float32))
    >>> @fx.federated_computation(fx.type_at_clients(np.float32))
    ... def outer(x):
    ...   return inner(x)
    >>> print(inline_calls(outer.building_block))
    (x -> (let v=x in federated_sum(v)))
    >>> print(inline_blocks(inline_calls(outer.building_block)))
    (x -> federated_sum(x))
    >>> from federax.core import building_blocks as bb
    >>> t = fx.type_at_clients(np.float32)
    >>> nested = bb.Lambda('x', t, bb.Block(
    ...     [('a', bb.Block([('b', bb.Reference('x', t))],
    ...                     bb.Reference('b', t)))],
    ...     bb.Reference('a', t)))
    >>> print(nested)
    (x -> (let a=(let b=x in b) in a))
    >>> print(inline_blocks(nested))
    (x -> x)
  """
  original, renamed = comp, uniquify_names(comp)
  comp = _flatten(renamed)
  comp = transformations.transform_postorder(comp, _inline_locals)
  return _ir.keep_if_unchanged(original, renamed, comp)


def _flatten(comp):
  local_symbols, expr = _hoist(comp)
  return _ir.block(local_symbols, expr)


def _hoist(node):
  """`(locals, expr)`: `node` is `(let locals in expr)`, expr no block."""
  if isinstance(node, bb.Block):
    local_symbols = []
    for name, value in node.locals:
      inner, value = _hoist(value)
      local_symbols += inner
      local_symbols.append((name, value))
    inner, result = _hoist(node.result)
    return local_symbols + inner, result
  if isinstance(node, bb.Lambda):
    return [], transformations.with_children(node, [_flatten(node.result)])
  local_symbols, children = [], []
  for c in node.children():
    inner, c = _hoist(c)
    local_symbols += inner
    children.append(c)
  return local_symbols, transformations.with_children(node, children)


def _is_trivial(value) -> bool:
  if isinstance(value, _TRIVIAL) or _ir.is_selection_of_reference(value):
    return True
  if isinstance(value, bb.Struct):
    return all(_is_trivial(e) for e in value.children())
  return isinstance(value, bb.Literal) and value.value.size <= 1


def _is_cheap(value) -> bool:
  if isinstance(value, (bb.Lambda, bb.Literal)) or _is_trivial(value):
    return True
  if isinstance(value, bb.Struct):
    return all(_is_cheap(e) for e in value.children())
  if isinstance(value, bb.Selection):
    return _is_cheap(value.source)
  return False


def fold_selection(node):
  """`<a,b>[0]` is `a`: a selection from a struct literal is its element."""
  while (isinstance(node, bb.Selection) and
         isinstance(node.source, bb.Struct)):
    node = node.source.elements[node.index][1]
  return node


def _inline_locals(node):
  if isinstance(node, bb.Selection):
    return fold_selection(node)
  if not isinstance(node, bb.Block):
    return node
  ref_types = _ir.reference_types(node)
  mapping = {}
  kept = []
  for name, value in node.locals:
    value = fold_selection(_ir.substitute(value, mapping))
    uses = len(ref_types[name])
    if uses and all(_ir.identical_types(t, value.type_signature)
                    for t in ref_types[name]) and (
                        _is_trivial(value) or (uses == 1 and
                                               _is_cheap(value))):
      mapping[name] = value
    else:
      kept.append((name, value))
  result = _ir.substitute(node.result, mapping)
  if mapping:
    result = transformations.transform_postorder(result, fold_selection)
    kept = [(n, transformations.transform_postorder(v, fold_selection))
            for n, v in kept]
  return _ir.block(kept, result)
