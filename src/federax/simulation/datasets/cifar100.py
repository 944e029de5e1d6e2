"""Federated CIFAR-100 (TFF's `tff.simulation.datasets.cifar100`)."""

from __future__ import annotations

import numpy as np

from federax.simulation.datasets import tff_sqlite

FILENAME = 'cifar100.sqlite.lzma'
ELEMENT_SPEC = {'coarse_label': np.int64, 'image': (np.uint8, [32, 32, 3]),
                'label': np.int64}


def load_data(cache_dir: str | None = None):
  """`(train, test)` `ClientData` of CIFAR-100 split by TFF's Pachinko
  allocation: 500 train clients and 100 test clients of 100 images each.

  Examples are `{'coarse_label': int64, 'image': uint8[32, 32, 3],
  'label': int64}`. Downloaded once (`cifar100.sqlite.lzma`).

  Example:
    >>> train, test = load_data()  # doctest: +SKIP
  """
  return tff_sqlite.load_splits(FILENAME, ['train', 'test'], ELEMENT_SPEC,
                                cache_dir)
