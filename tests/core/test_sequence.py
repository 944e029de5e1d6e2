"""Tests of sequences (`fx.Sequence`) inside JAX computations."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import federax as fx
from federax.core import sequence as sequence_lib

POINT = fx.StructType([('x', (np.float32, [2])), ('y', np.int32)])


def _sig(comp) -> str:
  return str(comp.type_signature)


def _points(n):
  return [{'x': np.array([i, 0.5 * i], np.float32), 'y': i} for i in range(n)]


def test_seed_example_add_up_integers():

  @fx.jax_computation(fx.SequenceType(np.int32))
  def add_up_integers(x):
    return x.reduce(np.int32(0), lambda x, y: x + y)

  assert _sig(add_up_integers) == '(int32* -> int32)'
  result = add_up_integers([1, 2, 3, 4, 5])
  assert result == 15 and result.dtype == np.int32
  assert add_up_integers(np.array([1, 2, 3, 4, 5], np.int32)) == 15
  assert add_up_integers((1, 2, 3)) == 6
  assert add_up_integers(range(4)) == 6


def test_wrong_element_dtype_is_type_error():

  @fx.jax_computation(fx.SequenceType(np.int32))
  def add_up_integers(x):
    return x.reduce(np.int32(0), lambda x, y: x + y)

  with pytest.raises(TypeError, match=r'\[1\]: expected int32, got float32'):
    add_up_integers([1, 2.5])
  with pytest.raises(TypeError, match='astype'):
    add_up_integers(np.array([1.0, 2.0], np.float32))
  with pytest.raises(TypeError, match='sequence'):
    add_up_integers(3)


def test_empty_sequences():

  @fx.jax_computation(fx.SequenceType(np.int32))
  def reduce_from_seven(x):
    return x.reduce(np.int32(7), lambda acc, e: acc * 2 + e)

  @fx.jax_computation(fx.SequenceType(POINT))
  def total(ds):
    return ds.sum()

  assert reduce_from_seven([]) == 7
  assert reduce_from_seven(np.zeros([0], np.int32)) == 7
  assert reduce_from_seven([1]) == 15
  zero = total([])
  np.testing.assert_array_equal(zero.x, np.zeros(2, np.float32))
  assert zero.y == 0 and zero.y.dtype == np.int32
  zero = total({'x': np.zeros([0, 2], np.float32), 'y': np.zeros([0], np.int32)})
  np.testing.assert_array_equal(zero.x, [0.0, 0.0])


def test_sequence_of_structs_as_list_and_as_stacked_arrays():

  @fx.jax_computation(fx.SequenceType(POINT))
  def weighted(ds):
    return ds.reduce(
        jnp.zeros(2, jnp.float32),
        lambda acc, e: acc + e['x'] * e['y'].astype(jnp.float32))

  assert _sig(weighted) == '(<x=float32[2],y=int32>* -> float32[2])'
  elements = _points(5)
  expected = sum(e['x'] * e['y'] for e in elements)
  np.testing.assert_array_equal(weighted(elements), expected)
  stacked = {'x': np.stack([e['x'] for e in elements]),
             'y': np.arange(5, dtype=np.int32)}
  assert stacked['x'].shape == (5, 2)
  np.testing.assert_array_equal(weighted(stacked), expected)
  with pytest.raises(TypeError, match='stacked'):
    weighted({'x': np.zeros([5, 2], np.float32), 'y': np.zeros([4], np.int32)})


def test_elements_arrive_in_their_containers():
  seen = []

  @fx.jax_computation(fx.SequenceType({'a': np.float32, 'b': np.int32}))
  def f(ds):

    def step(acc, e):
      seen.append(type(e))
      return acc + e['a'] * e['b'].astype(jnp.float32)

    return ds.reduce(0.0, step)

  assert f([{'a': 1.5, 'b': 2}, {'a': 2.0, 'b': -1}]) == np.float32(1.0)
  assert seen and all(t is dict for t in seen)


def test_map_then_reduce():

  @fx.jax_computation(fx.SequenceType(np.int32))
  def sum_of_squares(ds):
    return ds.map(lambda e: e * e).reduce(np.int32(0), lambda a, e: a + e)

  assert _sig(sum_of_squares) == '(int32* -> int32)'
  assert sum_of_squares([1, 2, 3]) == 14
  assert sum_of_squares([]) == 0


def test_map_to_dict_keeps_names_paired_with_values():

  @fx.jax_computation(fx.SequenceType(np.int32))
  def f(ds):
    mapped = ds.map(lambda e: {'big': e * 10, 'small': e})
    return mapped.reduce(np.int32(0), lambda a, e: a + e['big'] - e['small'])

  assert f([1, 2, 3]) == 54


def test_map_with_a_closure_over_another_parameter():

  @fx.jax_computation(fx.SequenceType(np.float32), np.float32)
  def scaled_sum(ds, w):
    return ds.map(lambda e: e * w).reduce(0.0, lambda a, e: a + e)

  assert _sig(scaled_sum) == '(<ds=float32*,w=float32> -> float32)'
  assert scaled_sum([1.0, 2.0], 3.0) == np.float32(9.0)


def test_sum_on_structs():

  @fx.jax_computation(fx.SequenceType(POINT))
  def total(ds):
    return ds.sum()

  assert _sig(total) == '(<x=float32[2],y=int32>* -> <x=float32[2],y=int32>)'
  result = total(_points(4))
  np.testing.assert_array_equal(result.x, [6.0, 3.0])
  assert result.y == 6 and result.y.dtype == np.int32


def test_sum_keeps_the_element_container():

  @fx.jax_computation(fx.SequenceType({'b': np.float32, 'a': np.int32}))
  def total(ds):
    return ds.sum()

  result = total([{'b': 0.5, 'a': 1}, {'b': 1.0, 'a': 2}])
  assert isinstance(result, dict) and list(result) == ['a', 'b']
  assert result == {'b': 1.5, 'a': 3}


def test_returning_a_sequence_gives_a_list():

  @fx.jax_computation(fx.SequenceType(np.int32))
  def doubled(ds):
    return ds.map(lambda e: e * 2)

  @fx.jax_computation(fx.SequenceType(np.int32))
  def as_dicts(ds):
    return ds.map(lambda e: {'z': e, 'a': e + 100})

  assert _sig(doubled) == '(int32* -> int32*)'
  result = doubled([1, 2, 3])
  assert type(result) is list and result == [2, 4, 6]
  assert doubled([]) == []
  assert _sig(as_dicts) == '(int32* -> <a=int32,z=int32>*)'
  assert as_dicts([1, 2]) == [{'z': 1, 'a': 101}, {'z': 2, 'a': 102}]


def test_identity_on_a_sequence_of_structs():

  @fx.jax_computation(fx.SequenceType({'a': np.float32, 'b': np.int32}))
  def same(ds):
    return ds

  assert same([{'a': 1.0, 'b': 2}]) == [{'a': 1.0, 'b': 2}]
  assert same({'a': np.array([1.0, 2.0], np.float32),
               'b': np.array([3, 4], np.int32)}) == [{'a': 1.0, 'b': 3},
                                                     {'a': 2.0, 'b': 4}]


@pytest.mark.parametrize('n', [1, 2, 3, 5, 8, 9])
def test_padding_does_not_change_results(n):
  # Lengths 3, 5 and 9 are padded (to 4, 8 and 16) with zero elements; each
  # reduction below would change if one of them took part.
  rng = np.random.default_rng(n)
  values = (rng.standard_normal(n) * 10.0 ** rng.integers(-4, 5, n)).astype(
      np.float32)
  ints = rng.integers(-100, -1, n).astype(np.int32)

  expected_sum = np.float32(0)
  for v in values:  # Float addition is order dependent: loop in order.
    expected_sum = np.float32(expected_sum + v)
  expected_decay = np.float32(0)
  for v in values:  # Halving is exact, so only the additions round.
    expected_decay = np.float32(expected_decay * np.float32(0.5) + v)

  result = _padding_probe(list(values), list(ints))
  assert result['sum'] == expected_sum  # Exact, not approximate.
  assert result['decay'] == expected_decay
  assert result['mapped_sum'] == expected_sum
  assert result['max'] == max(ints)  # All negative: a padded 0 would win.
  assert result['min_plus_one'] == min(ints) + 1
  assert result['count'] == n
  assert result['last'] == values[-1]


@fx.jax_computation(fx.SequenceType(np.float32), fx.SequenceType(np.int32))
def _padding_probe(values, ints):
  return {
      'sum': values.sum(),
      'decay': values.reduce(0.0, lambda a, v: a * 0.5 + v),
      'mapped_sum': values.map(lambda v: v).sum(),
      'max': ints.reduce(np.int32(-1000), jnp.maximum),
      'min_plus_one': ints.map(lambda i: i + 1).reduce(np.int32(1000),
                                                       jnp.minimum),
      'count': ints.reduce(0, lambda a, _: a + 1),
      'last': values.reduce(np.float32(0), lambda _, v: v),
  }


def test_ragged_elements_work_element_by_element():

  @fx.jax_computation(fx.SequenceType((np.float32, [None])))
  def stats(ds):
    return {'total': ds.reduce(0.0, lambda a, e: a + jnp.sum(e)),
            'sizes': ds.map(lambda e: e.shape[0] * jnp.ones((), jnp.int32))
                       .reduce(0, lambda a, e: a + e)}

  assert _sig(stats) == '(float32[?]* -> <sizes=int32,total=float32>)'
  ragged = [np.ones(2, np.float32), np.full(3, 2.0, np.float32),
            np.zeros(0, np.float32)]
  assert stats(ragged) == {'total': 8.0, 'sizes': 5}
  same = [np.ones(2, np.float32), np.ones(2, np.float32)]
  assert stats(same) == {'total': 4.0, 'sizes': 4}


def test_ragged_map_returns_elements_of_each_shape():

  @fx.jax_computation(fx.SequenceType((np.float32, [None])))
  def doubled(ds):
    return ds.map(lambda e: e * 2)

  assert _sig(doubled) == '(float32[?]* -> float32[?]*)'
  result = doubled([np.ones(1, np.float32), np.ones(3, np.float32)])
  assert [r.shape for r in result] == [(1,), (3,)]
  np.testing.assert_array_equal(result[1], [2.0, 2.0, 2.0])


def test_sum_with_unknown_element_dimension():

  @fx.jax_computation(fx.SequenceType((np.float32, [None])))
  def total(ds):
    return ds.sum()

  assert _sig(total) == '(float32[?]* -> float32[?])'
  np.testing.assert_array_equal(
      total([np.ones(3, np.float32), np.arange(3, dtype=np.float32)]),
      [1.0, 2.0, 3.0])
  with pytest.raises(TypeError, match='different shapes'):
    total([np.ones(2, np.float32), np.ones(3, np.float32)])


def test_jit_compile_cache_per_bucket():
  calls = []

  @fx.jax_computation(fx.SequenceType(np.float32))
  def total(ds):
    calls.append(1)
    return ds.sum()

  traced_for_type = len(calls)
  assert traced_for_type >= 1  # eval_shape, when the computation is built.
  assert total([1.0] * 5) == 5.0
  after_first = len(calls)
  assert after_first == traced_for_type + 1  # Traced once more, for jit.
  for n in (6, 7, 8, 5):  # Lengths 5..8 all pad to 8: no retrace.
    assert total([1.0] * n) == float(n)
  assert len(calls) == after_first
  assert total([1.0] * 3) == 3.0  # Bucket 4: one more trace.
  assert len(calls) == after_first + 1
  assert total([2.0] * 4) == 8.0
  assert len(calls) == after_first + 1


def test_bucket_size():
  assert [sequence_lib.bucket_size(n) for n in range(10)] == [
      1, 1, 2, 4, 4, 8, 8, 8, 8, 16]


def test_reduce_state_dtype_follows_reduce_func():

  @fx.jax_computation(fx.SequenceType(np.float32))
  def total(ds):
    return ds.reduce(0, lambda a, e: a + e)

  assert _sig(total) == '(float32* -> float32)'
  result = total([0.5, 1.25])
  assert result.dtype == np.float32 and result == 1.75


def test_reduce_with_struct_state():

  @fx.jax_computation(fx.SequenceType(np.float32))
  def mean(ds):
    s = ds.reduce({'n': 0, 'total': 0.0},
                  lambda a, e: {'n': a['n'] + 1, 'total': a['total'] + e})
    return s['total'] / s['n'].astype(jnp.float32)

  assert mean([1.0, 2.0, 6.0]) == np.float32(3.0)


def test_reduce_scalar_initial_state_over_vector_elements():

  @fx.jax_computation(fx.SequenceType((np.float32, [3])))
  def total(ds):
    return ds.reduce(0.0, lambda a, e: a + e)

  assert _sig(total) == '(float32[3]* -> float32[3])'
  np.testing.assert_array_equal(total([[1, 2, 3], [4, 5, 6]]), [5, 7, 9])


def test_reduce_changing_structure_is_type_error():
  with pytest.raises(TypeError, match='structure of initial_state'):
    fx.jax_computation(lambda ds: ds.reduce((0, 0), lambda a, e: a[0] + e),
                       fx.SequenceType(np.float32))


def test_reduce_growing_state_is_type_error():
  with pytest.raises(TypeError, match='must keep its shape'):
    fx.jax_computation(
        lambda ds: ds.reduce(jnp.zeros(2, jnp.float32),
                             lambda a, e: jnp.concatenate([a, e[None]])),
        fx.SequenceType(np.float32))


def test_iterating_a_sequence_is_type_error():
  with pytest.raises(TypeError, match='cannot be iterated'):

    @fx.jax_computation(fx.SequenceType(np.float32))
    def bad(ds):
      return sum(ds)


def test_sequence_passed_to_an_inner_jax_computation():

  @fx.jax_computation(fx.SequenceType(np.int32))
  def inner(ds):
    return ds.sum()

  @fx.jax_computation(fx.SequenceType(np.int32))
  def outer(ds):
    return inner(ds) * 2

  assert outer([1, 2, 3]) == 12


def test_ragged_sequence_passed_to_an_inner_jax_computation():
  ragged = fx.SequenceType((np.float32, [None]))

  @fx.jax_computation(ragged)
  def inner(ds):
    return ds.reduce(0.0, lambda a, e: a + jnp.sum(e))

  @fx.jax_computation(ragged)
  def outer(ds):
    return inner(ds.map(lambda e: e * 2)) + inner(ds)

  assert outer([np.ones(2, np.float32), np.ones(3, np.float32)]) == 15.0
  assert outer([np.ones(2, np.float32), np.ones(2, np.float32)]) == 12.0


def test_map_to_a_sequence_is_type_error():
  with pytest.raises(TypeError, match='holds a sequence'):
    fx.jax_computation(lambda ds: ds.map(lambda e: ds).sum(),
                       fx.SequenceType(np.float32))


def test_sequences_in_federated_map():

  @fx.jax_computation(fx.SequenceType(np.int32))
  def add_up_integers(x):
    return x.reduce(np.int32(0), lambda x, y: x + y)

  @fx.federated_computation(fx.type_at_clients(fx.SequenceType(np.int32)))
  def per_client(data):
    return fx.federated_map(add_up_integers, data)

  assert _sig(per_client) == '({int32*}@CLIENTS -> {int32}@CLIENTS)'
  assert per_client([[1, 2], [3], []]) == [3, 3, 0]
  assert per_client([np.array([1, 2], np.int32),
                     np.array([5], np.int32)]) == [3, 5]


def test_sequence_type_has_no_64_bit_elements_without_x64():
  before = jax.config.jax_enable_x64
  jax.config.update('jax_enable_x64', False)
  try:
    with pytest.raises(TypeError, match='jax_enable_x64'):
      fx.jax_computation(lambda ds: ds.sum(), fx.SequenceType(np.float64))
  finally:
    jax.config.update('jax_enable_x64', before)
