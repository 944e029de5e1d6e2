"""`federax train`: a 2-round digits run writes its files, and resumes."""

import contextlib
import io
import json

import pytest

from federax import cli
from federax.apps.train import plot as plot_lib

# A small, quick run: a linear model, 4 clients, 2 rounds.
FLAGS = ['--dataset', 'digits', '--model', 'linear', '--num-clients', '4',
         '--batch-size', '32', '--no-progress']


@pytest.fixture(scope='module')
def run(tmp_path_factory):
  """Trains 2 rounds, then resumes to 3; both outputs and the directory."""
  out = tmp_path_factory.mktemp('run')
  outputs = []
  for rounds, extra in ((2, []), (3, ['--no-plot'])):
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
      status = cli.main(['train', *FLAGS, '--rounds', str(rounds),
                         '--output-dir', str(out), *extra])
    assert status == 0
    outputs.append(stdout.getvalue())
  return out, outputs


def test_first_run_reports_where_its_files_are(run):
  out, (first, _) = run
  assert 'FedAvg on scikit-learn digits, 4 clients' in first
  assert 'trained rounds 1-2' in first
  assert f'metrics:     {out / "metrics.csv"}' in first
  assert f'plot:        {out / "plot.png"}' in first
  assert f'tensorboard --logdir {out / "tensorboard"}' in first


def test_metrics_csv_has_each_round_once_with_training_and_test(run):
  out, _ = run
  rows = plot_lib.read_metrics(out / 'metrics.csv')
  assert sorted(rows) == [0, 1, 2, 3]  # Round 0: the initial evaluation.
  for round_num in (1, 2, 3):
    assert 0 < rows[round_num][plot_lib.TRAIN_LOSS]
    assert 0 <= rows[round_num]['evaluation/accuracy'] <= 1
    assert rows[round_num]['round_time_in_seconds'] > 0


def test_tensorboard_events_hold_the_loss(run):
  from tensorboard.backend.event_processing import event_accumulator
  out, _ = run
  events = event_accumulator.EventAccumulator(str(out / 'tensorboard'))
  events.Reload()
  steps = [e.step for e in events.Scalars('client_work/train/loss')]
  assert steps == [1, 2, 3]


def test_plot_is_a_png(run):
  out, _ = run
  assert (out / 'plot.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


def test_checkpoints_and_config_are_kept(run):
  out, _ = run
  from federax import program
  versions = program.FileProgramStateManager(
      str(out / 'checkpoints')).get_versions()
  assert versions[-1] == 3 and 0 in versions
  config = json.loads((out / 'config.json').read_text())
  assert config['rounds'] == 3 and config['model'] == 'linear'


def test_second_run_resumes_from_the_checkpoint(run):
  _, (_, second) = run
  assert 'resuming from the checkpoint of round 2' in second
  assert 'trained rounds 3-3' in second
  assert 'plot:' not in second  # --no-plot.


def test_a_finished_run_says_there_is_nothing_to_train(run, capsys):
  out, _ = run
  status = cli.main(['train', *FLAGS, '--rounds', '3', '--output-dir',
                     str(out), '--no-plot'])
  assert status == 0
  printed = capsys.readouterr().out
  assert 'the checkpoint is at round 3 already' in printed
  assert 'round 3: test accuracy' in printed


def test_other_settings_in_the_same_directory_are_refused(run, capsys):
  out, _ = run
  status = cli.main(['train', *FLAGS, '--client-lr', '0.5', '--output-dir',
                     str(out)])
  assert status == 2
  err = capsys.readouterr().err
  assert '--client-lr 0.1 there, 0.5 here' in err
  assert '--fresh' in err
