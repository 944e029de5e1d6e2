"""Releasing values as TensorBoard summaries (TFF's
`TensorBoardReleaseManager`), written with tensorboardX (no TensorFlow)."""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

from federax.program import flatten
from federax.program import release_manager


def _tensorboardx():
  try:
    import tensorboardX
  except ImportError:
    raise ImportError(
        'TensorBoardReleaseManager needs tensorboardX: pip install '
        '"federax[tensorboard]" (or pip install tensorboardX).') from None
  return tensorboardX


class TensorBoardReleaseManager(release_manager.ReleaseManager):
  """Writes each released value to TensorBoard event files in `summary_dir`.

  The value is flattened (names joined with `/`, as `client_work/train/
  loss`); each numeric or bool leaf is written at step `key` (an int): a
  scalar (or one-element array) as a scalar summary, a larger array as a
  histogram. Other leaves (strings) are skipped. Events are flushed after
  each release, so a program that is killed loses nothing released.

  The first release of a manager marks its key as a restart point: a
  program that resumes from a checkpoint at round `k` writes over the
  events its earlier run wrote for rounds `k` and later (TensorBoard drops
  them), as `CSVFileReleaseManager` does with its rows.

  Example:
    >>> import tempfile, federax as fx
    >>> summary_dir = tempfile.mkdtemp()
    >>> tensorboard = fx.program.TensorBoardReleaseManager(summary_dir)
    >>> tensorboard.release({'train': {'loss': 0.5}}, key=1)
    >>> tensorboard.close()
  """

  def __init__(self, summary_dir: str | os.PathLike):
    if not isinstance(summary_dir, (str, os.PathLike)) or not os.fspath(
        summary_dir):
      raise TypeError(f'TensorBoardReleaseManager: summary_dir: expected a '
                      f'non-empty path, got {summary_dir!r}.')
    self._summary_dir = os.fspath(summary_dir)
    os.makedirs(self._summary_dir, exist_ok=True)
    _tensorboardx()  # Fails here, not at the first release, if missing.
    self._writer = None

  @property
  def summary_dir(self) -> str:
    return self._summary_dir

  def release(self, value: Any, key: int) -> None:
    """Writes the numeric leaves of `value` at step `key` (an int)."""
    if isinstance(key, bool) or not isinstance(key, (int, np.integer)):
      raise TypeError(f'TensorBoardReleaseManager.release: key: expected an '
                      f'int step (e.g. the round number), got {key!r}.')
    key = int(key)
    if self._writer is None:
      # The suffix keeps two writers started in the same second from
      # writing one file, and sorts them in the order they were started.
      self._writer = _tensorboardx().SummaryWriter(
          self._summary_dir, purge_step=key,
          filename_suffix=f'.{time.time_ns()}')
    for name, leaf in flatten.flatten_with_name(value):
      if leaf is None:
        continue
      array = np.asarray(leaf)
      if array.dtype.kind not in 'biuf':
        continue
      name = name or 'value'
      if array.size == 1:
        self._writer.add_scalar(name, float(array.reshape(())), key)
      elif array.size > 1:
        self._writer.add_histogram(name, array.astype(np.float64), key)
    self._writer.flush()

  def close(self) -> None:
    """Flushes and closes the event file (a later release opens a new one)."""
    if self._writer is not None:
      self._writer.close()
      self._writer = None
