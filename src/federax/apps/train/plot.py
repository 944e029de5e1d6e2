"""Reading a run's metrics CSV back, and plotting loss and accuracy.

`read_metrics(path)` returns the CSV's rows as `{column: float}` by round;
`plot_metrics(rows, path, title)` draws training and test loss and
accuracy per round into a PNG with matplotlib (imported here, lazily; the
`plot` extra installs it).

Example:
  >>> import os, tempfile
  >>> path = os.path.join(tempfile.mkdtemp(), 'metrics.csv')
  >>> with open(path, 'w') as f:
  ...   _ = f.write('key,client_work/train/loss,evaluation/accuracy\\n'
  ...               '0,,0.1\\n1,2.0,0.5\\n')
  >>> rows = read_metrics(path)
  >>> rows[1]
  {'client_work/train/loss': 2.0, 'evaluation/accuracy': 0.5}
  >>> series(rows, 'evaluation/accuracy')
  ([0, 1], [0.1, 0.5])
"""

from __future__ import annotations

import csv
import os

TRAIN_LOSS = 'client_work/train/loss'
TRAIN_ACCURACY = 'client_work/train/accuracy'
TEST_LOSS = 'evaluation/loss'
TEST_ACCURACY = 'evaluation/accuracy'
EPSILON = 'epsilon'


def read_metrics(path: str) -> dict:
  """`{round: {column: value}}` of a metrics CSV (numeric cells only)."""
  if not os.path.exists(path):
    return {}
  rows = {}
  with open(path, newline='', encoding='utf-8') as f:
    for row in csv.DictReader(f):
      values = {}
      for name, cell in row.items():
        if name == 'key' or cell in (None, ''):
          continue
        try:
          values[name] = float(cell)
        except ValueError:
          continue
      rows[int(row['key'])] = values
  return dict(sorted(rows.items()))


def series(rows: dict, column: str) -> tuple:
  """`(rounds, values)` of the rounds that have `column`."""
  pairs = [(r, v[column]) for r, v in rows.items() if column in v]
  return [r for r, _ in pairs], [v for _, v in pairs]


def plot_metrics(rows: dict, path: str, title: str = '') -> str:
  """Draws loss and accuracy per round into the PNG `path`; returns it."""
  import matplotlib
  matplotlib.use('Agg')
  from matplotlib import pyplot
  figure, (loss_ax, acc_ax) = pyplot.subplots(1, 2, figsize=(10, 4))
  try:
    for axes, columns, label in (
        (loss_ax, ((TRAIN_LOSS, 'train'), (TEST_LOSS, 'test')), 'loss'),
        (acc_ax, ((TRAIN_ACCURACY, 'train'), (TEST_ACCURACY, 'test')),
         'accuracy')):
      for column, name in columns:
        rounds, values = series(rows, column)
        if rounds:
          axes.plot(rounds, values, marker='.', label=name)
      axes.set_xlabel('round')
      axes.set_ylabel(label)
      axes.grid(alpha=0.3)
      if axes.lines:
        axes.legend()
    _, accuracy = series(rows, TEST_ACCURACY)
    if accuracy:
      acc_ax.set_title(f'final test accuracy {accuracy[-1]:.3f}')
    _, epsilon = series(rows, EPSILON)
    if epsilon:
      loss_ax.set_title(f'epsilon {epsilon[-1]:.2f}')
    if title:
      figure.suptitle(title)
    figure.tight_layout()
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    figure.savefig(path, dpi=100)
  finally:
    pyplot.close(figure)
  return path
