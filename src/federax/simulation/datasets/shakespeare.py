"""Federated Shakespeare (TFF's `tff.simulation.datasets.shakespeare`)."""

from __future__ import annotations

from federax.simulation.datasets import tff_sqlite

FILENAME = 'shakespeare.sqlite.lzma'
ELEMENT_SPEC = {'snippets': str}


def load_data(cache_dir: str | None = None):
  """`(train, test)` `ClientData` of the Shakespeare dataset (LEAF).

  715 clients (characters of the plays); each example is
  `{'snippets': bytes}`, a contiguous run of a character's lines
  (16,068 train / 2,356 test examples). Downloaded once
  (`shakespeare.sqlite.lzma`).

  Example:
    >>> train, test = load_data()  # doctest: +SKIP
  """
  return tff_sqlite.load_splits(FILENAME, ['train', 'test'], ELEMENT_SPEC,
                                cache_dir)
