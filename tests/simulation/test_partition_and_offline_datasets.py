"""Partitioners, FedProx's synthetic data and scikit-learn's digits."""

import numpy as np
import pytest

import federax as fx

datasets = fx.simulation.datasets
partition = datasets.partition
LABELS = np.repeat(np.arange(10), 60)  # 600 examples, 10 classes.


def _covers(parts, n):
  joined = np.sort(np.concatenate(parts))
  return np.array_equal(joined, np.arange(n))


def _classes(parts):
  return [len(np.unique(LABELS[p])) for p in parts]


def test_iid_is_balanced_and_seeded():
  parts = partition.iid(600, 7, seed=3)
  assert _covers(parts, 600) and {len(p) for p in parts} <= {85, 86}
  assert all(np.array_equal(a, b) for a, b in zip(
      parts, partition.iid(600, 7, seed=3)))
  assert min(_classes(parts)) >= 8  # Each client sees (nearly) all labels.


def test_dirichlet_concentration_controls_label_skew():
  skewed = partition.dirichlet(LABELS, 10, alpha=0.05, seed=0)
  mixed = partition.dirichlet(LABELS, 10, alpha=100.0, seed=0)
  assert _covers(skewed, 600) and _covers(mixed, 600)
  assert np.mean(_classes(skewed)) < 4 and min(_classes(mixed)) == 10

  def largest_share(parts):
    return np.mean([np.bincount(LABELS[p]).max() / len(p) for p in parts])

  assert largest_share(skewed) > 0.6 and largest_share(mixed) < 0.2
  assert all(len(p) >= 5 for p in partition.dirichlet(
      LABELS, 10, alpha=0.5, seed=1, min_size=5))
  with pytest.raises(ValueError, match='raise alpha'):
    partition.dirichlet(LABELS, 100, alpha=0.01, min_size=50, max_tries=3)
  with pytest.raises(ValueError, match='alpha'):
    partition.dirichlet(LABELS, 3, alpha=0)


def test_shards_give_each_client_two_labels():
  parts = partition.shards(LABELS, 10, shards_per_client=2, seed=0)
  assert _covers(parts, 600) and all(len(p) == 60 for p in parts)
  assert max(_classes(parts)) <= 2
  other = partition.shards(LABELS, 10, seed=1)
  assert any(not np.array_equal(a, b) for a, b in zip(parts, other))


def test_by_id_and_to_client_data():
  writers = np.array(['w2', 'w1', 'w2', 'w3'])
  assert {k: v.tolist() for k, v in partition.by_id(writers).items()} == {
      'w1': [1], 'w2': [0, 2], 'w3': [3]}
  arrays = {'x': np.arange(4, dtype=np.float32), 'y': np.arange(4) % 2}
  cd = partition.to_client_data(arrays, partition.by_id(writers))
  assert cd.client_ids == ('w1', 'w2', 'w3')
  assert cd.create_dataset_for_client('w2').__fx_stacked__()['x'].tolist(
  ) == [0.0, 2.0]
  assert cd.num_examples_for_client('w2') == 2
  named = partition.to_client_data(arrays, [[0], [1, 2, 3]], ['a', 'b'])
  assert named.num_examples_for_client('b') == 3


def test_synthetic_follows_the_fedprox_recipe():
  train, test = datasets.synthetic(1.0, 1.0, num_clients=30, seed=0)
  assert len(train.client_ids) == 30
  assert str(train.element_type_structure) == '<x=float32[60],y=int32>'
  sizes = [train.num_examples_for_client(c) + test.num_examples_for_client(c)
           for c in train.client_ids]
  assert min(sizes) >= 50 and len(set(sizes)) > 20  # Log-normal sizes.
  first = train.create_dataset_for_client('0').__fx_stacked__()
  again = datasets.synthetic(1.0, 1.0, num_clients=30, seed=0)[0]
  np.testing.assert_array_equal(
      first['x'], again.create_dataset_for_client('0').__fx_stacked__()['x'])
  # Feature j has variance j^-1.2 around the client's mean.
  big = max(train.client_ids, key=train.num_examples_for_client)
  x = train.create_dataset_for_client(big).__fx_stacked__()['x']
  ratio = x.var(axis=0)[[0, 59]]
  np.testing.assert_allclose(ratio, [1.0, 60**-1.2], rtol=0.5)


def test_heterogeneity_grows_with_alpha_and_beta():
  def label_spread(train):
    hists = [np.bincount(train.create_dataset_for_client(c).__fx_stacked__()[
        'y'], minlength=10) for c in train.client_ids]
    dists = np.array([h / h.sum() for h in hists])
    return np.abs(dists - dists.mean(0)).sum(1).mean()

  iid, _ = datasets.synthetic_iid(num_clients=20, seed=1)
  hetero, _ = datasets.synthetic(1.0, 1.0, num_clients=20, seed=1)
  assert label_spread(hetero) > label_spread(iid) + 0.3


def test_digits_partitions_and_splits_per_client():
  train, test = datasets.digits(num_clients=10, partitioner='dirichlet',
                                alpha=0.3, seed=0)
  assert str(train.element_type_structure) == (
      '<label=int32,pixels=float32[8,8]>')
  total = sum(train.num_examples_for_client(c) + test.num_examples_for_client(
      c) for c in train.client_ids)
  assert total == 1797
  assert all(test.num_examples_for_client(c) >= 1 for c in test.client_ids)
  pixels = test.create_dataset_from_all_clients().__fx_stacked__()['pixels']
  assert pixels.shape[1:] == (8, 8) and 0 <= pixels.min() <= pixels.max() <= 1
  shards, _ = datasets.digits(num_clients=5, partitioner='shards', seed=0)
  labels = [np.unique(shards.create_dataset_for_client(c).__fx_stacked__()[
      'label']) for c in shards.client_ids]
  assert max(len(x) for x in labels) <= 4  # Two shards: ~2 labels (+edges).
  with pytest.raises(ValueError, match='partitioner'):
    datasets.digits(partitioner='bad')
