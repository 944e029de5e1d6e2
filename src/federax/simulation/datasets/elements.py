"""Examples as pytrees of numpy values: their specs, stacking and slicing.

An example (an element of a `Dataset`) is a numpy array or scalar, a
Python `bytes`/`str` (a string feature), or a struct of those: a dict,
tuple, list, NamedTuple or dataclass, nested as deep as needed. Its spec
is the federax type of one example (`fx.TensorType`, `fx.StructType`),
which prints in TFF's compact notation and is what `fx.SequenceType`
takes. These helpers are pure and need numpy only.
"""

from __future__ import annotations

import numpy as np

from federax.core import dtypes as dtypes_lib
from federax.core import structure
from federax.core import type_conversions
from federax.core import types


def tree_map(fn, *trees):
  """`fn` applied leafwise to structs of the same shape.

  Example:
    >>> tree_map(lambda a, b: a + b, {'x': 1, 'y': (2, 3)},
    ...          {'x': 10, 'y': (20, 30)})
    {'x': 11, 'y': (22, 33)}
  """
  first = trees[0]
  if structure.is_container(first) and not isinstance(first, (str, bytes)):
    elements = [structure.elements_of(t) for t in trees]
    names = [n for n, _ in elements[0]]
    values = [tree_map(fn, *[e[i][1] for e in elements])
              for i in range(len(names))]
    return structure.build(structure.container_of(first), names, values)
  return fn(*trees)


def leaves(tree) -> list:
  """The leaves of a struct, in its element order.

  Example:
    >>> leaves({'b': 2, 'a': (1, 0)})
    [1, 0, 2]
  """
  if structure.is_container(tree) and not isinstance(tree, (str, bytes)):
    return [x for _, v in structure.elements_of(tree) for x in leaves(v)]
  return [tree]


def spec_of(example) -> types.Type:
  """The federax type of one example: its spec.

  Example:
    >>> import numpy as np
    >>> print(spec_of({'pixels': np.zeros((28, 28), np.float32),
    ...                'label': np.int32(3)}))
    <label=int32,pixels=float32[28,28]>
  """
  try:
    return type_conversions.infer_type(example)
  except (TypeError, ValueError) as e:
    raise TypeError(
        f'example: expected numpy arrays, numbers, bytes or str, in dicts, '
        f'tuples, lists, NamedTuples or dataclasses; got '
        f'{type(example).__name__} ({e}).') from None


def to_spec(spec) -> types.Type:
  """A spec given as an fx type or a type spec (`(np.float32, [28, 28])`).

  Example:
    >>> import numpy as np
    >>> print(to_spec({'x': (np.float32, [2]), 'y': np.int32}))
    <x=float32[2],y=int32>
  """
  t = type_conversions.to_type(spec)
  if not isinstance(t, (types.TensorType, types.StructType)):
    raise TypeError(f'element_spec: expected tensors or structs of tensors '
                    f'(e.g. {{"x": (np.float32, [2])}}), got {t}.')
  return t


def batched_spec(spec: types.Type, dim: int | None) -> types.Type:
  """`spec` with a leading dimension `dim` (None: unknown) on each tensor.

  Example:
    >>> print(batched_spec(to_spec({'x': (np.float32, [2])}), None))
    <x=float32[?,2]>
  """
  if isinstance(spec, types.StructType):
    return types.StructType([(n, batched_spec(e, dim)) for n, e in
                             spec.elements], spec.container_type)
  return types.TensorType(spec.dtype, None if spec.shape is None else (
      (dim,) + tuple(spec.shape)))


def _leaf_specs(spec: types.Type) -> list:
  if isinstance(spec, types.StructType):
    return [x for _, e in spec.elements for x in _leaf_specs(e)]
  return [spec]


def _rebuild(spec: types.Type, flat: list):
  """A struct shaped like `spec` from its leaves, in order."""
  it = iter(flat)

  def build(t):
    if isinstance(t, types.StructType):
      return structure.build(t.container_type or dict, t.names(),
                             [build(e) for _, e in t.elements])
    return next(it)

  return build(spec)


