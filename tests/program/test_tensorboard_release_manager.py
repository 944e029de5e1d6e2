"""TensorBoardReleaseManager writes event files TensorBoard reads."""

import numpy as np
import pytest

import federax as fx

event_accumulator = pytest.importorskip(
    'tensorboard.backend.event_processing.event_accumulator')


def _read(summary_dir):
  accumulator = event_accumulator.EventAccumulator(
      str(summary_dir), size_guidance={event_accumulator.SCALARS: 0,
                                       event_accumulator.HISTOGRAMS: 0})
  accumulator.Reload()
  return accumulator


def test_scalars_and_histograms(tmp_path):
  manager = fx.program.TensorBoardReleaseManager(tmp_path)
  for step in (1, 2):
    manager.release({'client_work': {'train': {'loss': np.float32(1 / step)}},
                     'weights': np.arange(4.0) * step, 'one': np.ones(1),
                     'flag': True, 'name': 'fedavg', 'nothing': None}, step)
  manager.close()
  tags = _read(tmp_path).Tags()
  assert sorted(tags['scalars']) == ['client_work/train/loss', 'flag', 'one']
  assert tags['histograms'] == ['weights']
  loss = _read(tmp_path).Scalars('client_work/train/loss')
  assert [(e.step, e.value) for e in loss] == [(1, 1.0), (2, 0.5)]
  histogram = _read(tmp_path).Histograms('weights')[1].histogram_value
  assert histogram.num == 4 and histogram.sum == 12.0


def test_a_resumed_run_replaces_the_rounds_it_runs_again(tmp_path):
  first = fx.program.TensorBoardReleaseManager(tmp_path)
  for step in range(1, 6):
    first.release({'loss': float(step)}, step)
  first.close()
  resumed = fx.program.TensorBoardReleaseManager(tmp_path)  # From round 3.
  for step in range(3, 5):
    resumed.release({'loss': 10.0 * step}, step)
  resumed.close()
  events = _read(tmp_path).Scalars('loss')
  assert [(e.step, e.value) for e in events] == [
      (1, 1.0), (2, 2.0), (3, 30.0), (4, 40.0)]


def test_errors(tmp_path):
  with pytest.raises(TypeError, match='summary_dir'):
    fx.program.TensorBoardReleaseManager('')
  manager = fx.program.TensorBoardReleaseManager(tmp_path)
  with pytest.raises(TypeError, match='key: expected an int'):
    manager.release({'a': 1.0}, 'x')
