"""Saving and loading any pytree of arrays without pickle.

The file is a NumPy `.npz` archive: one entry per array leaf (`leaf_0`,
`leaf_1`, ...) and a `__structure__` entry holding JSON that describes the
tree: its containers (dict, OrderedDict, list, tuple, NamedTuple,
dataclass, attrs class, `fx.Struct`, `None`), their field names and keys,
Python scalars, and each leaf's dtype and shape. Loading reads it with
`allow_pickle=False` and never imports a class named in the file, so a
state from an untrusted source cannot run code.

`load_pytree(path, structure)` rebuilds the tree in the containers of
`structure` (a template, e.g. `process.initialize()`), NamedTuples and
dataclasses included, after checking that names, keys and leaf shapes and
dtypes agree. Without a template, named containers come back as
`fx.Struct`s (dicts as dicts, lists as lists).
"""

from __future__ import annotations

import collections
import json
import os
from typing import Any

import numpy as np

from federax.core import structure as structure_lib

_FORMAT = 'federax.pytree'
_VERSION = 1
_SCALARS = {'bool': bool, 'int': int, 'float': float, 'str': str}


def _type_name(value) -> str:
  cls = type(value)
  return f'{cls.__module__}.{cls.__qualname__}'


def _encode_key(key, path):
  if isinstance(key, str):
    return key
  if isinstance(key, int) and not isinstance(key, bool):
    return {'int': key}
  raise TypeError(f'save: dict keys must be str or int, got {key!r} at '
                  f'{path}. Use string keys.')


def _decode_key(key):
  return key['int'] if isinstance(key, dict) else key


def _encode(tree, arrays: list, path: str):
  if tree is None:
    return {'kind': 'none'}
  if type(tree) in _SCALARS.values():  # Not np.float64 (a float subclass).
    value = repr(tree) if type(tree) is float else tree
    return {'kind': 'scalar', 'type': type(tree).__name__, 'value': value}
  if isinstance(tree, dict):
    kind = ('ordered_dict' if isinstance(tree, collections.OrderedDict)
            else 'dict')
    return {'kind': kind, 'type': _type_name(tree),
            'keys': [_encode_key(k, path) for k in tree],
            'children': [_encode(v, arrays, f'{path}[{k!r}]')
                         for k, v in tree.items()]}
  if structure_lib.is_container(tree):
    if isinstance(tree, structure_lib.Struct):
      kind = 'struct'
    elif structure_lib.is_named_tuple(tree):
      kind = 'namedtuple'
    elif type(tree) in (list, tuple):
      kind = type(tree).__name__
    elif isinstance(tree, (list, tuple)):
      kind = 'sequence'
    else:
      kind = 'dataclass' if structure_lib.is_dataclass_instance(tree) else (
          'attrs')
    elements = structure_lib.elements_of(tree)
    node = {'kind': kind, 'type': _type_name(tree)}
    if kind not in ('list', 'tuple', 'sequence'):
      node['names'] = [n for n, _ in elements]
    sep = '[{}]' if kind in ('list', 'tuple', 'sequence') else '.{}'
    node['children'] = [
        _encode(v, arrays, path + sep.format(n if n is not None else i))
        for i, (n, v) in enumerate(elements)]
    return node
  return _encode_leaf(tree, arrays, path)


def _encode_leaf(leaf, arrays: list, path: str):
  dtype = getattr(leaf, 'dtype', None)
  node = {'kind': 'leaf', 'index': len(arrays)}
  if dtype is not None and 'key<' in str(dtype):  # A typed JAX PRNG key.
    import jax
    node['prng_impl'] = str(jax.random.key_impl(leaf))
    leaf = jax.random.key_data(leaf)
  elif not isinstance(leaf, (np.ndarray, np.generic)) and not hasattr(
      leaf, '__array__'):
    children = _pytree_children(leaf)
    if children is not None:
      return {'kind': 'pytree', 'type': _type_name(leaf), 'children': [
          _encode(c, arrays, f'{path}[{i}]') for i, c in enumerate(children)]}
  array = np.asarray(leaf)
  if array.dtype.kind == 'O':
    raise TypeError(
        f'save: the value at {path} is a {type(leaf).__name__}, which is '
        f'neither a container nor an array; program state may hold only '
        f'arrays, Python scalars, strings, None and containers of them.')
  if isinstance(leaf, np.generic):
    node['numpy_scalar'] = True
  node['dtype'] = array.dtype.name if _native_name_ok(array.dtype) else (
      array.dtype.str)
  node['shape'] = list(array.shape)
  if array.dtype.kind == 'V' or not _native_name_ok(array.dtype) and (
      array.dtype.kind not in 'USb'):  # bfloat16, float8, int4: raw bytes.
    array = np.frombuffer(np.ascontiguousarray(array).tobytes(), np.uint8)
  arrays.append(array)
  return node