def _stack_leaf(values: list, t: types.TensorType):
  if t.dtype == dtypes_lib.STR:
    out = np.empty(len(values), dtype=object)
    out[:] = [v.item() if isinstance(v, np.ndarray) else v for v in values]
    return out
  return np.asarray(values, dtype=t.dtype)


def stack(examples: list, spec: types.Type, like=None):
  """Examples stacked along a new leading axis, with the spec's dtypes.

  The result has the containers of `like` (default: the first example);
  with no examples, leaves are empty arrays (unknown dimensions become 0).

  Example:
    >>> import numpy as np
    >>> stack([{'x': 1.5}, {'x': 2.0}], to_spec({'x': np.float32}))
    {'x': array([1.5, 2. ], dtype=float32)}
  """
  specs = _leaf_specs(spec)
  if not examples:
    flat = [_stack_leaf([], t) if t.dtype == dtypes_lib.STR else np.zeros(
        (0,) + tuple(d or 0 for d in (t.shape or ())), t.dtype)
            for t in specs]
    return _rebuild(spec, flat)
  rows = [leaves(e) for e in examples]
  if any(len(r) != len(specs) for r in rows):
    raise ValueError(f'examples: every example must match the spec {spec}; '
                     f'found one with a different structure.')
  flat = [_stack_leaf([r[i] for r in rows], t) for i, t in enumerate(specs)]
  it = iter(flat)
  return tree_map(lambda _: next(it), examples[0] if like is None else like)


def stackable(examples: list) -> bool:
  """Whether all examples have the same leaf shapes (so they stack)."""
  if not examples:
    return True
  first = [np.shape(x) for x in leaves(examples[0])]
  return all([np.shape(x) for x in leaves(e)] == first for e in examples[1:])


def row(table, i):
  """Example `i` (an int) or examples `i` (an index array) of a table.

  Example:
    >>> import numpy as np
    >>> row({'x': np.arange(4, dtype=np.int32)}, 2)
    {'x': np.int32(2)}
  """
  def take(a):
    x = a[i]
    return x.item() if isinstance(x, np.ndarray) and x.dtype == object and (
        x.ndim == 0) else x
  return tree_map(take, table)


def as_table(tensors):
  """Arrays (one leaf per feature) sharing a leading examples axis.

  Dicts, tuples, NamedTuples and dataclasses are structs; a list is data
  (as in tf.data): Python ints become int32, floats float32, and `bytes`
  or `str` an object array. Numpy arrays keep their dtype.

  Example:
    >>> t = as_table({'x': [1.0, 2.0], 's': [b'a', b'b']})
    >>> t['x'].dtype, t['s'].dtype
    (dtype('float32'), dtype('O'))
  """
  def convert(x):
    if isinstance(x, np.ndarray):
      return x.astype(object) if x.dtype.kind in 'SU' else x
    if hasattr(x, '__array__') and hasattr(x, 'dtype'):
      return np.asarray(x)
    if not isinstance(x, list):
      raise TypeError(f'tensors: expected arrays or lists (with a leading '
                      f'examples axis), got {type(x).__name__}.')
    if x and all(isinstance(v, (bytes, str)) for v in x):
      out = np.empty(len(x), dtype=object)
      out[:] = x
      return out
    array = np.asarray(x)
    if array.dtype == np.float64:
      return array.astype(np.float32)
    if array.dtype == np.int64 and (array.size == 0 or (
        np.abs(array).max() < 2**31)):
      return array.astype(np.int32)
    return array

  def walk(x):
    if structure.is_container(x) and not isinstance(x, list):
      return structure.build(structure.container_of(x),
                             [n for n, _ in structure.elements_of(x)],
                             [walk(v) for _, v in structure.elements_of(x)])
    return convert(x)

  table = walk(tensors)
  lengths = {np.shape(x)[0] if np.ndim(x) else None for x in leaves(table)}
  if None in lengths or len(lengths) != 1:
    raise ValueError(
        f'tensors: every array must have the same leading (examples) '
        f'dimension; got leading dimensions {sorted(map(str, lengths))}. '
        f'Slice them to one number of examples.')
  return table


def num_rows(table) -> int:
  """The leading dimension of a table."""
  return int(np.shape(leaves(table)[0])[0])
