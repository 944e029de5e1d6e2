"""CSVFileReleaseManager: flattening, new columns, save modes, resuming."""

import csv

import numpy as np
import pytest

import federax as fx

CSV, Mode = fx.program.CSVFileReleaseManager, fx.program.CSVSaveMode


def _read(path):
  with open(path, newline='') as f:
    reader = csv.DictReader(f)
    return reader.fieldnames, list(reader)


@pytest.mark.parametrize('mode', [Mode.APPEND, Mode.WRITE])
def test_rows_columns_and_values(tmp_path, mode):
  path = tmp_path / 'sub' / 'metrics.csv'
  manager = CSV(path, save_mode=mode)
  assert _read(path) == (['key'], [])
  manager.release({'train': {'loss': np.float32(0.5), 'n': np.int32(3)}}, 1)
  manager.release({'train': {'loss': 0.25, 'n': 4}, 'eps': 1.5,
                   'w': np.array([[1, 2], [3, 4]])}, np.int64(2))
  manager.release({'train': {'loss': 0.125, 'n': 5}}, 3)
  fieldnames, rows = _read(path)
  assert fieldnames == ['key', 'train/loss', 'train/n', 'eps', 'w']
  assert rows == [
      {'key': '1', 'train/loss': '0.5', 'train/n': '3', 'eps': '', 'w': ''},
      {'key': '2', 'train/loss': '0.25', 'train/n': '4', 'eps': '1.5',
       'w': '[[1, 2], [3, 4]]'},
      {'key': '3', 'train/loss': '0.125', 'train/n': '5', 'eps': '',
       'w': ''}]


@pytest.mark.parametrize('mode', [Mode.APPEND, Mode.WRITE])
def test_releasing_a_key_again_replaces_it_and_later_rows(tmp_path, mode):
  path = tmp_path / 'metrics.csv'
  manager = CSV(path, save_mode=mode)
  for key in range(1, 6):
    manager.release({'loss': key}, key)
  # A program resumed from the checkpoint of round 2 (a new manager).
  resumed = CSV(path, save_mode=mode)
  resumed.release({'loss': 30}, 3)
  assert [(r['key'], r['loss']) for r in _read(path)[1]] == [
      ('1', '1'), ('2', '2'), ('3', '30')]
  resumed.release({'loss': 40}, 4)
  resumed.release({'loss': 0}, 0)  # Back to the start: only key 0 left.
  assert [r['key'] for r in _read(path)[1]] == ['0']


def test_existing_file_is_extended(tmp_path):
  path = tmp_path / 'm.csv'
  CSV(path, key_fieldname='round').release({'a': 1}, 1)
  CSV(path, key_fieldname='round').release({'a': 2, 'b': 3}, 2)
  assert _read(path) == (['round', 'a', 'b'], [
      {'round': '1', 'a': '1', 'b': ''}, {'round': '2', 'a': '2', 'b': '3'}])


def test_file_without_the_key_column(tmp_path):
  path = tmp_path / 'm.csv'
  path.write_text('round,loss\n1,0.5\n')
  with pytest.raises(fx.program.CSVKeyFieldnameNotFoundError,
                     match="no column 'key'"):
    CSV(path)


def test_strings_and_none(tmp_path):
  path = tmp_path / 'm.csv'
  CSV(path).release({'name': 'fedavg', 'tag': np.bytes_(b'x'),
                     'nothing': None}, 1)
  assert _read(path)[1] == [{'key': '1', 'name': 'fedavg', 'tag': 'x',
                             'nothing': ''}]


def test_errors(tmp_path):
  with pytest.raises(TypeError, match='file_path'):
    CSV('')
  with pytest.raises(TypeError, match='save_mode'):
    CSV(tmp_path / 'm.csv', save_mode='append')
  with pytest.raises(ValueError, match='key_fieldname'):
    CSV(tmp_path / 'm.csv', key_fieldname='')
  manager = CSV(tmp_path / 'm.csv')
  with pytest.raises(TypeError, match='key: expected an int'):
    manager.release({'a': 1}, 'round 1')
  with pytest.raises(ValueError, match='collides with the key column'):
    manager.release({'key': 1}, 1)
  with pytest.raises(ValueError, match='collides'):
    manager.release(0.5, 1)  # A bare value has no name.
