"""`remove_unused_bindings`: drop block locals nothing refers to."""

from __future__ import annotations

from federax.compiler import _ir
from federax.core import building_blocks as bb
from federax.core import transformations


def remove_unused_bindings(comp: _ir.Node) -> _ir.Node:
  """Removes every block local whose name is never referenced.

  Calls have no side effects in this IR, so an unused call is dead: it is
  removed too (and with it whatever only it used). A block left without
  locals becomes its result. Shadowed names are handled: a reference
  counts for the nearest binder of its name.

  Example:
    >>> import numpy as np, federax as fx
    >>> @fx.federated_computation(fx.type_at_clients(np.float32))
    ... def wasteful(x):
    ...   unused = fx.federated_sum(x)
    ...   return fx.federated_mean(x)
    >>> print(wasteful.building_block)
    (x -> (let _var1=federated_sum(x) in federated_mean(x)))
    >>> print(remove_unused_bindings(wasteful.building_block))
    (x -> federated_mean(x))
  """
  return transformations.transform_postorder(comp, _prune)


def _prune(node):
  if not isinstance(node, bb.Block):
    return node
  live = transformations.free_references(node.result)
  kept = []
  for name, value in reversed(node.locals):
    if name in live:
      live.discard(name)
      live |= transformations.free_references(value)
      kept.append((name, value))
  if len(kept) == len(node.locals):
    return node
  return _ir.block(reversed(kept), node.result)
