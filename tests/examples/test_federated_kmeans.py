"""The federated k-means example clusters the digits far above chance."""

import importlib.util
import pathlib

import numpy as np

EXAMPLE = (pathlib.Path(__file__).resolve().parents[2] / 'examples' /
           'federated_kmeans.py')


def test_clusters_digits(capsys):
  spec = importlib.util.spec_from_file_location('federated_kmeans', EXAMPLE)
  example = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(example)
  purity, mse = example.main(['--rounds', '10'])
  out = capsys.readouterr().out
  assert 'round 10: purity' in out
  assert purity > 0.6 and mse < 3.0
  clients, (x, y) = example.load()
  assert len(clients) == example.CLIENTS and x.shape[1] == 64
  centers = example.initial_centers(clients, 10)
  assert centers.shape == (10, 64)
  # A center on every test image gives purity 1 and distance 0.
  assert example.score(x, x, y) == (1.0, 0.0)
  assert np.isclose(example.score(x[:1], x, y)[0], np.bincount(y).max() /
                    len(y))
