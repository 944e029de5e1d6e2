"""The digits example: its non-IID split, and FedAvg reaching 90% accuracy."""

import importlib.util
import pathlib

import numpy as np
import pytest

EXAMPLE = (pathlib.Path(__file__).resolve().parents[2] / 'examples' /
           'digits_fedavg.py')


@pytest.fixture(scope='module')
def example():
  spec = importlib.util.spec_from_file_location('digits_fedavg', EXAMPLE)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


def test_dirichlet_partition_covers_every_example_once(example):
  labels = np.repeat(np.arange(10), 50)
  parts = example.dirichlet_partition(labels, 20, alpha=0.5, seed=3)
  assert len(parts) == 20
  assert sorted(np.concatenate(parts).tolist()) == list(range(500))
  sizes = [len(p) for p in parts]
  assert min(sizes) >= 10 and len(set(sizes)) > 1
  # Non-IID: a typical client is dominated by a few labels.
  top_share = [np.bincount(labels[p]).max() / len(p) for p in parts]
  assert np.median(top_share) > 0.3
  again = example.dirichlet_partition(labels, 20, alpha=0.5, seed=3)
  assert all(np.array_equal(a, b) for a, b in zip(parts, again))


def test_stratified_split_holds_out_each_class(example):
  labels = np.repeat(np.arange(4), [10, 20, 30, 40])
  train, test = example.stratified_split(labels, 0.2, seed=0)
  assert sorted(np.concatenate([train, test]).tolist()) == list(range(100))
  assert np.bincount(labels[test]).tolist() == [2, 4, 6, 8]


@pytest.mark.slow
def test_both_models_reach_90_percent(example, capsys):
  accuracies = example.main()
  out = capsys.readouterr().out
  assert f'mlp round {example.ROUNDS}' in out
  assert 'final test accuracy: cnn' in out
  assert accuracies['cnn'] >= 0.90, accuracies
  assert accuracies['mlp'] >= 0.90, accuracies
