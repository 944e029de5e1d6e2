"""Client sampling (uniform as TFF, weighted) and stragglers, seeded."""

import collections

import numpy as np
import pytest

import federax as fx

sim = fx.simulation
Dataset = sim.datasets.Dataset
IDS = [f'c{i}' for i in range(20)]


def _tff_uniform(seed, round_num, size, replace=False):
  """TFF's draw, computed independently: a Lehmer generator over rounds."""
  start = np.random.RandomState(seed).randint(1, 2**31 - 2)
  state = np.random.RandomState(pow(16807, round_num, 2**31 - 1) * start %
                                (2**31 - 1))
  return state.choice(IDS, size=size, replace=replace).tolist()


def test_uniform_sampling_is_tffs_and_seeded():
  sample = sim.build_uniform_sampling_fn(IDS, random_seed=5)
  for round_num in (0, 1, 7, 1000):
    assert sample(round_num, 4) == _tff_uniform(5, round_num, 4)
    assert len(set(sample(round_num, 20))) == 20  # Without replacement.
  assert sample(3, 5) != sample(4, 5)
  with_size = sim.build_uniform_sampling_fn(IDS, random_seed=5, size=4)
  assert with_size(2) == sample(2, 4)
  replaced = sim.build_uniform_sampling_fn(IDS, replace=True, random_seed=1)
  assert len(replaced(0, 50)) == 50
  counts = collections.Counter(
      c for r in range(300) for c in sample(r, 2))
  assert min(counts.values()) > 10  # Every client is picked now and then.


def test_sampling_errors():
  sample = sim.build_uniform_sampling_fn(IDS, random_seed=0)
  with pytest.raises(ValueError, match='replace=True'):
    sample(0, 21)
  with pytest.raises(ValueError, match='size'):
    sample(0)
  with pytest.raises(TypeError, match='random_seed'):
    sim.build_uniform_sampling_fn(IDS, random_seed=-3)
  with pytest.raises(TypeError, match='sample_range'):
    sim.build_uniform_sampling_fn(5)
  with pytest.raises(ValueError, match='weights'):
    sim.build_weighted_sampling_fn(IDS, [1.0] * 3)


def test_weighted_sampling_follows_the_weights():
  weights = np.arange(20, dtype=np.float64)  # c0 never, c19 most.
  sample = sim.build_weighted_sampling_fn(IDS, weights, replace=True,
                                          random_seed=0, size=10)
  counts = collections.Counter(c for r in range(400) for c in sample(r))
  assert 'c0' not in counts
  total = sum(counts.values())
  assert abs(counts['c19'] / total - 19 / weights.sum()) < 0.02
  assert sample(3) == sample(3)
  no_replace = sim.build_weighted_sampling_fn(IDS, weights, random_seed=0)
  assert len(set(no_replace(0, 19))) == 19
  with pytest.raises(ValueError, match='only 19 clients'):
    no_replace(0, 20)


def test_num_examples_sampling_fn():
  cd = sim.datasets.ClientData.from_arrays(
      {'empty': {'y': np.zeros(0)}, 'big': {'y': np.zeros(9)},
       'small': {'y': np.zeros(1)}})
  sample = sim.build_num_examples_sampling_fn(cd, replace=True,
                                              random_seed=2, size=50)
  counts = collections.Counter(sample(0))
  assert 'empty' not in counts and counts['big'] > counts['small']


def _data(n=10):
  return Dataset.from_tensor_slices(np.arange(n, dtype=np.int32))


def test_stragglers_drop_and_truncate_at_their_rates():
  apply = sim.build_straggler_fn(dropout_rate=0.3, partial_rate=0.5,
                                 min_fraction=0.2, random_seed=1)
  dropped = partial = total = 0
  for round_num in range(200):
    out = apply(round_num, IDS, [_data()] * len(IDS))
    assert len(out.client_ids) + len(out.dropped) == len(IDS)
    assert set(out.dropped).isdisjoint(out.client_ids)
    for cid, ds in zip(out.client_ids, out.datasets):
      if cid in out.partial:
        assert 2 <= len(ds) < 10
        assert out.partial[cid] == len(ds) / 10
        assert [int(x) for x in ds] == list(range(len(ds)))  # A prefix.
      else:
        assert len(ds) == 10
    dropped += len(out.dropped)
    partial += len(out.partial)
    total += len(IDS)
  assert abs(dropped / total - 0.3) < 0.03
  assert abs(partial / (total - dropped) - 0.5) < 0.05
  again = apply(17, IDS, [_data()] * len(IDS))
  assert again.client_ids == apply(17, IDS, [_data()] * len(IDS)).client_ids


def test_stragglers_keep_min_clients_and_count_unknown_lengths():
  apply = sim.build_straggler_fn(dropout_rate=1.0, random_seed=0,
                                 min_clients=2)
  out = apply(0, ['a', 'b', 'c'], [_data()] * 3)
  assert out.client_ids == ['a', 'b'] and out.dropped == ['c']
  slow = sim.build_straggler_fn(partial_rate=1.0, min_fraction=0.5,
                                random_seed=0)
  generated = Dataset.from_generator(lambda: iter(range(8)))
  (ds,) = slow(0, ['g'], [generated]).datasets
  assert 4 <= len(list(ds)) < 8
  with pytest.raises(ValueError, match='dropout_rate'):
    sim.build_straggler_fn(dropout_rate=2)
  with pytest.raises(ValueError, match='one dataset per client'):
    slow(0, ['a'], [])
