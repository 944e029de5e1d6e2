"""A progress bar for training loops, as a release manager.

`ProgressBar(total_rounds)` receives each round's metrics (pass it among
`metrics_managers`) and shows the round, the training loss, the accuracy
(the latest evaluation's if there is one), epsilon when reported, rounds
per second and the time left. It draws with tqdm when tqdm is installed
(imported on first use), and otherwise with a plain bar: redrawn in place
on a terminal, one line per update (at most every `min_interval` seconds)
elsewhere, e.g. in a log file.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from federax.program import flatten
from federax.program import release_manager


def _pick(names_values, want, prefer=None):
  """The first value whose last name component contains `want`."""
  found = [(n, v) for n, v in names_values
           if want in n.rsplit('/', 1)[-1]]
  for name, value in found:
    if prefer is not None and name == prefer:
      return value
  return found[0][1] if found else None


def summarize(metrics) -> dict[str, float]:
  """The numbers a progress line shows: loss, acc, eval_loss, eval_acc,
  epsilon (those present).

  Example:
    >>> summarize({'client_work': {'train': {'loss': 0.5, 'accuracy': 0.75}},
    ...            'evaluation/accuracy': 0.8, 'epsilon': 1.5})
    {'loss': 0.5, 'acc': 0.75, 'eval_acc': 0.8, 'eps': 1.5}
  """
  flat = [(n, v) for n, v in flatten.flatten_with_name(metrics)
          if v is not None and getattr(v, 'size', 1) == 1]
  train = [(n, v) for n, v in flat if not n.startswith('evaluation/')]
  evaluation = [(n, v) for n, v in flat if n.startswith('evaluation/')]
  picks = {
      'loss': _pick(train, 'loss', 'client_work/train/loss'),
      'acc': _pick(train, 'accuracy'),
      'eval_loss': _pick([(n, v) for n, v in evaluation
                          if 'time_in_seconds' not in n], 'loss'),
      'eval_acc': _pick(evaluation, 'accuracy'),
      'eps': _pick(train, 'epsilon'),
  }
  result = {}
  for label, value in picks.items():
    try:
      result[label] = float(value)
    except (TypeError, ValueError):
      pass
  return result


def _duration(seconds: float) -> str:
  seconds = int(round(seconds))
  hours, rest = divmod(seconds, 3600)
  return f'{hours}:{rest // 60:02d}:{rest % 60:02d}'


class ProgressBar(release_manager.ReleaseManager):
  """Shows training progress on `file` (stderr) as rounds are released.

  Keys below 1 (round 0, the initial evaluation) only update the numbers
  shown. The first round released sets where the bar starts, so a resumed
  run starts its bar at the round it resumes from.

  Example:
    >>> import io
    >>> out = io.StringIO()
    >>> bar = ProgressBar(total_rounds=2, file=out, use_tqdm=False)
    >>> bar.release({'client_work': {'train': {'loss': 0.5}}}, key=1)
    >>> bar.release({'client_work': {'train': {'loss': 0.25}}}, key=2)
    >>> bar.close()
    >>> print(out.getvalue().splitlines()[-1])  # doctest: +ELLIPSIS
    [##############################] round 2/2 loss 0.2500 | ... rounds/s ETA 0:00:00
  """

  def __init__(self, total_rounds: int, *, file=None, min_interval: float =
               0.5, use_tqdm: bool | None = None, width: int = 30):
    self._total = int(total_rounds)
    self._file = file if file is not None else sys.stderr
    self._min_interval = min_interval
    self._width = width
    self._use_tqdm = use_tqdm
    self._tqdm = None
    self._start = time.time()
    self._first = None
    self._last_key = None
    self._last_print = None
    self._shown = {}
    self._closed = False

  def _tty(self) -> bool:
    isatty = getattr(self._file, 'isatty', None)
    return bool(isatty and isatty())

  def _make_tqdm(self, initial: int):
    if self._use_tqdm is False:
      return None
    try:
      import tqdm
    except ImportError:
      if self._use_tqdm:
        raise ImportError('ProgressBar(use_tqdm=True) needs tqdm: pip '
                          'install tqdm.') from None
      return None
    return tqdm.tqdm(total=self._total, initial=initial, file=self._file,
                     unit='round', dynamic_ncols=True)

  def release(self, value: Any, key: Any) -> None:
    self._shown.update(summarize(value))
    key = int(key)
    if key < 1:
      return
    if self._first is None:
      self._first = key
      self._tqdm = self._make_tqdm(key - 1)
    done = key - self._first + 1
    text = ' '.join(f'{k} {v:.4f}' for k, v in self._shown.items())
    if self._tqdm is not None:
      self._tqdm.update(key - (self._last_key or self._first - 1))
      self._tqdm.set_postfix_str(text, refresh=True)
      self._last_key = key
      return
    self._last_key = key
    elapsed = max(time.time() - self._start, 1e-9)
    rate = done / elapsed
    eta = max(self._total - key, 0) / rate
    filled = int(self._width * min(key, self._total) / max(self._total, 1))
    bar = '#' * filled + '.' * (self._width - filled)
    line = (f'[{bar}] round {key}/{self._total} {text} | {rate:.2f} '
            f'rounds/s ETA {_duration(eta)}')
    now = time.time()
    if self._tty():
      self._file.write('\r' + line + '\x1b[K')
      if key >= self._total:
        self._file.write('\n')
    elif (self._last_print is None or key >= self._total or
          now - self._last_print >= self._min_interval):
      self._file.write(line + '\n')
      self._last_print = now
    self._file.flush()

  def close(self) -> None:
    """Ends the bar (a newline on a terminal if the last round was not
    reached)."""
    if self._closed:
      return
    self._closed = True
    if self._tqdm is not None:
      self._tqdm.close()
    elif self._tty() and self._last_key is not None and (
        self._last_key < self._total):
      self._file.write('\n')
      self._file.flush()
