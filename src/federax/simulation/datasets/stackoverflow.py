"""Federated Stack Overflow (TFF's `tff.simulation.datasets.stackoverflow`)."""

from __future__ import annotations

import numpy as np

from federax.simulation.datasets import tff_sqlite

FILENAME = 'stackoverflow.sqlite.lzma'
ELEMENT_SPEC = {'creation_date': str, 'score': np.int64, 'tags': str,
                'title': str, 'tokens': str, 'type': str}


def load_data(cache_dir: str | None = None):
  """`(train, held_out, test)` `ClientData` of Stack Overflow posts.

  Clients are users; each example is a question or answer:
  `creation_date`, `tags` ('|'-separated), `title`, `tokens`
  (space-separated), `type` ('question' or 'answer') as bytes, and
  `score` int64. Train: before 2018 except held-out users (342,477
  users); held out: users with id % 10 == 0; test: after 2018. A large
  download (`stackoverflow.sqlite.lzma`, splits `train`, `heldout`,
  `test`). TFF's word and tag count files are not provided.

  Example:
    >>> train, held_out, test = load_data()  # doctest: +SKIP
  """
  return tff_sqlite.load_splits(FILENAME, ['train', 'heldout', 'test'],
                                ELEMENT_SPEC, cache_dir)
