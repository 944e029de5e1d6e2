"""ModelWeights, and saving and loading weights without pickle."""

import collections
import json
from typing import NamedTuple

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
import pytest

from federax.learning import models


def _numpy(tree):
  """`tree` with array leaves as NumPy arrays, containers and order kept."""
  if isinstance(tree, dict):
    return type(tree)((k, _numpy(v)) for k, v in tree.items())
  if isinstance(tree, models.ModelWeights):
    return models.ModelWeights(*map(_numpy, tree))
  if isinstance(tree, (list, tuple)):
    return type(tree)(map(_numpy, tree))
  if tree is None or type(tree) in (bool, int, float):
    return tree
  return np.asarray(tree)


def _same(a, b):
  """Exact equality of structure (container types included) and leaves."""
  assert type(a) is type(b), (type(a), type(b))
  if isinstance(a, dict):
    assert list(a) == list(b)
    for k in a:
      _same(a[k], b[k])
  elif isinstance(a, (list, tuple)):
    assert len(a) == len(b)
    for x, y in zip(a, b):
      _same(x, y)
  elif isinstance(a, np.ndarray):
    assert a.dtype == b.dtype and a.shape == b.shape
    assert a.tobytes() == b.tobytes()
  else:
    assert a == b or (a != a and b != b)


def test_round_trip_is_exact(tmp_path):
  rng = np.random.default_rng(0)
  weights = models.ModelWeights(
      trainable={'dense': {'kernel': rng.normal(size=(3, 2)).astype(
          np.float32), 'bias': np.zeros(2, np.float16)},
                 'layers': [np.arange(4, dtype=np.int8).reshape(2, 2),
                            (np.float64(1.5), np.array(True))]},
      non_trainable=collections.OrderedDict(
          z=np.array([1, 2], np.uint64), a=np.ones((), ml_dtypes.bfloat16),
          words=np.array(['ab', 'c']), empty=np.zeros((0, 3), np.complex64),
          **{'none': None, 'scalars': [1, 2.5, float('nan'), False],
             'ints': {0: np.int32(1), 10: np.int32(2), 2: np.int32(3)}}))
  path = tmp_path / 'weights.npz'
  models.save_model_weights(weights, path)
  loaded = models.load_model_weights(path)
  expected = _numpy(weights)
  _same(loaded, expected)
  assert isinstance(loaded, models.ModelWeights)
  assert loaded.non_trainable['a'].dtype == ml_dtypes.bfloat16
  assert list(loaded.non_trainable['ints']) == [0, 10, 2]


def test_jax_arrays_and_a_path_without_npz_suffix(tmp_path):
  weights = [jnp.arange(3.0), {'b': jnp.bfloat16(2.0)}]
  path = tmp_path / 'weights.bin'
  models.save_model_weights(weights, str(path))
  assert path.exists()
  loaded = models.load_model_weights(str(path))
  _same(loaded, _numpy(weights))


def test_file_holds_no_pickles(tmp_path):
  path = tmp_path / 'w.npz'
  models.save_model_weights({'w': np.ones(2)}, path)
  with np.load(path, allow_pickle=False) as archive:
    header = json.loads(str(archive['__structure__']))
    assert all(archive[name].dtype != object for name in archive.files)
  assert header['format'] == 'federax.model_weights'
  assert header['tree']['kind'] == 'dict'


class Point(NamedTuple):
  x: object


@pytest.mark.parametrize('weights, message', [
    (Point(np.ones(1)), 'cannot save a Point at weights: only dict'),
    ({'w': jax.random.key(0)}, "PRNG key array (key<fry>); save "
     "jax.random.key_data"),
    ([object()], 'the leaf at weights[0] is a object, not an array'),
    ({(1, 2): np.ones(1)}, 'dict keys must be str or int'),
    (collections.defaultdict(list), 'cannot save a defaultdict'),
])
def test_save_errors(tmp_path, weights, message):
  with pytest.raises(TypeError) as e:
    models.save_model_weights(weights, tmp_path / 'w.npz')
  assert message in str(e.value)


def test_load_errors(tmp_path):
  plain = tmp_path / 'plain.npz'
  np.savez(plain, a=np.ones(2))
  with pytest.raises(ValueError, match='no __structure__ entry; it was not '
                     'written by save_model_weights'):
    models.load_model_weights(plain)
  other = tmp_path / 'other.npz'
  np.savez(other, __structure__=np.array(json.dumps({'format': 'x'})))
  with pytest.raises(ValueError, match='is not a federax weights file'):
    models.load_model_weights(other)
  future = tmp_path / 'future.npz'
  np.savez(future, __structure__=np.array(json.dumps(
      {'format': 'federax.model_weights', 'version': 99, 'tree': {}})))
  with pytest.raises(ValueError, match='format version 99; this federax reads '
                     'version 1. Upgrade federax'):
    models.load_model_weights(future)
  pickled = tmp_path / 'pickled.npz'
  np.savez(pickled, __structure__=np.array(json.dumps(
      {'format': 'federax.model_weights', 'version': 1,
       'tree': {'kind': 'leaf', 'index': 0, 'dtype': 'float32',
                'shape': []}})), leaf_0=np.array([{}], dtype=object))
  with pytest.raises(ValueError, match='allow_pickle'):
    models.load_model_weights(pickled)


def test_model_weights_is_a_pytree_and_from_model_checks():
  weights = models.ModelWeights([np.ones(2)], [])
  doubled = jax.tree.map(lambda a: 2 * a, weights)
  assert isinstance(doubled, models.ModelWeights)
  assert doubled.trainable[0].tolist() == [2.0, 2.0]
  with pytest.raises(TypeError, match=r'ModelWeights.from_model\(model\): '
                     r'expected a federax Model, got dict'):
    models.ModelWeights.from_model({})
  with pytest.raises(TypeError, match=r'expected a keras.Model, got list'):
    weights.assign_weights_to([])