def _pytree_children(value):
  """The children of a registered JAX pytree node, or None for a leaf."""
  import jax
  leaves, _ = jax.tree_util.tree_flatten(value, is_leaf=lambda x: x is not
                                         value)
  if len(leaves) == 1 and leaves[0] is value:
    return None
  return leaves


def _native_name_ok(dtype: np.dtype) -> bool:
  try:
    return np.dtype(dtype.name) == dtype
  except TypeError:
    return False


def _dtype(name: str, path: str) -> np.dtype:
  try:
    return np.dtype(name)
  except TypeError:
    import ml_dtypes
    dtype = getattr(ml_dtypes, name, None)
    if not isinstance(dtype, type):
      raise ValueError(f'load: unknown dtype {name!r} at {path} in the '
                       f'file.') from None
    return np.dtype(dtype)


def _node_names(node):
  """A saved container's element names (keys for dicts); None if unnamed."""
  if node['kind'] in ('dict', 'ordered_dict'):
    return [_decode_key(k) for k in node['keys']]
  return node.get('names')


def _template_elements(template):
  """`(names or None, values, rebuild(values))` of a template container."""
  if isinstance(template, dict):
    names = list(template)
    cls = (collections.OrderedDict if isinstance(
        template, collections.defaultdict) else type(template))
    return names, list(template.values()), lambda v: cls(zip(names, v))
  if structure_lib.is_container(template):
    elements = structure_lib.elements_of(template)
    names = [n for n, _ in elements]
    container = structure_lib.container_of(template)
    named = not (isinstance(template, (list, tuple)) and
                 not structure_lib.is_named_tuple(template))
    return (names if named else None, [v for _, v in elements],
            lambda v: structure_lib.build(container, names, v))
  children = _pytree_children(template) if template is not None else None
  if children is None:
    return None
  import jax
  treedef = jax.tree_util.tree_structure(
      template, is_leaf=lambda x: x is not template)
  return None, children, lambda v: jax.tree_util.tree_unflatten(treedef, v)


def _mismatch(path, node, template, why):
  saved = node.get('type', node['kind'])
  return ValueError(
      f'load: structure: at {path} the saved state has a {saved} but the '
      f'structure has a {type(template).__name__} ({why}). Pass the '
      f'structure the state was saved with (e.g. the same process\'s '
      f'initialize()), or save to a new directory.')


def _decode(node, archive, path, template, use_template):
  kind = node['kind']
  if kind == 'none':
    return None
  if kind == 'scalar':
    if node['type'] not in _SCALARS:
      raise ValueError(f'load: unknown scalar type {node["type"]!r} at '
                       f'{path} in the file.')
    return _SCALARS[node['type']](node['value'])
  if kind == 'leaf':
    return _decode_leaf(node, archive, path, template, use_template)
  children = node['children']
  names = _node_names(node)
  if use_template:
    elements = _template_elements(template)
    if elements is None:
      raise _mismatch(path, node, template, 'not a container')
    t_names, t_values, rebuild = elements
    if (names is None) != (t_names is None):
      raise _mismatch(path, node, template,
                      'one has named elements, the other does not')
    if names is None:
      if len(children) != len(t_values):
        raise _mismatch(path, node, template, f'{len(children)} elements '
                        f'saved, {len(t_values)} expected')
      order = range(len(children))
    elif kind in ('dict', 'ordered_dict') and isinstance(template, dict):
      if set(names) != set(t_names) or len(names) != len(t_names):
        raise _mismatch(path, node, template,
                        f'keys {names} saved, {t_names} expected')
      order = [names.index(n) for n in t_names]
    else:
      if list(names) != list(t_names):
        raise _mismatch(path, node, template,
                        f'names {names} saved, {t_names} expected')
      order = range(len(children))
    values = [_decode(children[i], archive, f'{path}/{t_names[j] if t_names else j}',
                      t_values[j], True) for j, i in enumerate(order)]
    return rebuild(values)
  values = [_decode(c, archive, f'{path}/{names[i] if names else i}', None,
                    False) for i, c in enumerate(children)]
  if kind == 'dict':
    return dict(zip(names, values))
  if kind == 'ordered_dict':
    return collections.OrderedDict(zip(names, values))
  if kind == 'list':
    return values
  if kind in ('tuple', 'sequence'):
    return tuple(values)
  if kind in ('struct', 'namedtuple', 'dataclass', 'attrs'):
    return structure_lib.Struct(zip(names, values))
  raise ValueError(
      f'load: the saved state holds a {node.get("type", kind)} at {path}, '
      f'which can only be rebuilt from a template: pass structure= (e.g. '
      f'process.initialize()).')


