"""Saving and loading model weights without pickle.

The file is a NumPy `.npz` archive: one entry per array (`leaf_0`,
`leaf_1`, ...) and a `__structure__` entry holding JSON that describes the
pytree (dicts, `OrderedDict`s, lists, tuples, `ModelWeights`, `None`,
Python scalars) and each leaf's dtype. Loading reads it with
`allow_pickle=False`, so a weights file from an untrusted source cannot run
code. Arrays come back as NumPy arrays of the same dtype and shape
(bfloat16 and the other `ml_dtypes` included); the structure comes back
exactly.
"""

from __future__ import annotations

import collections
import json
import os
from typing import Any

import numpy as np

from federax.core import structure
from federax.learning.models import model_weights

_FORMAT = 'federax.model_weights'
_VERSION = 1
_SCALARS = {'bool': bool, 'int': int, 'float': float}


def _encode(tree, arrays: list, path: str):
  if tree is None:
    return {'kind': 'none'}
  if isinstance(tree, model_weights.ModelWeights):
    return {'kind': 'model_weights', 'items': [
        _encode(v, arrays, f'{path}.{n}') for n, v in zip(tree._fields, tree)]}
  if isinstance(tree, dict):
    kind = 'ordered_dict' if isinstance(tree, collections.OrderedDict) else (
        'dict')
    if type(tree) not in (dict, collections.OrderedDict):
      raise TypeError(f'weights: cannot save a {type(tree).__name__} at '
                      f'{path}; use dict or OrderedDict.')
    for k in tree:
      if not isinstance(k, (str, int)) or isinstance(k, bool):
        raise TypeError(f'weights: dict keys must be str or int, got {k!r} at '
                        f'{path}.')
    return {'kind': kind, 'keys': list(tree), 'values': [
        _encode(v, arrays, f'{path}[{k!r}]') for k, v in tree.items()]}
  if structure.is_named_tuple(tree) or (
      isinstance(tree, (list, tuple)) and type(tree) not in (list, tuple)):
    raise TypeError(
        f'weights: cannot save a {type(tree).__name__} at {path}: only dict, '
        f'OrderedDict, list, tuple and ModelWeights containers can be '
        f'restored without unpickling. Convert it, e.g. with ._asdict().')
  if isinstance(tree, (list, tuple)):
    return {'kind': type(tree).__name__, 'items': [
        _encode(v, arrays, f'{path}[{i}]') for i, v in enumerate(tree)]}
  if type(tree) in (bool, int, float):  # Not np.float64, a float subclass.
    return {'kind': 'scalar', 'type': type(tree).__name__,
            'value': tree if type(tree) is not float else repr(tree)}
  return _encode_leaf(tree, arrays, path)


def _encode_leaf(leaf, arrays: list, path: str):
  dtype = getattr(leaf, 'dtype', None)
  if dtype is not None and 'key<' in str(dtype):
    raise TypeError(
        f'weights: the leaf at {path} is a JAX PRNG key array ({dtype}); save '
        f'jax.random.key_data(key) instead and rebuild it with '
        f'jax.random.wrap_key_data.')
  array = np.asarray(leaf)
  if array.dtype.kind == 'O':
    raise TypeError(f'weights: the leaf at {path} is a '
                    f'{type(leaf).__name__}, not an array; only numeric, '
                    f'bool and str arrays can be saved.')
  dtype_name = array.dtype.name
  if array.dtype.kind != 'V' and not _native_name_ok(array.dtype):
    dtype_name = array.dtype.str  # e.g. '<U5': str arrays, byte orders.
  node = {'kind': 'leaf', 'index': len(arrays), 'dtype': dtype_name,
          'shape': list(array.shape)}
  if array.dtype.kind == 'V':  # bfloat16 and other ml_dtypes: raw bytes.
    array = np.frombuffer(np.ascontiguousarray(array).tobytes(), np.uint8)
  arrays.append(array)
  return node


