"""`fx.simulation.datasets.Dataset`: lazy, immutable, tf.data's semantics."""

import collections

import numpy as np
import pytest

import federax as fx

Dataset = fx.simulation.datasets.Dataset


def _xs(ds):
  return [int(e['x']) if isinstance(e, dict) else int(e) for e in ds]


def _table(n=10):
  return {'x': np.arange(n, dtype=np.int32),
          'img': np.arange(n * 4, dtype=np.float32).reshape(n, 2, 2)}


def _generated(n=10):
  return Dataset.from_generator(
      lambda: ({'x': np.int32(i), 'img': np.full((2, 2), i, np.float32)}
               for i in range(n)))


@pytest.mark.parametrize('make', [lambda: Dataset.from_tensor_slices(
    _table()), _generated])
def test_transformations_agree_for_arrays_and_generators(make):
  ds = make()
  assert _xs(ds.take(3)) == [0, 1, 2]
  assert _xs(ds.skip(8)) == [8, 9]
  assert _xs(ds.repeat(2)) == list(range(10)) * 2
  assert _xs(ds.filter(lambda e: e['x'] % 3 == 0)) == [0, 3, 6, 9]
  assert _xs(ds.map(lambda e: {'x': e['x'] * 2})) == list(range(0, 20, 2))
  assert _xs(ds.repeat().take(12)) == list(range(10)) + [0, 1]


def test_shuffle_is_seeded_and_the_same_for_arrays_and_generators():
  arrays = Dataset.from_tensor_slices(_table())
  for buffer in (1, 3, 10, 50):
    a = _xs(arrays.shuffle(buffer, seed=7))
    b = _xs(_generated().shuffle(buffer, seed=7))
    assert a == b and sorted(a) == list(range(10))
  assert _xs(arrays.shuffle(1, seed=3)) == list(range(10))  # No-op buffer.
  ds = arrays.shuffle(10, seed=5)
  assert _xs(ds) == _xs(ds)  # Iterating again: the same order.
  assert _xs(ds) != _xs(arrays.shuffle(10, seed=6))


def test_small_buffer_keeps_examples_near_their_position():
  out = _xs(Dataset.from_tensor_slices(np.arange(100)).shuffle(5, seed=0))
  assert sorted(out) == list(range(100))
  # The i-th output comes from the first i + 5 inputs.
  assert all(x < i + 5 for i, x in enumerate(out))


def test_reshuffle_each_iteration_gives_each_epoch_its_order():
  base = Dataset.from_tensor_slices(np.arange(8, dtype=np.int32))
  epochs = _xs(base.shuffle(8, seed=1).repeat(3))
  first, second, third = epochs[:8], epochs[8:16], epochs[16:]
  assert sorted(first) == sorted(second) == list(range(8))
  assert first != second or second != third
  fixed = _xs(base.shuffle(8, seed=1, reshuffle_each_iteration=False).repeat(
      2))
  assert fixed[:8] == fixed[8:]


def test_batch_and_padded_batch():
  ds = Dataset.from_tensor_slices(_table(5))
  batches = list(ds.batch(2))
  assert [b['x'].tolist() for b in batches] == [[0, 1], [2, 3], [4]]
  assert batches[0]['img'].shape == (2, 2, 2)
  assert len(ds.batch(2)) == 3 and len(ds.batch(2, drop_remainder=True)) == 2
  padded = list(ds.padded_batch(2))
  assert [b['x'].tolist() for b in padded] == [[0, 1], [2, 3], [4, 0]]
  assert padded[-1]['mask'].tolist() == [1.0, 0.0]
  assert padded[-1]['img'][1].sum() == 0
  pairs = list(Dataset.from_tensor_slices(
      (np.ones(3, np.float32), np.arange(3))).padded_batch(2))
  (x, y), mask = pairs[-1]
  assert x.tolist() == [1.0, 0.0] and mask.tolist() == [1.0, 0.0]
  # Generated examples batch the same way.
  assert [b['x'].tolist() for b in _generated(5).padded_batch(2)] == [
      [0, 1], [2, 3], [4, 0]]
  assert [e.tolist() for e in Dataset.from_tensor_slices([1, 2, 3]).batch(
      2).unbatch()] == [1, 2, 3]