def _decode_leaf(node, archive, path, template, use_template):
  array = archive[f'leaf_{int(node["index"])}']
  dtype = _dtype(node['dtype'], path)
  if array.dtype != dtype:
    array = np.frombuffer(array.tobytes(), dtype)
  array = array.reshape(node['shape'])
  if 'prng_impl' in node:
    import jax
    return jax.random.wrap_key_data(array, impl=str(node['prng_impl']))
  if use_template and template is not None and not isinstance(
      template, (bool, int, float, str)):
    t_shape = getattr(template, 'shape', None)
    t_dtype = getattr(template, 'dtype', None)
    if t_shape is not None and t_dtype is not None and (
        tuple(t_shape) != array.shape or np.dtype(t_dtype) != array.dtype):
      raise ValueError(
          f'load: structure: at {path} the saved state has an array of '
          f'{array.dtype.name}{list(array.shape)} but the structure has '
          f'{np.dtype(t_dtype).name}{list(t_shape)}. The model or process '
          f'changed since the state was saved: pass the structure it was '
          f'saved with, or save to a new directory.')
  return array[()] if node.get('numpy_scalar') else array


def save_pytree(tree: Any, path: str | os.PathLike) -> None:
  """Writes `tree` (arrays in containers) to `path`, an `.npz` archive.

  Example:
    >>> import os, tempfile, numpy as np
    >>> path = os.path.join(tempfile.mkdtemp(), 'state.npz')
    >>> save_pytree({'w': np.ones(2, np.float32), 'step': 3}, path)
    >>> load_pytree(path)
    {'w': array([1., 1.], dtype=float32), 'step': 3}
  """
  arrays = []
  tree_json = _encode(tree, arrays, 'state')
  header = json.dumps({'format': _FORMAT, 'version': _VERSION,
                       'tree': tree_json})
  entries = {f'leaf_{i}': a for i, a in enumerate(arrays)}
  entries['__structure__'] = np.array(header)
  with open(path, 'wb') as f:
    np.savez(f, **entries)
    f.flush()
    os.fsync(f.fileno())


def load_pytree(path: str | os.PathLike, structure: Any = None) -> Any:
  """Reads a tree written by `save_pytree`, in the containers of `structure`.

  Never unpickles and never imports a class named in the file. With
  `structure=None`, NamedTuples and dataclasses come back as `fx.Struct`s.

  Example:
    >>> import collections, os, tempfile, numpy as np
    >>> Point = collections.namedtuple('Point', 'x y')
    >>> path = os.path.join(tempfile.mkdtemp(), 'state.npz')
    >>> save_pytree(Point(np.int32(1), [2.5]), path)
    >>> load_pytree(path, structure=Point(0, [0.0]))
    Point(x=np.int32(1), y=[2.5])
    >>> load_pytree(path)
    <x=np.int32(1),y=[2.5]>
  """
  with np.load(path, allow_pickle=False) as archive:
    if '__structure__' not in archive.files:
      raise ValueError(f'load: {os.fspath(path)!r} has no __structure__ '
                       f'entry; it was not written by save_pytree.')
    header = json.loads(str(archive['__structure__']))
    if header.get('format') != _FORMAT:
      raise ValueError(f'load: {os.fspath(path)!r} is not a federax pytree '
                       f'file (format {header.get("format")!r}).')
    if header.get('version') != _VERSION:
      raise ValueError(
          f'load: {os.fspath(path)!r} has format version '
          f'{header.get("version")}; this federax reads version {_VERSION}. '
          f'Upgrade federax.')
    return _decode(header['tree'], archive, 'state', structure,
                   structure is not None)
