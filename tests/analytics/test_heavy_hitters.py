"""IBLT heavy hitters on generated clients with known answers."""

import collections

import numpy as np
import pytest

import federax as fx
from federax import analytics

WORDS = [f'w{i:02d}' for i in range(60)]


def _clients(num_clients=12, seed=0):
  """Zipf-like word lists: word i drawn with probability ~ 1 / (i + 1)."""
  rng = np.random.default_rng(seed)
  p = 1.0 / np.arange(1, len(WORDS) + 1)
  p /= p.sum()
  return [list(rng.choice(WORDS, size=rng.integers(5, 40), p=p))
          for _ in range(num_clients)]


def _truth(clients, max_words=None, multi=True, cap=None):
  counts, users = collections.Counter(), collections.Counter()
  for words in clients:
    local = collections.Counter(words)
    kept = sorted(local, key=lambda w: (-local[w], w))[:max_words]
    for w in kept:
      c = local[w] if multi else 1
      counts[w] += min(c, cap) if cap else c
      users[w] += 1
  return counts, users


def _run(process, clients, state=None):
  data = analytics.encode_client_strings(clients, 4)
  output = process.next(process.initialize() if state is None else state,
                        data)
  result = output.result
  n = int(result.num_heavy_hitters)
  words = analytics.decode_strings(np.asarray(result.heavy_hitters)[:n])
  return (dict(zip(words, np.asarray(result.counts)[:n].tolist())),
          dict(zip(words, np.asarray(result.unique_counts)[:n].tolist())),
          output)


@pytest.fixture(scope='module')
def exact():
  return analytics.build_iblt_heavy_hitters(string_max_bytes=4, capacity=100)


def test_finds_every_string_with_exact_counts(exact):
  clients = _clients() + [[]]          # a client without strings, too
  counts, users, output = _run(exact, clients)
  true_counts, true_users = _truth(clients)
  assert counts == dict(true_counts) and users == dict(true_users)
  ordered = list(counts.values())
  assert ordered == sorted(ordered, reverse=True)     # most frequent first
  assert int(output.measurements['num_clients']) == 13
  assert int(output.measurements['undecoded_count']) == 0
  assert int(output.measurements['num_decoded']) == len(true_counts)


def test_secure_sum_under_the_masking_protocol_agrees():
  clients = _clients(num_clients=4, seed=1)
  process = analytics.build_iblt_heavy_hitters(string_max_bytes=4,
                                               capacity=100, secure_sum=True)
  with fx.aggregators.secure_protocol.masked_secure_sums(threshold=3,
                                                         seed=0):
    counts, users, output = _run(process, clients)
  true_counts, true_users = _truth(clients)
  assert counts == dict(true_counts) and users == dict(true_users)
  assert int(output.measurements['num_clients']) == 4


def test_contribution_bounds_anonymity_and_top_k():
  clients = _clients(seed=2) + [['w59'] * 9 + ['w58'] * 6]
  process = analytics.build_iblt_heavy_hitters(
      string_max_bytes=4, capacity=100, max_words_per_user=3,
      max_count_per_word=4, k_anonymity=3, max_heavy_hitters=5)
  counts, users, _ = _run(process, clients)
  true_counts, true_users = _truth(clients, max_words=3, cap=4)
  top = sorted((w for w in true_users if true_users[w] >= 3),
               key=lambda w: (-true_counts[w], -true_users[w], w))[:5]
  assert list(counts) == top
  assert counts == {w: true_counts[w] for w in top}
  assert users == {w: true_users[w] for w in top}
  rare, _ = _truth([clients[-1]], max_words=3, cap=4)
  assert dict(rare) == {'w59': 4, 'w58': 4}   # capped at 4 each


def test_private_heavy_hitters_release_only_frequent_strings():
  clients = [['common'] * 3 + [f'rare{i}'] for i in range(60)]
  z, k = 1.0, 2
  threshold = analytics.gaussian_threshold(z, k, delta=1e-6)
  process = analytics.build_iblt_heavy_hitters(
      string_max_bytes=8, capacity=100, max_words_per_user=k,
      multi_contribution=False, noise_multiplier=z, threshold=threshold,
      noise_seed=1)
  data = analytics.encode_client_strings(clients, 8)
  state = process.initialize()
  released, errors = [], []
  for _ in range(8):
    output = process.next(state, data)
    state = output.state
    result = output.result
    n = int(result.num_heavy_hitters)
    released.append(analytics.decode_strings(
        np.asarray(result.heavy_hitters)[:n]))
    errors.append(float(result.unique_counts[0]) - 60)
  # Each 'rare' string (one client) stays below 5.0 + noise: never out.
  assert all(words == ['common'] for words in released)
  # Noise of stddev z sqrt(k) = 1.41 on the count of 'common' (60).
  assert 0 < np.std(errors) < 3.5 and abs(np.mean(errors)) < 2.0
  assert len(set(errors)) > 1     # a new key each round


@pytest.mark.parametrize('kwargs, error, match', [
    (dict(noise_multiplier=1.0), ValueError, 'max_words_per_user'),
    (dict(noise_multiplier=1.0, max_words_per_user=2), ValueError,
     'max_count_per_word'),
    (dict(noise_multiplier=1.0, max_words_per_user=2,
          multi_contribution=False), ValueError, 'threshold'),
    (dict(k_anonymity=0), ValueError, 'k_anonymity'),
    (dict(secure_sum=1), TypeError, 'secure_sum'),
    (dict(capacity=0), ValueError, 'capacity'),
    (dict(noise_multiplier=-1.0), ValueError, 'noise_multiplier'),
])
def test_argument_errors(kwargs, error, match):
  with pytest.raises(error, match=match):
    analytics.build_iblt_heavy_hitters(**kwargs)


def test_interpreter_agrees(exact):
  clients = [['ab', 'ab', 'cd'], [], ['cd']]
  with fx.backends.interpreter.interpreter_context():
    counts, users, _ = _run(exact, clients)
  assert (counts, users) == ({'ab': 2, 'cd': 2}, {'ab': 1, 'cd': 2})