def _native_name_ok(dtype: np.dtype) -> bool:
  try:
    return np.dtype(dtype.name) == dtype
  except TypeError:
    return False


def save_model_weights(weights, path: str | os.PathLike) -> None:
  """Writes a pytree of weights (e.g. `ModelWeights`) to `path` (an `.npz`).

  Example:
    >>> import os, tempfile, numpy as np
    >>> from federax.learning import models
    >>> weights = models.ModelWeights({'w': np.ones(2, np.float32)}, [])
    >>> path = os.path.join(tempfile.mkdtemp(), 'weights.npz')
    >>> models.save_model_weights(weights, path)
    >>> models.load_model_weights(path)
    ModelWeights(trainable={'w': array([1., 1.], dtype=float32)}, non_trainable=[])
  """
  arrays = []
  tree = _encode(weights, arrays, 'weights')
  header = json.dumps({'format': _FORMAT, 'version': _VERSION, 'tree': tree})
  entries = {f'leaf_{i}': a for i, a in enumerate(arrays)}
  entries['__structure__'] = np.array(header)
  with open(path, 'wb') as f:
    np.savez(f, **entries)


def _dtype(name: str) -> np.dtype:
  try:
    return np.dtype(name)
  except TypeError:
    import ml_dtypes
    if not hasattr(ml_dtypes, name):
      raise ValueError(f'load_model_weights: unknown dtype {name!r} in the '
                       f'file.') from None
    return np.dtype(getattr(ml_dtypes, name))


def _decode(node, archive, path: str):
  kind = node.get('kind') if isinstance(node, dict) else None
  if kind == 'none':
    return None
  if kind == 'model_weights':
    return model_weights.ModelWeights(
        *[_decode(v, archive, path) for v in node['items']])
  if kind in ('dict', 'ordered_dict'):
    cls = dict if kind == 'dict' else collections.OrderedDict
    return cls((k, _decode(v, archive, path))
               for k, v in zip(node['keys'], node['values']))
  if kind in ('list', 'tuple'):
    items = [_decode(v, archive, path) for v in node['items']]
    return items if kind == 'list' else tuple(items)
  if kind == 'scalar' and node.get('type') in _SCALARS:
    value = node['value']
    return float(value) if node['type'] == 'float' else _SCALARS[
        node['type']](value)
  if kind == 'leaf':
    array = archive[f'leaf_{int(node["index"])}']
    dtype = _dtype(node['dtype'])
    if array.dtype != dtype:
      array = np.frombuffer(array.tobytes(), dtype)
    return array.reshape(node['shape'])
  raise ValueError(f'load_model_weights: {path} is not a federax weights file '
                   f'(unexpected node {node!r}).')


def load_model_weights(path: str | os.PathLike) -> Any:
  """Reads weights written by `save_model_weights` (never unpickles).

  Example:
    >>> import os, tempfile, numpy as np
    >>> from federax.learning import models
    >>> path = os.path.join(tempfile.mkdtemp(), 'w.npz')
    >>> models.save_model_weights([np.int8(3), (1.5, None)], path)
    >>> models.load_model_weights(path)
    [array(3, dtype=int8), (1.5, None)]
  """
  with np.load(path, allow_pickle=False) as archive:
    if '__structure__' not in archive.files:
      raise ValueError(
          f'load_model_weights(path): {os.fspath(path)!r} has no '
          f'__structure__ entry; it was not written by save_model_weights.')
    header = json.loads(str(archive['__structure__']))
    if header.get('format') != _FORMAT:
      raise ValueError(f'load_model_weights(path): {os.fspath(path)!r} is not '
                       f'a federax weights file.')
    if header.get('version') != _VERSION:
      raise ValueError(
          f'load_model_weights(path): {os.fspath(path)!r} has format version '
          f'{header.get("version")}; this federax reads version {_VERSION}. '
          f'Upgrade federax.')
    return _decode(header['tree'], archive, os.fspath(path))
