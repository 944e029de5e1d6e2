"""Traversing and rewriting IR trees.

`transform_postorder(comp, fn)` rebuilds a tree bottom-up, replacing each
node by `fn(node)`; the compiler's passes are built from it. The other
helpers answer questions about a tree: which names it uses, how often a
node kind occurs, whether every reference is bound.
"""

from __future__ import annotations

from typing import Callable, Iterator

from federax.core import building_blocks as bb

Node = bb.ComputationBuildingBlock


def with_children(comp: Node, children: list[Node]) -> Node:
  """`comp` with its children replaced (in `children()` order).

  Returns `comp` itself when every child is unchanged, so that a rewrite
  that changes nothing returns its input.
  """
  old = comp.children()
  if len(old) == len(children) and all(a is b for a, b in zip(old, children)):
    return comp
  if isinstance(comp, bb.Selection):
    return bb.Selection(children[0], index=comp.index)
  if isinstance(comp, bb.Struct):
    return bb.Struct(list(zip((n for n, _ in comp.elements), children)),
                     comp.type_signature.container_type)
  if isinstance(comp, bb.Call):
    return bb.Call(children[0], children[1] if len(children) > 1 else None)
  if isinstance(comp, bb.Lambda):
    return bb.Lambda(comp.parameter_name, comp.parameter_type, children[0])
  if isinstance(comp, bb.Block):
    names = [n for n, _ in comp.locals]
    return bb.Block(list(zip(names, children[:-1])), children[-1])
  return comp


def transform_postorder(comp: Node, fn: Callable[[Node], Node]) -> Node:
  """Rebuilds `comp` bottom-up, replacing every node `n` by `fn(n)`.

  Example:
    >>> import numpy as np
    >>> from federax.core import building_blocks as bb
    >>> lit = bb.Literal(np.int32(1))
    >>> tree = bb.Struct([lit, lit])
    >>> str(transform_postorder(tree, lambda n: bb.Literal(np.int32(2))
    ...     if isinstance(n, bb.Literal) else n))
    '<2,2>'
  """
  children = [transform_postorder(c, fn) for c in comp.children()]
  return fn(with_children(comp, children))


def postorder(comp: Node) -> Iterator[Node]:
  """Every node of the tree, children before parents."""
  for c in comp.children():
    yield from postorder(c)
  yield comp


def count(comp: Node, predicate: Callable[[Node], bool]) -> int:
  """How many nodes satisfy `predicate`."""
  return sum(1 for n in postorder(comp) if predicate(n))


def intrinsic_uris(comp: Node) -> set[str]:
  """The uris of the intrinsics the tree uses."""
  return {n.uri for n in postorder(comp) if isinstance(n, bb.Intrinsic)}


def free_references(comp: Node) -> set[str]:
  """Names referred to in `comp` but not bound inside it."""
  if isinstance(comp, bb.Reference):
    return {comp.name}
  if isinstance(comp, bb.Lambda):
    free = free_references(comp.result)
    return free - {comp.parameter_name}
  if isinstance(comp, bb.Block):
    free: set[str] = set()
    bound: set[str] = set()
    for name, value in comp.locals:
      free |= free_references(value) - bound
      bound.add(name)
    return free | (free_references(comp.result) - bound)
  out: set[str] = set()
  for c in comp.children():
    out |= free_references(c)
  return out


def check_well_scoped(comp: Node):
  """Raises `ValueError` if `comp` refers to a name it does not bind, or a
  reference's type differs from the type of what it names."""
  def visit(node, scope):
    if isinstance(node, bb.Reference):
      if node.name not in scope:
        raise ValueError(f'Unbound reference {node.name!r} in {comp}.')
      if scope[node.name] != node.type_signature:
        raise ValueError(
            f'Reference {node.name!r} has type {node.type_signature} but is '
            f'bound to a value of type {scope[node.name]}.')
    elif isinstance(node, bb.Lambda):
      inner = dict(scope)
      if node.parameter_name is not None:
        inner[node.parameter_name] = node.parameter_type
      visit(node.result, inner)
    elif isinstance(node, bb.Block):
      inner = dict(scope)
      for name, value in node.locals:
        visit(value, inner)
        inner[name] = value.type_signature
      visit(node.result, inner)
    else:
      for c in node.children():
        visit(c, scope)
  visit(comp, {})
