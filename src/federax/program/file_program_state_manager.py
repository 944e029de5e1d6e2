"""Program state in versioned directories (TFF's `FileProgramStateManager`).

Version `v` lives in `root_dir/{prefix}{v}/state.npz`, written by
`federax.program.pytree_io` (no pickle). A save writes a temporary
directory, flushes it to disk and renames it into place, so a program
killed in the middle of a save leaves the previous versions intact and
no half-written version: the latest version is always a complete one.
"""

from __future__ import annotations

import os
import shutil
import uuid
from typing import Any

import numpy as np

from federax.program import program_state_manager
from federax.program import pytree_io

_STATE_FILE = 'state.npz'
_TEMP_MARK = '.tmp-'


def _fsync_dir(path: str) -> None:
  try:
    fd = os.open(path, os.O_RDONLY)
  except OSError:  # Directories cannot be opened on some platforms.
    return
  try:
    os.fsync(fd)
  except OSError:
    pass
  finally:
    os.close(fd)


class FileProgramStateManager(program_state_manager.ProgramStateManager):
  """Saves program state to, and loads it from, a directory.

  `keep_total` versions are kept (all of them if `keep_total <= 0`); with
  `keep_first` the first saved version is one of them, so a run can always
  be replayed from its initial state. The latest version is always kept. `load(version, structure)`
  rebuilds the state in the containers of `structure` (e.g.
  `process.initialize()`), NamedTuples and optax states included; with
  `structure=None` named containers come back as `fx.Struct`s.

  Example:
    >>> import tempfile, numpy as np, federax as fx
    >>> manager = fx.program.FileProgramStateManager(tempfile.mkdtemp(),
    ...                                              keep_total=2)
    >>> template = {'w': np.zeros(2, np.float32), 'round': np.int32(0)}
    >>> manager.load_latest(template)
    (None, 0)
    >>> for version in range(4):
    ...   manager.save({'w': np.full(2, version, np.float32),
    ...                 'round': np.int32(version)}, version)
    >>> manager.get_versions()  # The first, and the latest.
    [0, 3]
    >>> manager.load_latest(template)
    ({'w': array([3., 3.], dtype=float32), 'round': np.int32(3)}, 3)
  """

  def __init__(self, root_dir: str | os.PathLike, prefix: str =
               'program_state_', keep_total: int = 5,
               keep_first: bool = True):
    if not isinstance(root_dir, (str, os.PathLike)) or not os.fspath(
        root_dir):
      raise TypeError(f'FileProgramStateManager: root_dir: expected a '
                      f'non-empty path, got {root_dir!r}.')
    if not isinstance(prefix, str) or not prefix or prefix.startswith('.'):
      raise ValueError(f'FileProgramStateManager: prefix: expected a '
                       f'non-empty str not starting with ".", got '
                       f'{prefix!r}.')
    if not isinstance(keep_total, (int, np.integer)) or isinstance(
        keep_total, bool):
      raise TypeError(f'FileProgramStateManager: keep_total: expected an '
                      f'int, got {keep_total!r}.')
    if not isinstance(keep_first, bool):
      raise TypeError(f'FileProgramStateManager: keep_first: expected a '
                      f'bool, got {keep_first!r}.')
    self._root_dir = os.fspath(root_dir)
    self._prefix = prefix
    self._keep_total = int(keep_total)
    self._keep_first = keep_first
    os.makedirs(self._root_dir, exist_ok=True)
    self._remove_temporaries()

  @property
  def root_dir(self) -> str:
    return self._root_dir

  def _path(self, version: int) -> str:
    return os.path.join(self._root_dir, f'{self._prefix}{version}')

  def _version_of(self, name: str) -> int | None:
    if not name.startswith(self._prefix):
      return None
    digits = name[len(self._prefix):]
    return int(digits) if digits.isdigit() else None

  def _remove_temporaries(self) -> None:
    """Removes what saves interrupted by a crash left behind."""
    mark = f'.{self._prefix}'
    for name in os.listdir(self._root_dir):
      if name.startswith(mark) and _TEMP_MARK in name:
        shutil.rmtree(os.path.join(self._root_dir, name), ignore_errors=True)

  def get_versions(self) -> list[int] | None:
    """The saved versions in increasing order, or None if there are none."""
    if not os.path.isdir(self._root_dir):
      return None
    versions = []
    for name in os.listdir(self._root_dir):
      version = self._version_of(name)
      if version is not None and os.path.isfile(
          os.path.join(self._root_dir, name, _STATE_FILE)):
        versions.append(version)
    return sorted(versions) or None

  def load(self, version: int, structure: Any) -> Any:
    """The state saved as `version`, in the containers of `structure`."""
    version = _check_version(version, 'load')
    path = os.path.join(self._path(version), _STATE_FILE)
    if not os.path.isfile(path):
      raise program_state_manager.ProgramStateNotFoundError(
          version, f' in {self._root_dir!r}')
    return pytree_io.load_pytree(path, structure)

  def save(self, program_state: Any, version: int) -> None:
    """Saves `program_state` as `version`, then drops the oldest versions."""
    version = _check_version(version, 'save')
    final = self._path(version)
    if os.path.exists(final):
      raise program_state_manager.ProgramStateExistsError(
          version, f' in {self._root_dir!r}')
    temp = os.path.join(self._root_dir, f'.{self._prefix}{version}'
                        f'{_TEMP_MARK}{uuid.uuid4().hex}')
    os.makedirs(temp)
    try:
      pytree_io.save_pytree(program_state, os.path.join(temp, _STATE_FILE))
      _fsync_dir(temp)
      os.rename(temp, final)
    except BaseException:
      shutil.rmtree(temp, ignore_errors=True)
      raise
    _fsync_dir(self._root_dir)
    self._remove_old_versions()

  def _remove_old_versions(self) -> None:
    if self._keep_total <= 0:
      return
    versions = self.get_versions() or []
    if len(versions) <= self._keep_total:
      return
    start = 1 if self._keep_first else 0
    # The latest version is always kept (TFF drops it when keep_total=1
    # and keep_first=True).
    stop = min(len(versions) - (self._keep_total - start), len(versions) - 1)
    for version in versions[start:max(start, stop)]:
      self._remove(version)

  def _remove(self, version: int) -> None:
    # Renamed first, so a crash mid-removal never leaves a partial version.
    path = self._path(version)
    doomed = os.path.join(self._root_dir, f'.{self._prefix}{version}'
                          f'{_TEMP_MARK}removed-{uuid.uuid4().hex}')
    os.rename(path, doomed)
    shutil.rmtree(doomed, ignore_errors=True)

  def remove_all(self) -> None:
    """Removes every saved version."""
    for version in self.get_versions() or []:
      self._remove(version)


def _check_version(version, method: str) -> int:
  if not isinstance(version, (int, np.integer)) or isinstance(
      version, bool) or version < 0:
    raise TypeError(f'{method}: version: expected an int >= 0, got '
                    f'{version!r}.')
  return int(version)
