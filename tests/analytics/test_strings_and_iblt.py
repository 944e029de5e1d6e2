"""String encoding, hashing and the IBLT: round trips, linearity, overload."""

import collections

import jax
import numpy as np
import pytest

from federax import analytics
from federax.analytics import hashing
from federax.analytics import iblt


def test_encode_decode_round_trip_and_truncation():
  words = ['', 'a', 'héllo', '日本語', b'\xff\x01']
  encoded = analytics.encode_strings(words, 6)
  assert encoded.shape == (5, 6) and encoded.dtype == np.uint8
  assert analytics.decode_strings(encoded[:4]) == ['', 'a', 'héllo', '日本']
  assert analytics.decode_strings(encoded[4:], as_bytes=True) == [
      b'\xff\x01']
  # '日本語' is 9 bytes; it is cut before the third character, not inside.
  assert encoded[3, 6:].size == 0 and bytes(encoded[3]) == '日本'.encode()
  assert analytics.decode_strings(analytics.encode_strings(['abcdef'], 3)) == [
      'abc']


@pytest.mark.parametrize('call, error, match', [
    (lambda: analytics.encode_strings('abc', 4), TypeError, 'Wrap it'),
    (lambda: analytics.encode_strings(['a', 3], 4), TypeError,
     r'strings\[1\]: expected str or bytes'),
    (lambda: analytics.encode_strings(['a'], 0), ValueError, 'max_bytes'),
    (lambda: analytics.decode_strings(np.zeros(3)), ValueError,
     r'uint8\[n, max_bytes\]'),
    (lambda: analytics.encode_client_strings('ab', 4), TypeError,
     'one list of strings per client'),
])
def test_string_errors(call, error, match):
  with pytest.raises(error, match=match):
    call()


def test_hashes_spread_and_depend_on_seed():
  words = [f'word{i}' for i in range(4000)]
  keys = analytics.encode_strings(words, 10)
  h = np.asarray(jax.jit(hashing.hash_bytes)(keys, 7))
  assert len(set(h.tolist())) == 4000
  buckets = np.bincount(h % 16, minlength=16)
  assert buckets.min() > 180 and buckets.max() < 320   # 250 expected
  other = np.asarray(jax.jit(hashing.hash_bytes)(keys, 8))
  assert np.mean(h == other) < 0.01
  # Zero padding is part of the key: 'a' differs from 'a\0' in a wider key.
  assert int(hashing.hash_bytes(np.array([[97, 0]], np.uint8), 0)[0]) != int(
      hashing.hash_bytes(np.array([[97]], np.uint8), 0)[0])


PARAMS = iblt.IbltParams(capacity=300, string_max_bytes=8, seed=5)
encode = jax.jit(lambda keys, counts, values: iblt.encode(
    PARAMS, keys, counts, values))
decode = jax.jit(lambda table: iblt.decode(PARAMS, table))


def _decoded(table):
  keys, counts, values, n, rest = decode(table)
  n = int(n)
  words = analytics.decode_strings(np.asarray(keys)[:n])
  return (dict(zip(words, zip(np.asarray(counts)[:n].tolist(),
                              np.asarray(values)[:n, 0].tolist()))),
          np.asarray(rest))


def _keys(n, seed):
  rng = np.random.default_rng(seed)
  words = {''.join(rng.choice(list('abcdefgh'), rng.integers(1, 9)))
           for _ in range(3 * n)}
  words = sorted(words)[:n]
  return words, analytics.encode_strings(words, 8)


def test_decodes_up_to_capacity_exactly():
  words, keys = _keys(300, seed=0)
  rng = np.random.default_rng(1)
  counts = rng.integers(1, 1000, 300).astype(np.uint32)
  values = rng.integers(0, 2 ** 32, (300, 1), dtype=np.uint64).astype(
      np.uint32)
  found, rest = _decoded(encode(keys, counts, values))
  assert found == {w: (int(c), int(v)) for w, c, v in zip(words, counts,
                                                           values[:, 0])}
  assert not rest.any()


def test_sketches_add_up():
  words, keys = _keys(200, seed=2)
  a = encode(keys[:150], np.ones(150, np.uint32), np.full((150, 1), 2,
                                                          np.uint32))
  b = encode(keys[100:], np.ones(100, np.uint32), np.full((100, 1), 3,
                                                          np.uint32))
  found, _ = _decoded(a + b)       # uint32 addition wraps, like the sums
  expected = collections.Counter()
  for w in words[:150]:
    expected[w] = (1, 2)
  for w in words[100:150]:
    expected[w] = (2, 5)
  for w in words[150:]:
    expected[w] = (1, 3)
  assert found == dict(expected)


def test_overloaded_table_decodes_only_true_keys():
  words, keys = _keys(1200, seed=3)   # four times the capacity
  counts = np.arange(1, 1201, dtype=np.uint32)
  found, rest = _decoded(encode(keys, counts, counts[:, None]))
  truth = dict(zip(words, counts.tolist()))
  assert rest.any()                   # decoding stopped early
  assert all(truth[w] == c == v for w, (c, v) in found.items())


def test_params_errors():
  with pytest.raises(ValueError, match='repetitions: expected an int >= 3'):
    iblt.IbltParams(10, 4, repetitions=2)
  with pytest.raises(ValueError, match='capacity'):
    iblt.IbltParams(0, 4)
  with pytest.raises(TypeError, match='seed'):
    iblt.IbltParams(10, 4, seed='x')
  assert iblt.IbltParams(1000, 10, repetitions=4).table_size == 367
