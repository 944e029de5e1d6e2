"""TFF's SQLite format (read and written), tf.train.Example, file per user."""

import sqlite3

import numpy as np
import pytest

import federax as fx
from federax.simulation.datasets import sql_client_data
from federax.simulation.datasets import tf_example

datasets = fx.simulation.datasets
SPEC = {'label': np.int32, 'pixels': (np.float32, [2, 3])}


def _client(client_id):
  n = len(client_id)
  return {'label': np.arange(n, dtype=np.int32),
          'pixels': np.full((n, 2, 3), n / 10, np.float32)}


def test_example_wire_format_is_tensorflows():
  # Example{features=1 {feature=1 {key='a' value=Feature{int64_list=3
  # {value=1 packed [1]}}}}}: TensorFlow's field numbers.
  assert tf_example.serialize_example({'a': np.int64(1)}) == (
      b'\n\x0c\n\n\n\x01a\x12\x05\x1a\x03\n\x01\x01')
  data = tf_example.serialize_example(
      {'f': np.array([0.5, 2.0]), 's': b'hi', 'b': np.array([True, False])})
  parsed = tf_example.parse_example(
      data, {'f': (np.float32, [2]), 's': str, 'b': (np.bool_, [2])})
  assert parsed['f'].tolist() == [0.5, 2.0] and parsed['s'] == b'hi'
  assert parsed['b'].dtype == np.bool_ and parsed['b'].tolist() == [True,
                                                                    False]


def test_parse_errors_name_the_feature():
  data = tf_example.serialize_example({'x': np.zeros(3)})
  with pytest.raises(ValueError, match="no feature 'y'"):
    tf_example.parse_example(data, {'y': np.float32})
  with pytest.raises(ValueError, match="'x' has 3 values"):
    tf_example.parse_example(data, {'x': (np.float32, [2])})
  with pytest.raises(TypeError, match='flat dict'):
    tf_example.build_parser((np.float32, [3]))


def test_save_and_load_round_trip_with_splits(tmp_path):
  path = str(tmp_path / 'd.sqlite')
  datasets.save_to_sql_client_data(['a', 'bb'], _client, path,
                                   split_name='train')
  datasets.save_to_sql_client_data(['ccc'], _client, path, split_name='test',
                                   append=True)
  train = datasets.load_and_parse_sql_client_data(path, SPEC, 'train')
  test = datasets.load_and_parse_sql_client_data(path, SPEC, 'test')
  everyone = datasets.load_and_parse_sql_client_data(path, SPEC)
  assert train.client_ids == ('a', 'bb') and test.client_ids == ('ccc',)
  assert everyone.client_ids == ('a', 'bb', 'ccc')
  assert str(train.element_type_structure) == (
      '<label=int32,pixels=float32[2,3]>')
  stacked = train.create_dataset_for_client('bb').__fx_stacked__()
  np.testing.assert_array_equal(stacked['label'], _client('bb')['label'])
  np.testing.assert_array_equal(stacked['pixels'], _client('bb')['pixels'])
  assert train.num_examples_for_client('bb') == 2
  assert len(test.create_dataset_for_client('ccc')) == 3
  raw = datasets.SqlClientData(path, 'train')
  assert str(raw.element_type_structure) == 'str'
  assert isinstance(next(iter(raw.create_dataset_for_client('a'))), bytes)
  with pytest.raises(ValueError, match="no clients in split 'dev'"):
    datasets.SqlClientData(path, 'dev')


def test_tff_layout_without_index_is_read_and_indexed(tmp_path):
  path = str(tmp_path / 'tff.sqlite')
  con = sqlite3.connect(path)
  con.execute('CREATE TABLE examples (split_name TEXT NOT NULL, client_id '
              'TEXT NOT NULL, serialized_example_proto BLOB NOT NULL)')
  con.execute('CREATE TABLE client_metadata (client_id TEXT NOT NULL, '
              'split_name TEXT NOT NULL, num_examples INTEGER NOT NULL)')
  for i in range(3):
    con.execute('INSERT INTO examples VALUES (?, ?, ?)', (
        'N/A', 'w', tf_example.serialize_example({'label': np.int64(i)})))
  con.execute("INSERT INTO client_metadata VALUES ('w', 'N/A', 3)")
  con.commit()
  con.close()
  cd = datasets.load_and_parse_sql_client_data(path, {'label': np.int32})
  assert [int(e['label']) for e in cd.create_dataset_for_client('w')] == [
      0, 1, 2]
  con = sqlite3.connect(path)
  indexes = [r[1] for r in con.execute('PRAGMA index_list(examples)')]
  con.close()
  assert sql_client_data.INDEX_NAME in indexes


def test_save_errors(tmp_path):
  path = str(tmp_path / 'd.sqlite')
  datasets.save_to_sql_client_data(['a'], _client, path)
  with pytest.raises(FileExistsError, match='allow_overwrite=True'):
    datasets.save_to_sql_client_data(['a'], _client, path)
  datasets.save_to_sql_client_data(['bb'], _client, path,
                                   allow_overwrite=True)
  assert datasets.SqlClientData(path).client_ids == ('bb',)
  with pytest.raises(TypeError, match="client 'b' has an example of type"):
    datasets.save_to_sql_client_data(
        ['a', 'b'], lambda c: {'x': np.zeros(1 if c == 'a' else (1, 2))},
        str(tmp_path / 'e.sqlite'))
  assert not (tmp_path / 'e.sqlite').exists()
  assert not list(tmp_path.glob('*.part'))


def test_format_errors(tmp_path):
  not_sqlite = tmp_path / 'x.sqlite'
  not_sqlite.write_bytes(b'\xfd7zXZ compressed, not a database' * 100)
  with pytest.raises(sql_client_data.DatabaseFormatError,
                     match='not a SQLite database'):
    datasets.SqlClientData(str(not_sqlite))
  other = tmp_path / 'y.sqlite'
  sqlite3.connect(str(other)).execute('CREATE TABLE t (a)').connection.close()
  with pytest.raises(sql_client_data.DatabaseFormatError,
                     match="lacks the tables"):
    datasets.SqlClientData(str(other))


def test_file_per_user_client_data(tmp_path):
  for name in ('u1', 'u2'):
    np.savez(tmp_path / f'{name}.npz', **_client(name * 2))
  cd = datasets.FilePerUserClientData.create_from_dir(str(tmp_path))
  assert cd.client_ids == ('u1', 'u2')
  assert len(list(cd.create_dataset_for_client('u2'))) == 4
  custom = datasets.FilePerUserClientData(
      {'only': str(tmp_path / 'u1.npz')},
      lambda path: datasets.Dataset.from_tensor_slices(dict(np.load(path))))
  assert custom.create_dataset_for_client('only').__fx_stacked__()[
      'pixels'].shape == (4, 2, 3)
