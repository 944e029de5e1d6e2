"""Federated EMNIST (TFF's `tff.simulation.datasets.emnist`)."""

from __future__ import annotations

import numpy as np

from federax.simulation.datasets import tff_sqlite

FILENAME = 'emnist_all.sqlite.lzma'
ELEMENT_SPEC = {'label': np.int32, 'pixels': (np.float32, [28, 28])}


def load_data(only_digits: bool = True, cache_dir: str | None = None):
  """`(train, test)` `ClientData` of Federated EMNIST, as TFF has them.

  Examples are `{'label': int32, 'pixels': float32[28, 28]}`, pixels in
  [0, 1] with 1.0 the background (the inverse of MNIST's convention).
  Writers are clients; each writer's examples are split across train and
  test. `only_digits=True`: 3,383 clients, 10 classes (341,873 train /
  40,832 test examples); False: 3,400 clients, 62 classes (digits, then
  upper case, then lower case letters; 671,585 / 77,483). Downloaded once
  (`emnist_all.sqlite.lzma`, splits `digits_only_train/test` and
  `all_train/test`) into `cache_dir` (see `download`).

  Example:
    >>> train, test = load_data(only_digits=True)  # doctest: +SKIP
    >>> print(train.element_type_structure)  # doctest: +SKIP
    <label=int32,pixels=float32[28,28]>
  """
  prefix = 'digits_only' if only_digits else 'all'
  return tff_sqlite.load_splits(FILENAME, [f'{prefix}_train',
                                           f'{prefix}_test'],
                                ELEMENT_SPEC, cache_dir)
