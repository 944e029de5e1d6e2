"""`SqlClientData`: client datasets in TFF's SQLite format.

The database has a table `examples(split_name, client_id,
serialized_example_proto)`, one serialized `tf.train.Example` per row,
and `client_metadata(client_id, split_name, num_examples)`. TFF publishes
its datasets in this format; `save_to_sql_client_data` writes it.
"""

from __future__ import annotations

import contextlib
import logging
import os

from federax.core import dtypes as dtypes_lib
from federax.core import types
from federax.simulation.datasets import client_data as client_data_lib
from federax.simulation.datasets import dataset as dataset_lib

REQUIRED_TABLES = frozenset(['examples', 'client_metadata'])
REQUIRED_EXAMPLES_COLUMNS = frozenset(
    ['split_name', 'client_id', 'serialized_example_proto'])
INDEX_NAME = 'federax_examples_by_client'


class DatabaseFormatError(ValueError):
  """The file is not a SQLite database in TFF's client data format."""


def connect(path: str, read_only: bool = True):
  """A sqlite3 connection (read-only unless asked)."""
  import sqlite3
  if read_only:
    return sqlite3.connect(f'file:{os.path.abspath(path)}?mode=ro', uri=True)
  return sqlite3.connect(path)


def check_database_format(database_filepath: str):
  """Raises `DatabaseFormatError` unless the file has TFF's tables.

  Example:
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), 'empty.sqlite')
    >>> check_database_format(path)
    Traceback (most recent call last):
    ...
    FileNotFoundError: database_filepath: no file at ...
  """
  import sqlite3
  if not os.path.isfile(database_filepath):
    raise FileNotFoundError(f'database_filepath: no file at '
                            f'{database_filepath!r}.')
  try:
    with contextlib.closing(connect(database_filepath)) as con:
      tables = {r[0] for r in con.execute(
          "SELECT name FROM sqlite_master WHERE type='table'")}
      columns = {r[1] for r in con.execute('PRAGMA table_info(examples)')}
  except sqlite3.DatabaseError as e:
    raise DatabaseFormatError(
        f'database_filepath: {database_filepath!r} is not a SQLite database '
        f'({e}); it may be truncated or still compressed: delete it and '
        f'download it again.') from None
  if REQUIRED_TABLES - tables:
    raise DatabaseFormatError(
        f'database_filepath: {database_filepath!r} lacks the tables '
        f'{sorted(REQUIRED_TABLES - tables)} of TFF\'s client data format '
        f'(it has {sorted(tables)}).')
  if REQUIRED_EXAMPLES_COLUMNS - columns:
    raise DatabaseFormatError(
        f'database_filepath: the examples table of {database_filepath!r} '
        f'lacks the columns {sorted(REQUIRED_EXAMPLES_COLUMNS - columns)}.')


def ensure_index(database_filepath: str) -> bool:
  """Adds an index on `examples(client_id, split_name)` if the file lacks
  one and is writable, so reading a client does not scan the whole
  table. Returns whether such an index exists afterwards."""
  import sqlite3
  with contextlib.closing(connect(database_filepath)) as con:
    for _, name, *_ in con.execute('PRAGMA index_list(examples)'):
      first = next(iter(con.execute(f'PRAGMA index_info("{name}")')), None)
      if first is not None and first[2] == 'client_id':
        return True
  if not os.access(database_filepath, os.W_OK):
    return False
  logging.info('Indexing %s by client id (once).', database_filepath)
  try:
    with contextlib.closing(connect(database_filepath, False)) as con:
      con.execute(f'CREATE INDEX IF NOT EXISTS {INDEX_NAME} ON '
                  f'examples(client_id, split_name)')
      con.commit()
  except sqlite3.OperationalError:  # Read-only directory, locked file.
    return False
  return True


class SqlClientData(client_data_lib.ClientData):
  """A `ClientData` backed by a SQLite file in TFF's format.

  Each client's dataset yields the serialized `tf.train.Example` of each
  of its rows (`bytes`, spec `str`), read lazily; parse them with
  `.preprocess` or use `load_and_parse_sql_client_data`. `split_name`
  selects the rows (and clients) of one split; None takes all.

  Example:
    >>> import os, tempfile, numpy as np
    >>> from federax.simulation.datasets import sql_utils
    >>> path = os.path.join(tempfile.mkdtemp(), 'data.sqlite')
    >>> sql_utils.save_to_sql_client_data(
    ...     ['a', 'b'], lambda c: [{'x': np.float32(len(c))}], path)
    >>> cd = SqlClientData(path)
    >>> cd.client_ids, cd.num_examples_for_client('a')
    (('a', 'b'), 1)
    >>> type(next(iter(cd.create_dataset_for_client('a'))))
    <class 'bytes'>
  """

  def __init__(self, database_filepath: str, split_name: str | None = None):
    if not isinstance(database_filepath, (str, os.PathLike)):
      raise TypeError(f'SqlClientData: database_filepath: expected a path, '
                      f'got {type(database_filepath).__name__}.')
    database_filepath = os.fspath(database_filepath)
    check_database_format(database_filepath)
    ensure_index(database_filepath)
    self._path = database_filepath
    self._split_name = split_name
    query = 'SELECT client_id, SUM(num_examples) FROM client_metadata'
    args = ()
    if split_name is not None:
      query += ' WHERE split_name = ?'
      args = (split_name,)
    with contextlib.closing(connect(database_filepath)) as con:
      counts = dict(con.execute(query + ' GROUP BY client_id', args))
    if not counts:
      raise ValueError(
          f'SqlClientData: split_name: no clients in split {split_name!r} of '
          f'{database_filepath!r}; the splits there are '
          f'{self._splits()}.')
    self._counts = counts
    self._client_ids = tuple(sorted(counts))
    self._element_type_cache = types.TensorType(dtypes_lib.STR)

  def _splits(self):
    with contextlib.closing(connect(self._path)) as con:
      return sorted(r[0] for r in con.execute(
          'SELECT DISTINCT split_name FROM client_metadata'))

  @property
  def database_filepath(self) -> str:
    """The path of the SQLite file."""
    return self._path

  @property
  def split_name(self) -> str | None:
    """The split read, or None for all rows."""
    return self._split_name

  @property
  def client_ids(self):
    return self._client_ids

  def num_examples_for_client(self, client_id: str) -> int:
    if client_id not in self._counts:
      return super().num_examples_for_client(client_id)  # Raises.
    return int(self._counts[client_id])

  def _rows(self, client_id: str):
    query = ('SELECT serialized_example_proto FROM examples WHERE '
             'client_id = ?')
    args = (client_id,)
    if self._split_name is not None:
      query += ' AND split_name = ?'
      args += (self._split_name,)
    with contextlib.closing(connect(self._path)) as con:
      for (blob,) in con.execute(query + ' ORDER BY rowid', args):
        yield bytes(blob)

  @property
  def serializable_dataset_fn(self):
    def dataset_fn(client_id: str):
      return dataset_lib.Dataset.from_generator(
          lambda: self._rows(client_id), element_spec=str,
          length=self._counts.get(client_id))
    return dataset_fn
