"""The analytics example's exact answers equal the central truth."""

import importlib.util
import pathlib

import numpy as np

EXAMPLE = (pathlib.Path(__file__).resolve().parents[2] / 'examples' /
           'federated_analytics.py')


def test_exact_answers_match_and_private_ones_are_close(capsys):
  spec = importlib.util.spec_from_file_location('federated_analytics',
                                                EXAMPLE)
  example = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(example)
  out = example.main(['--clients', '120', '--seed', '1'])
  printed = capsys.readouterr().out
  assert printed.count('central truth agrees: True') == 2
  assert out['exact'] == {w: out['truth'][w] for w in out['exact']}
  assert len(out['exact']) == example.TOP
  top = sorted(out['truth'].values(), reverse=True)[:example.TOP]
  assert sorted(out['exact'].values(), reverse=True) == top
  # The most common words are used by many clients: DP releases them.
  assert set(out['private']) & set(list(out['exact'])[:3])
  np.testing.assert_array_equal(out['counts'], out['central'])
  assert np.all(np.abs(out['quantiles'] - out['central_q']) < 0.5)
  assert np.all(np.abs(out['private_q'] - out['central_q']) < 6.0)
