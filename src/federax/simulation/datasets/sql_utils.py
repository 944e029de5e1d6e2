"""Writing TFF's SQLite client data format, and reading it parsed."""

from __future__ import annotations

import contextlib
import os
import tempfile

from federax.simulation.datasets import client_data as client_data_lib
from federax.simulation.datasets import client_data_kinds
from federax.simulation.datasets import elements
from federax.simulation.datasets import sql_client_data
from federax.simulation.datasets import tf_example

_SCHEMA = (
    'CREATE TABLE IF NOT EXISTS examples (split_name TEXT NOT NULL, '
    'client_id TEXT NOT NULL, serialized_example_proto BLOB NOT NULL)',
    'CREATE TABLE IF NOT EXISTS client_metadata (client_id TEXT NOT NULL, '
    'split_name TEXT NOT NULL, num_examples INTEGER NOT NULL)',
    f'CREATE INDEX IF NOT EXISTS {sql_client_data.INDEX_NAME} ON '
    f'examples(client_id, split_name)',
)


def save_to_sql_client_data(client_ids, dataset_fn, database_filepath: str,
                            allow_overwrite: bool = False, *,
                            split_name: str = 'N/A', append: bool = False):
  """Writes clients' examples to a SQLite file in TFF's format.

  `dataset_fn(client_id)` gives a client's examples (a `Dataset`, a list,
  or a dict of arrays); every example must be a flat dict of arrays,
  bytes or numbers, the same spec for all clients. Rows go to
  `split_name` ('N/A', as TFF, by default). The file is written to a
  temporary file and moved into place; `append=True` adds a split to an
  existing file instead.

  Example:
    >>> import os, tempfile, numpy as np
    >>> path = os.path.join(tempfile.mkdtemp(), 'd.sqlite')
    >>> save_to_sql_client_data(['a'], lambda c: {'y': np.arange(3)}, path)
    >>> load_and_parse_sql_client_data(path, {'y': np.int32}).num_examples_for_client('a')
    3
  """
  client_ids = list(client_ids)
  if not client_ids:
    raise ValueError('save_to_sql_client_data: client_ids: expected at least '
                     'one client id, got none.')
  database_filepath = os.fspath(database_filepath)
  exists = os.path.exists(database_filepath)
  if append and not exists:
    raise FileNotFoundError(f'save_to_sql_client_data: append=True needs an '
                            f'existing file at {database_filepath!r}.')
  if exists and not (allow_overwrite or append):
    raise FileExistsError(
        f'save_to_sql_client_data: database_filepath: a file exists at '
        f'{database_filepath!r}; pass allow_overwrite=True to replace it or '
        f'append=True to add a split to it.')
  directory = os.path.dirname(os.path.abspath(database_filepath))
  os.makedirs(directory, exist_ok=True)
  if append:
    target = database_filepath
  else:
    fd, target = tempfile.mkstemp(suffix='.sqlite.part', dir=directory)
    os.close(fd)
  first_spec = None
  try:
    with contextlib.closing(sql_client_data.connect(target, False)) as con:
      for statement in _SCHEMA:
        con.execute(statement)
      for client_id in client_ids:
        ds = client_data_lib.to_dataset(dataset_fn(client_id),
                                        f'dataset_fn({client_id!r})')
        count = 0
        for example in ds:
          spec = elements.spec_of(example)
          if first_spec is None:
            first_spec = (client_id, spec)
          elif spec != first_spec[1]:
            raise TypeError(
                f'save_to_sql_client_data: client {client_id!r} has an '
                f'example of type {spec}, but client {first_spec[0]!r} has '
                f'{first_spec[1]}; all examples must share one spec.')
          con.execute(
              'INSERT INTO examples (split_name, client_id, '
              'serialized_example_proto) VALUES (?, ?, ?)',
              (split_name, client_id, tf_example.serialize_example(example)))
          count += 1
        con.execute('INSERT INTO client_metadata (client_id, split_name, '
                    'num_examples) VALUES (?, ?, ?)',
                    (client_id, split_name, count))
      con.commit()
  except BaseException:
    if not append:
      os.remove(target)
    raise
  if not append:
    os.replace(target, database_filepath)


def load_and_parse_sql_client_data(database_filepath: str, element_spec,
                                   split_name: str | None = None):
  """A `SqlClientData` whose examples are parsed with `element_spec`.

  `element_spec` is a flat dict from feature name to spec, e.g.
  `{'pixels': (np.float32, [28, 28]), 'label': np.int32}`.

  Example:
    >>> import os, tempfile, numpy as np
    >>> path = os.path.join(tempfile.mkdtemp(), 'd.sqlite')
    >>> save_to_sql_client_data(['a'], lambda c: [{'x': np.ones(2)}], path)
    >>> cd = load_and_parse_sql_client_data(path, {'x': (np.float32, [2])})
    >>> next(iter(cd.create_dataset_for_client('a')))
    {'x': array([1., 1.], dtype=float32)}
  """
  parser = tf_example.build_parser(element_spec,
                                   'load_and_parse_sql_client_data')
  data = sql_client_data.SqlClientData(database_filepath, split_name)
  parsed = client_data_kinds.PreprocessClientData(
      data, lambda ds: ds.map(parser), keeps_counts=True)
  parsed._element_type_cache = elements.to_spec(element_spec)  # pylint: disable=protected-access
  return parsed
