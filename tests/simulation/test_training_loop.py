"""run_training_process and train_model: TFF's loop semantics, resuming,
evaluation and saving cadences, epsilon, progress. A tiny Python process
stands in for a learning process (no compilation)."""

import collections
import io
import sys
from typing import NamedTuple

import numpy as np
import pytest

import federax as fx


class State(NamedTuple):
  w: np.ndarray
  round: np.int32


class CountingProcess:
  """`w += sum(data)` each round; records the data it was given."""

  def __init__(self):
    self.seen = []
    self.initialized = 0

  def initialize(self):
    self.initialized += 1
    return State(np.zeros(2, np.float32), np.int32(0))

  def next(self, state, data):
    self.seen.append(data)
    w = state.w + np.float32(sum(data))
    metrics = collections.OrderedDict(
        client_work={'train': {'loss': np.float32(1 / (state.round + 1)),
                               'accuracy': np.float32(0.5)}})
    return State(w, np.int32(state.round + 1)), metrics

  def get_model_weights(self, state):
    return state.w


def _data(round_num):
  return [round_num, 10 * round_num]


def test_rounds_metrics_and_timing():
  process, memory = CountingProcess(), fx.program.MemoryReleaseManager()
  state = fx.simulation.run_training_process(process, _data, 3,
                                             metrics_managers=[memory])
  assert process.seen == [[1, 10], [2, 20], [3, 30]]
  assert state.round == 3 and state.w.tolist() == [66, 66]
  assert list(memory.values()) == [1, 2, 3]
  metrics = memory.values()[2]
  assert metrics['round_number'] == 2
  assert metrics['client_work']['train']['loss'] == np.float32(0.5)
  assert 0 <= metrics['training_time_in_seconds'] <= metrics[
      'round_time_in_seconds']


def test_evaluation_every_k_rounds_and_at_round_0():
  memory = fx.program.MemoryReleaseManager()
  evaluated = []

  def evaluation_fn(state, data):
    evaluated.append((int(state.round), data))
    return {'accuracy': float(state.round)}

  fx.simulation.run_training_process(
      CountingProcess(), _data, 5, evaluation_fn=evaluation_fn,
      evaluation_selection_fn=lambda r: f'eval{r}', rounds_per_evaluation=2,
      metrics_managers=[memory])
  assert evaluated == [(0, 'eval0'), (2, 'eval2'), (4, 'eval4')]
  values = memory.values()
  assert sorted(values[0]) == ['evaluation/accuracy',
                               'evaluation/evaluation_time_in_seconds']
  assert values[4]['evaluation/accuracy'] == 4.0
  assert 'evaluation/accuracy' not in values[3]


def test_saving_cadence_and_resuming(tmp_path):
  manager = fx.program.FileProgramStateManager(tmp_path, keep_total=0)
  fx.simulation.run_training_process(
      CountingProcess(), _data, 5, program_state_manager=manager,
      rounds_per_saving_program_state=2)
  assert manager.get_versions() == [0, 2, 4]
  # Started again with more rounds: resumes after version 4.
  process, memory = CountingProcess(), fx.program.MemoryReleaseManager()
  state = fx.simulation.run_training_process(
      process, _data, 7, program_state_manager=manager,
      rounds_per_saving_program_state=2, metrics_managers=[memory])
  assert process.seen == [[5, 50], [6, 60], [7, 70]]
  assert list(memory.values()) == [5, 6, 7]
  uninterrupted = fx.simulation.run_training_process(CountingProcess(),
                                                     _data, 7)
  assert state.w.tolist() == uninterrupted.w.tolist()
  assert isinstance(state, State) and state.round == 7
  assert manager.get_versions() == [0, 2, 4, 6]
  # Nothing left to do: the latest state comes back.
  done = fx.simulation.run_training_process(
      CountingProcess(), _data, 4, program_state_manager=manager)
  assert done.round == 6


def test_privacy_fn_reports_epsilon():
  memory = fx.program.MemoryReleaseManager()
  fx.simulation.run_training_process(
      CountingProcess(), _data, 2, metrics_managers=[memory],
      privacy_fn=lambda r: 0.5 * r)
  assert memory.values()[2]['epsilon'] == 1.0
  fx.simulation.run_training_process(
      CountingProcess(), _data, 1, metrics_managers=[memory],
      privacy_fn=lambda r: {'epsilon': 2.0, 'delta': 1e-5})
  assert memory.values()[1]['delta'] == 1e-5
  with pytest.raises(TypeError, match='privacy_fn'):
    fx.simulation.run_training_process(CountingProcess(), _data, 1,
                                       privacy_fn=lambda r: 'a lot')


