"""FileProgramStateManager: versions, retention, atomic saves, errors."""

import os
from typing import NamedTuple

import numpy as np
import pytest

import federax as fx
from federax.program import pytree_io

Manager = fx.program.FileProgramStateManager


class State(NamedTuple):
  w: np.ndarray
  round: np.int32


def _state(v):
  return State(np.full(3, v, np.float32), np.int32(v))


TEMPLATE = _state(0)


def _save(manager, versions):
  for v in versions:
    manager.save(_state(v), v)


def test_empty_directory_has_no_state(tmp_path):
  manager = Manager(tmp_path / 'new' / 'dir')
  assert os.path.isdir(tmp_path / 'new' / 'dir')
  assert manager.get_versions() is None
  assert manager.load_latest(TEMPLATE) == (None, 0)


def test_save_load_and_latest(tmp_path):
  manager = Manager(tmp_path)
  _save(manager, [0, 1, 5])
  assert manager.get_versions() == [0, 1, 5]
  state = manager.load(1, TEMPLATE)
  assert isinstance(state, State) and state.round == 1
  assert isinstance(state.round, np.int32)
  latest, version = manager.load_latest(TEMPLATE)
  assert version == 5 and latest.w.tolist() == [5, 5, 5]
  assert sorted(os.listdir(tmp_path)) == [
      'program_state_0', 'program_state_1', 'program_state_5']
  # A new manager over the same directory sees the same versions.
  assert Manager(tmp_path).load_latest(TEMPLATE)[1] == 5


@pytest.mark.parametrize('keep_total, keep_first, expected', [
    (5, True, [0, 6, 7, 8, 9]),
    (3, False, [7, 8, 9]),
    (1, True, [0, 9]),   # TFF would also drop 9, the latest.
    (1, False, [9]),
    (0, True, list(range(10))),
    (-1, False, list(range(10))),
])
def test_retention(tmp_path, keep_total, keep_first, expected):
  manager = Manager(tmp_path, keep_total=keep_total, keep_first=keep_first)
  _save(manager, range(10))
  assert manager.get_versions() == expected
  assert manager.load_latest(TEMPLATE)[1] == 9


def test_prefix_and_unrelated_files(tmp_path):
  manager = Manager(tmp_path, prefix='ckpt-')
  _save(manager, [2])
  (tmp_path / 'ckpt-notes').mkdir()
  (tmp_path / 'ckpt-7').mkdir()  # No state file: not a version.
  (tmp_path / 'other_3').mkdir()
  assert manager.get_versions() == [2]


def test_existing_and_missing_versions(tmp_path):
  manager = Manager(tmp_path)
  _save(manager, [1])
  with pytest.raises(fx.program.ProgramStateExistsError, match='already'):
    manager.save(_state(1), 1)
  with pytest.raises(fx.program.ProgramStateNotFoundError, match='get_versions'):
    manager.load(2, TEMPLATE)
  assert isinstance(fx.program.ProgramStateNotFoundError(1), ValueError)


def test_a_crash_during_save_leaves_the_latest_version_whole(tmp_path,
                                                             monkeypatch):
  manager = Manager(tmp_path)
  _save(manager, [1])
  real = pytree_io.save_pytree

  def crash(tree, path):
    real(tree, path)
    with open(path, 'r+b') as f:  # Half the file, then the "crash".
      f.truncate(os.path.getsize(path) // 2)
    raise KeyboardInterrupt

  monkeypatch.setattr(pytree_io, 'save_pytree', crash)
  with pytest.raises(KeyboardInterrupt):
    manager.save(_state(2), 2)
  assert manager.get_versions() == [1]
  assert os.listdir(tmp_path) == ['program_state_1']
  assert manager.load_latest(TEMPLATE)[1] == 1


def test_leftovers_of_a_killed_save_are_ignored_and_cleaned(tmp_path):
  manager = Manager(tmp_path)
  _save(manager, [1])
  # What a SIGKILL in the middle of save(state, 2) leaves behind.
  leftover = tmp_path / '.program_state_2.tmp-0123abcd'
  leftover.mkdir()
  (leftover / 'state.npz').write_bytes(b'PK\x03\x04 half a file')
  assert manager.get_versions() == [1]
  assert manager.load_latest(TEMPLATE)[1] == 1
  Manager(tmp_path)  # A restarted program cleans up.
  assert os.listdir(tmp_path) == ['program_state_1']
  manager.save(_state(2), 2)
  assert manager.load_latest(TEMPLATE)[1] == 2


def test_remove_all(tmp_path):
  manager = Manager(tmp_path)
  _save(manager, [0, 1])
  manager.remove_all()
  assert manager.get_versions() is None


def test_structure_none_gives_structs(tmp_path):
  manager = Manager(tmp_path)
  _save(manager, [4])
  state, version = manager.load_latest(None)
  assert version == 4 and isinstance(state, fx.Struct)
  assert state.round == 4


def test_changed_model_is_a_clear_error(tmp_path):
  manager = Manager(tmp_path)
  _save(manager, [1])
  with pytest.raises(ValueError, match=r'state/w.*float32\[3\].*float32\[4\]'):
    manager.load_latest(State(np.zeros(4, np.float32), np.int32(0)))


@pytest.mark.parametrize('kwargs, error, message', [
    ({'root_dir': ''}, TypeError, 'root_dir'),
    ({'root_dir': 3}, TypeError, 'root_dir'),
    ({'prefix': ''}, ValueError, 'prefix'),
    ({'prefix': '.hidden'}, ValueError, 'prefix'),
    ({'keep_total': 2.0}, TypeError, 'keep_total'),
    ({'keep_first': 1}, TypeError, 'keep_first'),
])
def test_argument_errors(tmp_path, kwargs, error, message):
  kwargs = {'root_dir': tmp_path, **kwargs}
  with pytest.raises(error, match=message):
    Manager(**kwargs)


def test_version_errors(tmp_path):
  manager = Manager(tmp_path)
  with pytest.raises(TypeError, match='save: version'):
    manager.save(_state(1), -1)
  with pytest.raises(TypeError, match='load: version'):
    manager.load('1', TEMPLATE)
