"""Helpers shared by the compiler passes: names, rebuilding, substitution.

Not public: the passes in this package are the interface.
"""

from __future__ import annotations

import collections
import re

from federax.core import building_blocks as bb
from federax.core import transformations
from federax.core import types

Node = bb.ComputationBuildingBlock


def block(local_symbols, result: Node) -> Node:
  """`(let ... in result)`, or just `result` when there are no locals."""
  local_symbols = list(local_symbols)
  return bb.Block(local_symbols, result) if local_symbols else result


def identical_types(a, b) -> bool:
  """Equal types with the same Python containers in every struct.

  Type equality ignores containers, but a computation's result container
  decides what Python object a call returns, so a pass only replaces a
  node by one of an identical type.
  """
  if a is b:
    return True
  if a != b:
    return False
  if isinstance(a, types.StructType):
    return a.container_type is b.container_type and all(
        identical_types(x, y) for x, y in zip(a, b))
  if a is None or isinstance(a, types.TensorType):
    return True
  return all(identical_types(x, y)
             for x, y in zip(a.children(), b.children()))


def all_names(comp: Node) -> set[str]:
  """Every name bound or referred to anywhere in `comp`."""
  names = set()
  stack = [comp]
  while stack:
    node = stack.pop()
    if isinstance(node, bb.Reference):
      names.add(node.name)
    elif isinstance(node, bb.Lambda) and node.parameter_name is not None:
      names.add(node.parameter_name)
    elif isinstance(node, bb.Block):
      names.update(n for n, _ in node.locals)
    stack.extend(node.children())
  return names


_VAR = re.compile(r'_var(\d+)$')


class NameGenerator:
  """Fresh names, never one already used in the tree it was made for.

  Example:
    >>> import numpy as np
    >>> from federax.core import building_blocks as bb
    >>> ref = bb.Reference('_var3', bb.Literal(np.int32(1)).type_signature)
    >>> names = NameGenerator(ref)
    >>> names.fresh(), names.fresh(), names.fresh('x'), names.fresh('x')
    ('_var4', '_var5', 'x_1', 'x_2')
  """

  def __init__(self, *comps: Node):
    self.used: set[str] = set()
    for c in comps:
      self.used |= all_names(c)
    numbers = [int(m.group(1)) for m in map(_VAR.match, self.used) if m]
    self._next = max(numbers, default=0) + 1

  def fresh(self, base: str | None = None) -> str:
    """A new name: `base_1`, `base_2`, ... if `base` is given (and not
    itself a `_varN`), else the next `_varN`."""
    if base is not None and not _VAR.match(base):
      base = re.sub(r'_\d+$', '', base) or base
      k = 1
      while f'{base}_{k}' in self.used:
        k += 1
      name = f'{base}_{k}'
    else:
      while f'_var{self._next}' in self.used:
        self._next += 1
      name = f'_var{self._next}'
    self.used.add(name)
    return name


def reference_types(comp: Node) -> dict[str, list]:
  """The types of the `Reference` nodes of each name in `comp`."""
  out = collections.defaultdict(list)
  stack = [comp]
  while stack:
    node = stack.pop()
    if isinstance(node, bb.Reference):
      out[node.name].append(node.type_signature)
    stack.extend(node.children())
  return out


def reference_counts(comp: Node) -> collections.Counter:
  """How many `Reference` nodes name each name (bound or free) in `comp`."""
  return collections.Counter(
      {name: len(ts) for name, ts in reference_types(comp).items()})


def substitute(comp: Node, mapping: dict[str, Node]) -> Node:
  """`comp` with each free reference to a name in `mapping` replaced.

  A name rebound inside `comp` is not replaced in that binder's scope. The
  caller makes sure no binder inside `comp` captures a free name of a
  replacement (every pass works on trees with unique names).
  """
  if not mapping:
    return comp
  if isinstance(comp, bb.Reference):
    return mapping.get(comp.name, comp)
  if isinstance(comp, bb.Lambda):
    inner = mapping
    if comp.parameter_name in mapping:
      inner = {k: v for k, v in mapping.items() if k != comp.parameter_name}
    return transformations.with_children(comp, [substitute(comp.result, inner)])
  if isinstance(comp, bb.Block):
    inner = mapping
    children = []
    for name, value in comp.locals:
      children.append(substitute(value, inner))
      if name in inner:
        inner = {k: v for k, v in inner.items() if k != name}
    children.append(substitute(comp.result, inner))
    return transformations.with_children(comp, children)
  return transformations.with_children(comp, [substitute(c, mapping)
                              for c in comp.children()])


def keep_if_unchanged(original: Node, renamed: Node, result: Node) -> Node:
  """`original` if a pass changed nothing but names (`result == renamed`,
  where `renamed` is `original` with unique names), else `result`."""
  return original if result is renamed or result == renamed else result


def is_selection_of_reference(comp: Node) -> bool:
  """`x`, `x.a`, `x[0].b`: a reference or a chain of selections from one."""
  while isinstance(comp, bb.Selection):
    comp = comp.source
  return isinstance(comp, bb.Reference)