@pytest.mark.parametrize('kwargs, error, message', [
    ({'total_rounds': -1}, ValueError, 'total_rounds'),
    ({'rounds_per_evaluation': 0}, ValueError, 'rounds_per_evaluation'),
    ({'rounds_per_saving_program_state': 1.5}, ValueError,
     'rounds_per_saving_program_state'),
    ({'evaluation_fn': lambda s, d: {}}, ValueError, 'give both'),
    ({'program_state_manager': 'dir'}, TypeError, 'program_state_manager'),
    ({'metrics_managers': [print]}, TypeError, r'metrics_managers\[0\]'),
    ({'training_selection_fn': [1]}, TypeError, 'training_selection_fn'),
])
def test_argument_errors(kwargs, error, message):
  args = {'training_process': CountingProcess(),
          'training_selection_fn': _data, 'total_rounds': 1, **kwargs}
  with pytest.raises(error, match=message):
    fx.simulation.run_training_process(**args)


def test_train_model(tmp_path, capsys):
  csv_path = tmp_path / 'metrics.csv'
  result = fx.simulation.train_model(
      CountingProcess(), _data, 4, eval_fn=lambda w: {'accuracy': 0.75},
      rounds_per_eval=2, checkpoint_dir=tmp_path / 'ckpt',
      rounds_per_checkpoint=2, keep_checkpoints=2,
      metrics_managers=[fx.program.CSVFileReleaseManager(csv_path)],
      privacy_fn=lambda r: 0.1 * r)
  assert result.state.round == 4 and result.model_weights.tolist() == [
      110, 110]
  assert list(result.metrics) == [0, 1, 2, 3, 4]
  assert result.metrics[2]['evaluation/accuracy'] == 0.75
  assert fx.program.FileProgramStateManager(
      tmp_path / 'ckpt').get_versions() == [0, 4]
  assert csv_path.read_text().splitlines()[0].startswith(
      'key,evaluation/accuracy,evaluation/evaluation_time_in_seconds')
  err = capsys.readouterr().err
  assert 'round 4/4' in err and 'eval_acc 0.7500' in err
  assert 'eps 0.4000' in err and 'rounds/s' in err and 'ETA' in err
  # Resumes from the checkpoint of round 4; the same data every round.
  more = fx.simulation.train_model(CountingProcess(), [1, 2], 5,
                                   checkpoint_dir=tmp_path / 'ckpt',
                                   progress=False)
  assert list(more.metrics) == [5] and more.model_weights.tolist() == [
      113, 113]
  assert capsys.readouterr().err == ''


@pytest.mark.parametrize('kwargs, message', [
    ({'rounds': -2}, 'train_model: rounds'),
    ({'rounds_per_eval': 0}, 'train_model: rounds_per_eval'),
    ({'rounds_per_checkpoint': 0}, 'train_model: rounds_per_checkpoint'),
])
def test_train_model_errors(kwargs, message):
  args = {'process': CountingProcess(), 'train_data_fn': _data, 'rounds': 1,
          'progress': False, **kwargs}
  with pytest.raises(ValueError, match=message):
    fx.simulation.train_model(**args)
  with pytest.raises(TypeError, match='eval_fn'):
    fx.simulation.train_model(CountingProcess(), _data, 1, eval_fn=3)


class Tty(io.StringIO):

  def isatty(self):
    return True


def test_progress_bar_on_a_terminal_and_in_a_log():
  tty = Tty()
  bar = fx.simulation.ProgressBar(3, file=tty, use_tqdm=False)
  bar.release({'evaluation/accuracy': 0.25}, 0)
  bar.release({'client_work': {'train': {'loss': 2.0}}}, 2)  # Resumed.
  bar.release({'client_work': {'train': {'loss': 1.0}}}, 3)
  bar.close()
  text = tty.getvalue()
  assert text.count('\r') == 2 and text.endswith('\n')
  assert 'round 2/3 eval_acc 0.2500 loss 2.0000' in text
  log = io.StringIO()
  bar = fx.simulation.ProgressBar(10, file=log, use_tqdm=False,
                                  min_interval=3600)
  for key in range(1, 11):
    bar.release({'loss': float(key)}, key)
  lines = log.getvalue().splitlines()
  assert len(lines) == 2  # The first and the last round.
  assert lines[1].startswith('[' + '#' * 30 + '] round 10/10 loss 10.0000')


def test_progress_bar_uses_tqdm_when_installed(monkeypatch):
  calls = []

  class FakeTqdm:

    def __init__(self, **kwargs):
      calls.append(('init', kwargs['total'], kwargs['initial']))

    def update(self, n):
      calls.append(('update', n))

    def set_postfix_str(self, text, refresh=True):
      calls.append(('postfix', text))

    def close(self):
      calls.append(('close',))

  fake = type(sys)('tqdm')
  fake.tqdm = FakeTqdm
  monkeypatch.setitem(sys.modules, 'tqdm', fake)
  bar = fx.simulation.ProgressBar(5, file=io.StringIO())
  for key in (3, 4, 5):
    bar.release({'loss': float(key)}, key)
  bar.close()
  assert calls == [('init', 5, 2), ('update', 1), ('postfix', 'loss 3.0000'),
                   ('update', 1), ('postfix', 'loss 4.0000'), ('update', 1),
                   ('postfix', 'loss 5.0000'), ('close',)]
