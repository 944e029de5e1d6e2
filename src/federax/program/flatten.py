"""Naming the leaves of nested values: `{'a': {'b': 1}}` is `[('a/b', 1)]`.

Release managers that write tables (CSV, TensorBoard, logs) flatten the
released structure this way, as TFF's `structure_utils.flatten_with_name`
does: path components joined by `/`, dict keys and field names for named
containers, positions for lists and tuples.
"""

from __future__ import annotations

from typing import Any

from federax.core import structure as structure_lib


def items_of(value) -> list[tuple[Any, Any]] | None:
  """`(key, child)` pairs of a container (dicts in their own order), or
  None for a leaf."""
  if isinstance(value, dict):
    return list(value.items())
  if structure_lib.is_container(value):
    return [(i if name is None else name, child) for i, (name, child) in
            enumerate(structure_lib.elements_of(value))]
  return None


def flatten_with_path(value, path: tuple = ()) -> list[tuple[tuple, Any]]:
  """`(path, leaf)` pairs of `value` in order; a path is a tuple of keys.

  Example:
    >>> flatten_with_path({'train': {'loss': 0.5}, 'sizes': [3, 4]})
    [(('train', 'loss'), 0.5), (('sizes', 0), 3), (('sizes', 1), 4)]
  """
  items = items_of(value)
  if items is None:
    return [(path, value)]
  result = []
  for key, child in items:
    result.extend(flatten_with_path(child, path + (key,)))
  return result


def flatten_with_name(value) -> list[tuple[str, Any]]:
  """`(name, leaf)` pairs of `value`, names joined with `/`.

  Example:
    >>> flatten_with_name({'train': {'loss': 0.5}, 'round_number': 2})
    [('train/loss', 0.5), ('round_number', 2)]
  """
  return [('/'.join(str(k) for k in path), leaf)
          for path, leaf in flatten_with_path(value)]
