"""Reading a run's metrics CSV back, and plotting loss and accuracy.

`read_metrics(path)` returns the CSV's rows as `{column: float}` by round;
`plot_metrics(rows, path, title)` draws training and test loss and
accuracy per round into a PNG with matplotlib (imported here, lazily; the
`plot` extra installs it). "Accuracy" is the model's first metric with
`accuracy` in its name (`accuracy`, `sparse_categorical_accuracy`, ...),
else its first metric (e.g. `recall_at_5`): `metric_column` finds it.

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
  >>> metric_column(rows, TEST)
  'evaluation/accuracy'
"""

from __future__ import annotations

import csv
import os

TRAIN, TEST = 'client_work/train/', 'evaluation/'
TRAIN_LOSS, TEST_LOSS = TRAIN + 'loss', TEST + 'loss'
EPSILON = 'epsilon'
_NOT_METRICS = ('loss', 'num_examples', 'num_batches')


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


def metric_column(rows: dict, prefix: str) -> str | None:
  """The accuracy-like column under `prefix` (`TRAIN` or `TEST`), if any."""
  names = list(dict.fromkeys(n for v in rows.values() for n in v))
  names = [n for n in names if n.startswith(prefix) and '/' not in
           n[len(prefix):] and n[len(prefix):] not in _NOT_METRICS and
           not n.endswith('time_in_seconds')]
  accuracy = [n for n in names if 'accuracy' in n[len(prefix):]]
  return (accuracy or names or [None])[0]


def plot_metrics(rows: dict, path: str, title: str = '') -> str:
  """Draws loss and accuracy per round into the PNG `path`; returns it."""
  import matplotlib
  matplotlib.use('Agg')
  from matplotlib import pyplot
  figure, (loss_ax, acc_ax) = pyplot.subplots(1, 2, figsize=(10, 4))
  train_metric, test_metric = (metric_column(rows, TRAIN),
                               metric_column(rows, TEST))
  metric = (test_metric or train_metric or 'accuracy').rsplit('/', 1)[-1]
  try:
    for axes, columns, label in (
        (loss_ax, ((TRAIN_LOSS, 'train'), (TEST_LOSS, 'test')), 'loss'),
        (acc_ax, ((train_metric, 'train'), (test_metric, 'test')), metric)):
      for column, name in columns:
        rounds, values = series(rows, column) if column else ([], [])
        if rounds:
          axes.plot(rounds, values, marker='.', label=name)
      axes.set_xlabel('round')
      axes.set_ylabel(label)
      axes.grid(alpha=0.3)
      if axes.lines:
        axes.legend()
    _, values = series(rows, test_metric) if test_metric else ([], [])
    if values:
      acc_ax.set_title(f'final test {metric} {values[-1]:.3f}')
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
