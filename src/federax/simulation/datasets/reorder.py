"""`Dataset.shuffle`, `repeat`, `take` and `skip`.

On a dataset backed by arrays these reorder an index array (so the
stacked form is one gather); on any other they transform the iterator.
Both give the same examples in the same order.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from federax.simulation.datasets import _ops


def _table(ds, index_fn, length):
  return type(ds)._from_table(ds._table, index_fn, length)  # pylint: disable=protected-access


def shuffle(ds, buffer_size, seed, reshuffle_each_iteration):
  """See `Dataset.shuffle`."""
  buffer_size = _ops.check_count(buffer_size, 'buffer_size', 'shuffle',
                                 minimum=1)
  seed = _ops.check_seed(seed, 'Dataset.shuffle')
  if ds._table is not None:  # pylint: disable=protected-access
    return _table(ds, lambda epoch: _ops.shuffle_index(
        ds._index(epoch), buffer_size,  # pylint: disable=protected-access
        _ops.rng(seed, epoch, reshuffle_each_iteration)), ds._length)  # pylint: disable=protected-access
  return ds._derive(  # pylint: disable=protected-access
      lambda epoch: _ops.shuffle(
          ds._iterate(epoch), buffer_size,  # pylint: disable=protected-access
          _ops.rng(seed, epoch, reshuffle_each_iteration)),
      ds._length, ds._spec)  # pylint: disable=protected-access


def repeat(ds, count):
  """See `Dataset.repeat`."""
  count = _ops.check_count(count, 'count', 'repeat', allow_none=True)
  n = ds._length  # pylint: disable=protected-access
  length = (math.inf if count is None else n * count) if n is not None else (
      None)
  if n == 0 or count == 0:
    length = 0
  if ds._table is not None and count is not None:  # pylint: disable=protected-access
    def index_fn(epoch):
      return np.concatenate([ds._index(epoch + (k,)) for k in range(count)]  # pylint: disable=protected-access
                            or [np.zeros(0, np.int64)])
    return _table(ds, index_fn, length)
  return ds._derive(  # pylint: disable=protected-access
      lambda epoch: _ops.repeat(ds._iterate, epoch, count), length,  # pylint: disable=protected-access
      ds._spec)  # pylint: disable=protected-access


def take(ds, count):
  """See `Dataset.take`."""
  count = _ops.check_count(count, 'count', 'take')
  n = ds._length  # pylint: disable=protected-access
  length = None if n is None else min(count, n)
  if ds._table is not None:  # pylint: disable=protected-access
    return _table(ds, lambda epoch: ds._index(epoch)[:count], length)  # pylint: disable=protected-access
  return ds._derive(  # pylint: disable=protected-access
      lambda epoch: itertools.islice(ds._iterate(epoch), count), length,  # pylint: disable=protected-access
      ds._spec)  # pylint: disable=protected-access


def skip(ds, count):
  """See `Dataset.skip`."""
  count = _ops.check_count(count, 'count', 'skip')
  n = ds._length  # pylint: disable=protected-access
  length = None if n is None else max(n - count, 0)
  if ds._table is not None:  # pylint: disable=protected-access
    return _table(ds, lambda epoch: ds._index(epoch)[count:], length)  # pylint: disable=protected-access
  return ds._derive(  # pylint: disable=protected-access
      lambda epoch: itertools.islice(ds._iterate(epoch), count, None),  # pylint: disable=protected-access
      length, ds._spec)  # pylint: disable=protected-access
