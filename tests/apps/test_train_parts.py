"""`federax train`'s parts: models, data, aggregators, privacy reports;
and (slow) a short run of every algorithm and aggregator."""

import logging

import numpy as np
import pytest

from federax import cli
from federax.apps.train import algorithms
from federax.apps.train import config as config_lib
from federax.apps.train import data as data_lib
from federax.apps.train import models
from federax.apps.train import plot as plot_lib


@pytest.mark.parametrize('name,shape,classes', [
    ('linear', (60,), 10), ('mlp', (8, 8), 10), ('mlp', (28, 28), 62),
    ('cnn', (8, 8), 10), ('cnn', (28, 28), 10)])
def test_models_predict_logits(name, shape, classes):
  model = models.build_model(name, shape, classes, seed=1)
  logits = model.predict_on_batch(model.initial_weights,
                                  np.ones((3, *shape), np.float32))
  assert logits.shape == (3, classes)
  assert np.all(np.isfinite(logits))


def test_cnn_needs_images():
  with pytest.raises(ValueError, match='--model cnn: expected square images'):
    models.build_model('cnn', (60,), 10)


def test_digits_data_and_seeded_sampling():
  config = config_lib.TrainConfig(num_clients=6, clients_per_round=2,
                                  eval_clients=3).resolved()
  data = data_lib.load(config)
  assert len(data.client_ids) == 6 and data.input_shape == (8, 8)
  x, y = data.client_arrays(data.client_ids[0])
  assert x.dtype == np.float32 and x.shape[1:] == (8, 8) and y.dtype == np.int32
  assert len(data.eval_data) == 1  # Three clients' test data, as one.
  select = data_lib.build_selection_fn(data, 2, seed=0)
  first = select(4)
  assert len(first) == 2
  assert all(np.array_equal(a[0], b[0]) for a, b in zip(first, select(4)))
  everyone = data_lib.build_selection_fn(data, None, seed=0)(1)
  assert len(everyone) == 6


@pytest.mark.parametrize('kind', config_lib.AGGREGATORS)
def test_aggregator_presets(kind):
  config = config_lib.TrainConfig(
      aggregator=kind,
      dp_noise_multiplier=0.5 if kind == 'dp' else None).resolved()
  factory = algorithms.build_aggregator(config, cohort_size=10)
  assert (factory is None) == (kind == 'mean')


def test_too_much_dp_noise_for_the_cohort_names_the_fix():
  config = config_lib.TrainConfig(dp_noise_multiplier=1.0).resolved()
  with pytest.raises(config_lib.ConfigError,
                     match='give --clients-per-round 11 or more, or a '
                           'multiplier below 1'):
    algorithms.build_aggregator(config, cohort_size=10)


def test_privacy_fn_reports_epsilon_quietly(caplog):
  config = config_lib.TrainConfig(dp_noise_multiplier=0.5).resolved()
  factory = algorithms.build_aggregator(config, cohort_size=10)
  privacy_fn = algorithms.build_privacy_fn(factory, config, population=30)
  with caplog.at_level(logging.WARNING):
    one, five = privacy_fn(1)['epsilon'], privacy_fn(5)['epsilon']
  assert 0 < one < five
  assert privacy_fn(5)['delta'] == 1e-5
  assert not [r for r in caplog.records if r.name == 'absl']
  mean = config_lib.TrainConfig().resolved()
  assert algorithms.build_privacy_fn(None, mean, 30) is None


def test_plot_draws_loss_and_accuracy(tmp_path):
  rows = {0: {'evaluation/accuracy': 0.1, 'evaluation/loss': 2.3},
          1: {'client_work/train/loss': 1.0,
              'client_work/train/accuracy': 0.6,
              'evaluation/accuracy': 0.7, 'evaluation/loss': 0.9,
              'epsilon': 3.0}}
  path = plot_lib.plot_metrics(rows, str(tmp_path / 'sub' / 'p.png'), 'x')
  with open(path, 'rb') as f:
    assert f.read(8) == b'\x89PNG\r\n\x1a\n'


def test_metric_column_prefers_accuracy_then_the_first_metric():
  rows = {1: {'evaluation/loss': 1.0, 'evaluation/num_examples': 3.0,
              'evaluation/evaluation_time_in_seconds': 0.1,
              'evaluation/precision': 0.2,
              'evaluation/sparse_categorical_accuracy': 0.5,
              'client_work/train/recall_at_5': 0.3,
              'client_work/train/num_batches': 2.0}}
  assert plot_lib.metric_column(rows, plot_lib.TEST) == (
      'evaluation/sparse_categorical_accuracy')
  assert plot_lib.metric_column(rows, plot_lib.TRAIN) == (
      'client_work/train/recall_at_5')
  assert plot_lib.metric_column({}, plot_lib.TEST) is None


RUNS = {
    'fedprox': ['--algorithm', 'fedprox'],
    'fedsgd': ['--algorithm', 'fedsgd'],
    'mime': ['--algorithm', 'mime', '--client-momentum', '0.9'],
    'scaffold': ['--algorithm', 'scaffold'],
    'fedavgm': ['--algorithm', 'fedavgm'],
    'dp': ['--dp-noise-multiplier', '0.2'],
    'compression': ['--aggregator', 'compression'],
    'secure': ['--aggregator', 'secure'],
    'median': ['--aggregator', 'median'],
    'adam': ['--client-optimizer', 'adam', '--client-lr', '0.01',
             '--server-optimizer', 'adam', '--server-lr', '0.01'],
}


@pytest.mark.slow
@pytest.mark.parametrize('name', sorted(RUNS))
def test_two_rounds_of(name, tmp_path, capsys):
  status = cli.main(['train', '--dataset', 'synthetic_1_1', '--rounds', '2',
                     '--num-clients', '6', '--clients-per-round', '3',
                     '--no-progress', '--no-plot', '--no-tensorboard',
                     '--output-dir', str(tmp_path), *RUNS[name]])
  assert status == 0
  assert 'round 2: test accuracy' in capsys.readouterr().out
  rows = plot_lib.read_metrics(str(tmp_path / 'metrics.csv'))
  assert sorted(rows) == [0, 1, 2]
  if name == 'dp':
    assert 0 < rows[1]['epsilon'] < rows[2]['epsilon']
