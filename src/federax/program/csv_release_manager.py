"""Releasing values as rows of a CSV file (TFF's `CSVFileReleaseManager`)."""

from __future__ import annotations

import csv
import enum
import os
from typing import Any

import numpy as np

from federax.program import flatten
from federax.program import release_manager


class CSVSaveMode(enum.Enum):
  """How `CSVFileReleaseManager` writes a row.

  `APPEND` appends it to the file (and rewrites the file only when a new
  column appears); `WRITE` rewrites the whole file each time.
  """
  APPEND = 'append'
  WRITE = 'write'


class CSVKeyFieldnameNotFoundError(ValueError):
  """An existing CSV file has no column named `key_fieldname`."""


class CSVFileReleaseManager(release_manager.ReleaseManager):
  """Writes each released value as one row of the CSV file `file_path`.

  The value is flattened: nested names are joined with `/` (a column
  `client_work/train/loss`), and each leaf is written as a number (or a
  nested list for an array). The first column, `key_fieldname`, holds the
  key, an int such as the round number. A column that first appears in a
  later value is added to the file (earlier rows leave it empty).

  Releasing key `k` first removes every row whose key is `k` or more, so a
  program that resumes from a checkpoint replaces the rows of the rounds it
  runs again instead of duplicating them. A file that exists is kept and
  extended (it must have the key column).

  Example:
    >>> import os, tempfile, federax as fx
    >>> path = os.path.join(tempfile.mkdtemp(), 'metrics.csv')
    >>> csv_manager = fx.program.CSVFileReleaseManager(path)
    >>> csv_manager.release({'train': {'loss': 0.5}}, key=1)
    >>> csv_manager.release({'train': {'loss': 0.25}, 'epsilon': 1.5}, key=2)
    >>> print(open(path).read().strip())
    key,train/loss,epsilon
    1,0.5,
    2,0.25,1.5
  """

  def __init__(self, file_path: str | os.PathLike,
               save_mode: CSVSaveMode = CSVSaveMode.APPEND,
               key_fieldname: str = 'key'):
    if not isinstance(file_path, (str, os.PathLike)) or not os.fspath(
        file_path):
      raise TypeError(f'CSVFileReleaseManager: file_path: expected a '
                      f'non-empty path, got {file_path!r}.')
    if not isinstance(save_mode, CSVSaveMode):
      raise TypeError(f'CSVFileReleaseManager: save_mode: expected '
                      f'fx.program.CSVSaveMode.APPEND or .WRITE, got '
                      f'{save_mode!r}.')
    if not isinstance(key_fieldname, str) or not key_fieldname:
      raise ValueError(f'CSVFileReleaseManager: key_fieldname: expected a '
                       f'non-empty str, got {key_fieldname!r}.')
    self._file_path = os.fspath(file_path)
    self._save_mode = save_mode
    self._key_fieldname = key_fieldname
    directory = os.path.dirname(self._file_path)
    if directory:
      os.makedirs(directory, exist_ok=True)
    if os.path.exists(self._file_path):
      fieldnames, rows = self._read()
      if key_fieldname not in fieldnames:
        raise CSVKeyFieldnameNotFoundError(
            f'CSVFileReleaseManager: {self._file_path!r} has no column '
            f'{key_fieldname!r} (its columns: {fieldnames}); it was not '
            f'written by a CSVFileReleaseManager with this key_fieldname. '
            f'Pass the right key_fieldname or another file_path.')
      self._fieldnames = fieldnames
      self._latest_key = int(rows[-1][key_fieldname]) if rows else None
    else:
      self._fieldnames = [key_fieldname]
      self._write(self._fieldnames, [])
      self._latest_key = None

  @property
  def file_path(self) -> str:
    return self._file_path

  def _read(self) -> tuple[list[str], list[dict[str, str]]]:
    with open(self._file_path, newline='') as f:
      reader = csv.DictReader(f)
      rows = list(reader)
      return list(reader.fieldnames or []), rows

  def _write(self, fieldnames, rows) -> None:
    """Rewrites the file atomically (a temporary file renamed over it)."""
    temp = f'{self._file_path}.tmp-{os.getpid()}'
    with open(temp, 'w', newline='') as f:
      writer = csv.DictWriter(f, fieldnames=fieldnames)
      writer.writeheader()
      writer.writerows(rows)
      f.flush()
      os.fsync(f.fileno())
    os.replace(temp, self._file_path)

  def _remove_keys_from(self, key: int) -> None:
    if self._latest_key is None or key > self._latest_key:
      return
    fieldnames, rows = self._read()
    self._write(fieldnames, [r for r in rows
                             if int(r[self._key_fieldname]) < key])

  def release(self, value: Any, key: int) -> None:
    """Writes `value` as the row of `key` (an int), after removing the rows
    of keys `>= key`."""
    if isinstance(key, bool) or not isinstance(key, (int, np.integer)):
      raise TypeError(f'CSVFileReleaseManager.release: key: expected an int '
                      f'(e.g. the round number), got {key!r}.')
    key = int(key)
    self._remove_keys_from(key)
    row = {self._key_fieldname: key}
    for name, leaf in flatten.flatten_with_name(value):
      if name == self._key_fieldname or not name:
        raise ValueError(
            f'CSVFileReleaseManager.release: value: a value named '
            f'{name!r} collides with the key column {self._key_fieldname!r}; '
            f'release a dict of named values, or choose another '
            f'key_fieldname.')
      row[name] = _normalize(leaf)
    new = [name for name in row if name not in self._fieldnames]
    if self._save_mode is CSVSaveMode.APPEND and not new:
      with open(self._file_path, 'a', newline='') as f:
        csv.DictWriter(f, fieldnames=self._fieldnames).writerow(row)
    else:
      fieldnames, rows = self._read()
      fieldnames += [name for name in new if name not in fieldnames]
      self._write(fieldnames, rows + [row])
      self._fieldnames = fieldnames
    self._latest_key = key


def _normalize(leaf):
  if leaf is None:
    return ''
  value = np.asarray(leaf)
  if value.dtype.kind == 'S':
    value = np.char.decode(value, 'utf-8')
  return value.tolist()
