"""Pytrees of arrays saved without pickle come back exactly."""

import collections
import dataclasses
import json
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
import optax
import pytest

import federax as fx

save, load = fx.program.save_pytree, fx.program.load_pytree


class Pair(NamedTuple):
  a: object
  b: object


@dataclasses.dataclass
class Box:
  x: object
  y: object = None


@jax.tree_util.register_pytree_node_class
class Opaque:
  """A registered pytree that is no container federax knows."""

  def __init__(self, values):
    self.values = values

  def tree_flatten(self):
    return tuple(self.values), None

  @classmethod
  def tree_unflatten(cls, aux, children):
    return cls(list(children))


def _same(a, b, path='state'):
  assert type(a) is type(b), (path, type(a), type(b))
  if isinstance(a, np.ndarray):
    assert a.dtype == b.dtype and a.shape == b.shape, path
    assert a.tobytes() == b.tobytes(), path
  elif isinstance(a, dict):
    assert list(a) == list(b), path
    for k in a:
      _same(a[k], b[k], f'{path}/{k}')
  elif isinstance(a, (list, tuple)):
    assert len(a) == len(b), path
    for i, (x, y) in enumerate(zip(a, b)):
      _same(x, y, f'{path}/{i}')
  elif isinstance(a, float) and math.isnan(a):
    assert math.isnan(b)
  else:
    assert a == b or (a is b), path


def _roundtrip(tree, tmp_path, structure=None):
  path = tmp_path / 'state.npz'
  save(tree, path)
  return load(path, structure)


def test_optax_states_with_structure(tmp_path):
  params = {'w': np.ones((2, 3), np.float32), 'b': np.zeros(3, np.float32)}
  opt = optax.chain(optax.clip(1.0), optax.inject_hyperparams(optax.adam)(
      learning_rate=0.1))
  state = jax.tree_util.tree_map(np.asarray, opt.init(params))
  _, state = opt.update(params, state, params)
  state = jax.tree_util.tree_map(np.asarray, state)
  template = jax.tree_util.tree_map(np.zeros_like, state)
  restored = _roundtrip(state, tmp_path, template)
  assert (jax.tree_util.tree_structure(restored) ==
          jax.tree_util.tree_structure(state))
  _same(restored, state)


def test_every_leaf_kind_comes_back(tmp_path):
  tree = collections.OrderedDict(
      f32=np.arange(6, dtype=np.float32).reshape(2, 3),
      scalar=np.int64(2**40), bf16=np.array([1.5, -2], ml_dtypes.bfloat16),
      f8=np.array([0.5], ml_dtypes.float8_e4m3fn), flag=np.bool_(True),
      complex=np.array([1 + 2j], np.complex64), text=np.array(['ab', 'c']),
      raw=np.array([b'x\x00y']), empty=np.zeros((0, 4), np.int8),
      py=[1, 2.5, float('nan'), float('inf'), True, 'word', None],
      int_keys={3: np.float16(1.0), 'k': ()})
  _same(_roundtrip(tree, tmp_path), tree)
  _same(_roundtrip(tree, tmp_path, tree), tree)


def test_floats_are_exact(tmp_path):
  values = [0.1, 1 / 3, 5e-324, -0.0, 1.7976931348623157e308]
  assert _roundtrip(values, tmp_path) == values
  assert math.copysign(1, _roundtrip(values, tmp_path)[3]) == -1


def test_named_containers_without_structure_are_structs(tmp_path):
  tree = Pair(a=Box(np.float32(1)), b=fx.Struct([('u', 1), (None, 2)]))
  restored = _roundtrip(tree, tmp_path)
  assert isinstance(restored, fx.Struct)
  assert restored.a.x == np.float32(1) and restored.a.y is None
  assert restored.b.items() == [('u', 1), (None, 2)]


def test_structure_restores_namedtuples_dataclasses_and_pytrees(tmp_path):
  tree = Pair(a=Box(np.arange(3)), b=Opaque([np.float32(2), [np.int8(1)]]))
  template = Pair(a=Box(np.zeros(3, np.int64)),
                  b=Opaque([np.float32(0), [np.int8(0)]]))
  restored = _roundtrip(tree, tmp_path, template)
  assert isinstance(restored, Pair) and isinstance(restored.a, Box)
  assert isinstance(restored.b, Opaque)
  np.testing.assert_array_equal(restored.a.x, np.arange(3))
  assert restored.b.values[1] == [np.int8(1)]
  with pytest.raises(ValueError, match='pass structure='):
    _roundtrip(tree, tmp_path)


def test_jax_arrays_and_keys(tmp_path):
  key = jax.random.key(42)
  tree = {'w': jnp.ones(3, jnp.bfloat16), 'key': key,
          'raw_key': jax.random.PRNGKey(1)}
  restored = _roundtrip(tree, tmp_path)
  assert restored['w'].dtype == jnp.bfloat16
  assert isinstance(restored['w'], np.ndarray)
  assert jax.random.key_impl(restored['key']) == jax.random.key_impl(key)
  np.testing.assert_array_equal(jax.random.key_data(restored['key']),
                                jax.random.key_data(key))
  np.testing.assert_array_equal(restored['raw_key'], jax.random.PRNGKey(1))


def test_dict_order_follows_the_structure(tmp_path):
  restored = _roundtrip({'b': 1, 'a': 2}, tmp_path, {'a': 0, 'b': 0})
  assert list(restored) == ['a', 'b']


@pytest.mark.parametrize('template, message', [
    (Pair(np.zeros(2), np.zeros(2)), 'names'),
    ({'w': np.zeros(2)}, 'keys'),
    ([np.zeros(2)], 'named'),
    ({'w': np.zeros(3), 'v': np.zeros(2)}, r'float64\[3\]'),
    ({'w': np.zeros(2, np.float32), 'v': np.zeros(2)}, 'float32'),
])
def test_structure_mismatch_is_a_value_error(tmp_path, template, message):
  with pytest.raises(ValueError, match=message):
    _roundtrip({'w': np.zeros(2), 'v': np.zeros(2)}, tmp_path, template)


def test_objects_are_refused(tmp_path):
  with pytest.raises(TypeError, match=r"state\['f'\].*neither a container"):
    save({'f': object()}, tmp_path / 'x.npz')
  with pytest.raises(TypeError, match='dict keys'):
    save({(1, 2): 1}, tmp_path / 'x.npz')


def test_file_is_plain_npz_with_json(tmp_path):
  path = tmp_path / 'state.npz'
  save(Pair(np.ones(2), 3), path)
  with np.load(path, allow_pickle=False) as archive:
    header = json.loads(str(archive['__structure__']))
    assert sorted(archive.files) == ['__structure__', 'leaf_0']
  assert header['format'] == 'federax.pytree'
  assert header['tree']['kind'] == 'namedtuple'
  assert header['tree']['names'] == ['a', 'b']


def test_foreign_and_future_files_are_rejected(tmp_path):
  path = tmp_path / 'x.npz'
  np.savez(path, a=np.ones(1))
  with pytest.raises(ValueError, match='not written by save_pytree'):
    load(path)
  header = json.dumps({'format': 'federax.pytree', 'version': 99,
                       'tree': {'kind': 'none'}})
  np.savez(path, __structure__=np.array(header))
  with pytest.raises(ValueError, match='Upgrade federax'):
    load(path)