def test_padded_batch_mask_key_collision_is_an_error():
  ds = Dataset.from_tensor_slices({'mask': np.zeros(2)})
  with pytest.raises(ValueError, match='mask_key="padding_mask"'):
    list(ds.padded_batch(2))


def test_element_spec_and_lengths():
  ds = Dataset.from_tensor_slices(_table())
  assert str(ds.element_spec) == '<img=float32[2,2],x=int32>'
  assert str(ds.batch(3).element_spec) == '<img=float32[?,2,2],x=int32[?]>'
  assert str(ds.batch(3, True).element_spec) == '<img=float32[3,2,2],x=int32[3]>'
  assert str(_generated().element_spec) == str(ds.element_spec)
  assert len(ds) == 10 and len(ds.repeat(3).take(25)) == 25
  assert ds.repeat().cardinality == Dataset.INFINITE
  with pytest.raises(TypeError, match='unknown'):
    len(ds.filter(bool))
  with pytest.raises(ValueError, match='element_spec'):
    Dataset.from_generator(lambda: iter([])).element_spec  # pylint: disable=expression-not-assigned
  strings = Dataset.from_tensor_slices({'s': [b'ab', b'c']})
  assert str(strings.element_spec) == '<s=str>'
  assert next(iter(strings))['s'] == b'ab'


def test_stacked_form_reuses_arrays_and_stacks_the_rest():
  table = _table()
  ds = Dataset.from_tensor_slices(table)
  assert ds.__fx_stacked__()['img'] is table['img']
  shuffled = ds.shuffle(10, seed=0).take(4).__fx_stacked__()
  assert shuffled['x'].tolist() == _xs(ds.shuffle(10, seed=0))[:4]
  stacked = _generated(3).__fx_stacked__()
  assert stacked['x'].dtype == np.int32 and stacked['img'].shape == (3, 2, 2)
  empty = _generated(0)
  assert empty.__fx_stacked__() is None  # No examples, no spec to stack by.
  spec = {'x': np.int32, 'img': (np.float32, [2, 2])}
  empty = Dataset.from_generator(lambda: iter([]), element_spec=spec)
  assert empty.__fx_stacked__()['img'].shape == (0, 2, 2)
  ragged = Dataset.from_examples([np.zeros(2), np.zeros(3)])
  assert ragged.__fx_stacked__() is None
  with pytest.raises(ValueError, match='infinite'):
    ds.repeat().__fx_stacked__()


def test_python_numbers_follow_federax_inference():
  ds = Dataset.from_examples([{'x': 1.5, 'n': 2}, {'x': 0.5, 'n': 3}])
  stacked = ds.__fx_stacked__()
  assert stacked['x'].dtype == np.float32 and stacked['n'].dtype == np.int32
  assert Dataset.from_tensor_slices({'x': [1.0]})._table['x'].dtype == (
      np.float32)


def test_containers_are_kept():
  Point = collections.namedtuple('Point', ['x', 'y'])
  ds = Dataset.from_tensor_slices(Point(np.zeros(3), np.ones(3)))
  first = next(iter(ds))
  assert isinstance(first, Point)
  assert isinstance(next(iter(ds.batch(2))), Point)


def test_argument_errors_name_the_argument():
  ds = Dataset.from_tensor_slices([1, 2])
  with pytest.raises(ValueError, match='Dataset.batch: batch_size'):
    ds.batch(0)
  with pytest.raises(ValueError, match='Dataset.take: count'):
    ds.take(-1)
  with pytest.raises(TypeError, match='seed'):
    ds.shuffle(2, seed=-1)
  with pytest.raises(TypeError, match='Dataset.map: fn'):
    ds.map(3)
  with pytest.raises(ValueError, match='leading'):
    Dataset.from_tensor_slices({'a': np.zeros(2), 'b': np.zeros(3)})


def test_unseeded_shuffle_is_fixed_once_built():
  ds = Dataset.from_tensor_slices(np.arange(20)).shuffle(20)
  assert _xs(ds) == _xs(ds)
