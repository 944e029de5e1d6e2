"""Iterator transformations behind `Dataset`'s methods.

Each is a pure generator function over an iterable; the same functions
reorder example indices (for datasets backed by arrays) and examples
(for the others), so both orders agree.
"""

from __future__ import annotations

import itertools

import numpy as np


def rng(seed: int, epoch: tuple, reshuffle: bool) -> np.random.Generator:
  """The generator of a shuffle: fixed by the seed, and the epoch if asked."""
  return np.random.default_rng([seed, *epoch] if reshuffle else [seed])


def shuffle(items, buffer_size: int, generator: np.random.Generator):
  """tf.data's buffered shuffle: yield a random element of a buffer of
  `buffer_size`, refilled from the input. When everything fits in the
  buffer this is one uniform permutation."""
  it = iter(items)
  buffer = list(itertools.islice(it, buffer_size))
  if len(buffer) == buffer_size:
    for x in it:
      j = int(generator.integers(buffer_size))
      yield buffer[j]
      buffer[j] = x
  for j in generator.permutation(len(buffer)):
    yield buffer[j]


def shuffle_index(index: np.ndarray, buffer_size: int,
                  generator: np.random.Generator) -> np.ndarray:
  """`shuffle` on an index array (what `shuffle` yields, faster)."""
  if buffer_size >= len(index):
    return index[generator.permutation(len(index))]
  return np.fromiter(shuffle(index, buffer_size, generator), index.dtype,
                     len(index))


def repeat(iterate, epoch: tuple, count: int | None):
  """`iterate(epoch + (k,))` for k = 0, 1, ... (`count` times, or forever
  while a pass yields anything)."""
  for k in itertools.count() if count is None else range(count):
    empty = True
    for x in iterate(epoch + (k,)):
      empty = False
      yield x
    if empty:
      return


def batches(items, batch_size: int, drop_remainder: bool):
  """Lists of `batch_size` consecutive items (the last may be shorter)."""
  it = iter(items)
  while True:
    chunk = list(itertools.islice(it, batch_size))
    if not chunk or (drop_remainder and len(chunk) < batch_size):
      return
    yield chunk


def check_count(value, name: str, method: str, allow_none=False,
                minimum: int = 0):
  """Validates an int argument of a `Dataset` method."""
  if value is None and allow_none:
    return None
  if (not isinstance(value, (int, np.integer)) or isinstance(value, bool) or
      value < minimum):
    expected = f'an int >= {minimum}' + (' or None' if allow_none else '')
    raise ValueError(f'Dataset.{method}: {name}: expected {expected}, got '
                     f'{value!r}.')
  return int(value)


def check_seed(seed, method: str) -> int:
  """A non-negative int seed; None draws one now (fixed from then on)."""
  if seed is None:
    return int(np.random.SeedSequence().entropy % 2**63)
  if (not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or
      seed < 0):
    raise TypeError(f'{method}: seed: expected None or an int >= 0, got '
                    f'{seed!r}.')
  return int(seed)
