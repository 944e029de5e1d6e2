"""`federax train --task`: TFF's baseline tasks, on their stand-in data."""

import pytest

from federax import cli
from federax.apps.train import plot as plot_lib


def _train(tmp_path, capsys, *flags):
  status = cli.main(['train', *flags, '--synthetic-data', '--rounds', '2',
                     '--no-progress', '--no-tensorboard', '--output-dir',
                     str(tmp_path)])
  assert status == 0
  return capsys.readouterr().out, plot_lib.read_metrics(
      str(tmp_path / 'metrics.csv'))


def test_stackoverflow_tag_prediction(tmp_path, capsys):
  out, rows = _train(tmp_path, capsys, '--task', 'stackoverflow_tag',
                     '--no-plot')
  assert ('FedAvg on stackoverflow_tag (synthetic stand-in data), 3 train '
          'clients') in out
  assert 'model logistic' in out
  assert 'round 2: test precision' in out  # No accuracy: its first metric.
  assert sorted(rows) == [0, 1, 2]
  assert 'evaluation/recall_at_5' in rows[2]


@pytest.mark.slow
def test_emnist_character_recognition(tmp_path, capsys):
  out, rows = _train(tmp_path, capsys, '--task', 'emnist_character',
                     '--model', '2nn', '--algorithm', 'fedprox')
  assert 'FedProx on emnist_character' in out
  assert 'model 2nn (209,662 weights)' in out  # TFF's 2nn for 62 classes.
  assert 'round 2: test sparse_categorical_accuracy' in out
  assert (tmp_path / 'plot.png').exists()
  assert 0 <= rows[2]['evaluation/sparse_categorical_accuracy'] <= 1
