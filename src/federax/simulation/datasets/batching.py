"""`Dataset.batch`, `padded_batch` and `unbatch`."""

from __future__ import annotations

import collections.abc
import math

import numpy as np

from federax.simulation.datasets import _ops
from federax.simulation.datasets import elements


def _chunks(ds, epoch, batch_size, drop_remainder):
  """Lists of examples, or index arrays for arrays-backed datasets."""
  if ds._table is not None:  # pylint: disable=protected-access
    index = ds._index(epoch)  # pylint: disable=protected-access
    stop = len(index) - (len(index) % batch_size if drop_remainder else 0)
    for start in range(0, stop, batch_size):
      yield index[start:start + batch_size]
  else:
    yield from _ops.batches(ds._iterate(epoch), batch_size, drop_remainder)  # pylint: disable=protected-access


def _stacked(ds, chunk):
  if isinstance(chunk, np.ndarray):
    return elements.tree_map(lambda a: a[chunk], ds._table)  # pylint: disable=protected-access
  spec = ds.element_spec if ds._spec is not None else elements.spec_of(  # pylint: disable=protected-access
      chunk[0])
  return elements.stack(chunk, spec)


def _length(ds, batch_size, drop_remainder):
  n = ds._length  # pylint: disable=protected-access
  if n is None or n == math.inf:
    return n
  return n // batch_size if drop_remainder else -(-n // batch_size)


def batch(ds, batch_size: int, drop_remainder: bool = False):
  """See `Dataset.batch`."""
  batch_size = _ops.check_count(batch_size, 'batch_size', 'batch', minimum=1)
  return ds._derive(  # pylint: disable=protected-access
      lambda epoch: (_stacked(ds, c) for c in _chunks(ds, epoch, batch_size,
                                                      drop_remainder)),
      _length(ds, batch_size, drop_remainder),
      lambda: elements.batched_spec(ds.element_spec, batch_size if
                                    drop_remainder else None))


def _pad(x, rows: int):
  if rows == 0:
    return x
  if x.dtype == object:
    return np.concatenate([x, np.full(rows, b'', dtype=object)])
  return np.concatenate([x, np.zeros((rows,) + x.shape[1:], x.dtype)])


def padded_batch(ds, batch_size: int, mask_key: str = 'mask'):
  """See `Dataset.padded_batch`."""
  batch_size = _ops.check_count(batch_size, 'batch_size', 'padded_batch',
                                minimum=1)

  def padded(chunk):
    stacked = _stacked(ds, chunk)
    n = len(chunk)
    stacked = elements.tree_map(lambda x: _pad(x, batch_size - n), stacked)
    mask = (np.arange(batch_size) < n).astype(np.float32)
    if isinstance(stacked, collections.abc.Mapping):
      if mask_key in stacked:
        raise ValueError(
            f'Dataset.padded_batch: mask_key: the examples already have a '
            f'{mask_key!r} feature; pass another name, e.g. '
            f'padded_batch({batch_size}, mask_key="padding_mask").')
      return type(stacked)({**stacked, mask_key: mask}) if type(
          stacked) is not dict else {**stacked, mask_key: mask}
    return stacked, mask

  return ds._derive(  # pylint: disable=protected-access
      lambda epoch: (padded(c) for c in _chunks(ds, epoch, batch_size, False)),
      _length(ds, batch_size, False))


def unbatch(ds):
  """See `Dataset.unbatch`."""
  def iterate(epoch):
    for b in ds._iterate(epoch):  # pylint: disable=protected-access
      n = np.shape(elements.leaves(b)[0])[0]
      for i in range(n):
        yield elements.row(b, i)
  return ds._derive(iterate, None)  # pylint: disable=protected-access
