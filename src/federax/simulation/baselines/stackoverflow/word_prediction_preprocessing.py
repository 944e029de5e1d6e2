"""Stack Overflow posts to next-word examples (TFF's preprocessing).

A post's `tokens` (space separated) are cut to `sequence_length` words and
mapped to ids: the i-th vocabulary word is i + 1, other words fall into
one of `num_out_of_vocab_buckets` out-of-vocabulary ids, 0 is padding.
The ids are preceded by a beginning-of-sentence id and, when the post was
not cut, followed by an end-of-sentence id, zero padded to
`sequence_length + 1`, and split into `(x, y) = (ids[:-1], ids[1:])`,
int32 `[sequence_length]` each. TFF hashes out-of-vocabulary words into
buckets with its Fingerprint64; federax uses CRC-32 (with one bucket,
TFF's default, the two agree).
"""

from __future__ import annotations

import typing
import zlib

import numpy as np

DEFAULT_SEQUENCE_LENGTH = 20
DEFAULT_WORD_VOCAB_SIZE = 10000
DEFAULT_TAG_VOCAB_SIZE = 500


class SpecialTokens(typing.NamedTuple):
  """The ids preprocessing adds: padding, out-of-vocabulary (a list),
  beginning and end of sentence."""
  padding: int
  out_of_vocab: list
  beginning_of_sentence: int
  end_of_sentence: int

  def get_number_of_special_tokens(self) -> int:
    """3 plus the out-of-vocabulary buckets.

    Example:
      >>> get_special_tokens(10, 2).get_number_of_special_tokens()
      5
    """
    return 3 + len(self.out_of_vocab)


def get_special_tokens(vocab_size: int, num_out_of_vocab_buckets: int = 1):
  """TFF's special ids for a vocabulary of `vocab_size` words.

  Example:
    >>> get_special_tokens(10)
    SpecialTokens(padding=0, out_of_vocab=[11], beginning_of_sentence=12, end_of_sentence=13)
  """
  return SpecialTokens(
      padding=0,
      out_of_vocab=[vocab_size + 1 + n
                    for n in range(num_out_of_vocab_buckets)],
      beginning_of_sentence=vocab_size + num_out_of_vocab_buckets + 1,
      end_of_sentence=vocab_size + num_out_of_vocab_buckets + 2)


def build_to_ids_fn(vocab, max_sequence_length: int,
                    num_out_of_vocab_buckets: int = 1):
  """`example -> int32 ids [<= max_sequence_length + 1]` (unpadded).

  Example:
    >>> to_ids = build_to_ids_fn(['a', 'b'], 4)
    >>> to_ids({'tokens': b'b a zz'}).tolist()     # bos b a oov eos
    [4, 2, 1, 3, 5]
    >>> to_ids({'tokens': b'a a a a a'}).tolist()  # cut: no eos
    [4, 1, 1, 1, 1]
  """
  special = get_special_tokens(len(vocab), num_out_of_vocab_buckets)
  table = {w.encode() if isinstance(w, str) else bytes(w): i + 1
           for i, w in enumerate(vocab)}
  oov = special.out_of_vocab

  def word_id(word):
    found = table.get(word)
    if found is not None:
      return found
    return oov[zlib.crc32(word) % len(oov)]

  def to_ids(example):
    tokens = example['tokens']
    words = bytes(tokens).split(b' ')[:max_sequence_length]
    ids = [special.beginning_of_sentence] + [word_id(w) for w in words]
    if len(words) < max_sequence_length:
      ids.append(special.end_of_sentence)
    return np.asarray(ids, np.int32)

  return to_ids


def create_preprocess_fn(vocab, sequence_length: int = DEFAULT_SEQUENCE_LENGTH,
                         num_out_of_vocab_buckets: int = 1):
  """`Dataset -> Dataset`: posts to `(x, y)` int32 `[sequence_length]`.

  Example:
    >>> from federax.simulation.baselines import synthetic
    >>> fn = create_preprocess_fn(['how', 'to'], sequence_length=5)
    >>> x, y = next(iter(fn(synthetic.stackoverflow().create_dataset_for_client(
    ...     'synthetic_0'))))
    >>> x.tolist(), y.tolist()
    ([4, 1, 2, 3, 3], [1, 2, 3, 3, 3])
  """
  if not vocab:
    raise ValueError('create_preprocess_fn: vocab: expected at least one word, '
                     'got none.')
  for name, value in (('sequence_length', sequence_length),
                      ('num_out_of_vocab_buckets', num_out_of_vocab_buckets)):
    if not isinstance(value, int) or value < 1:
      raise ValueError(f'create_preprocess_fn: {name}: expected an int >= 1, '
                       f'got {value!r}.')
  to_ids = build_to_ids_fn(vocab, sequence_length, num_out_of_vocab_buckets)

  def to_example(example):
    padded = np.zeros(sequence_length + 1, np.int32)
    ids = to_ids(example)
    padded[:len(ids)] = ids
    return padded[:-1], padded[1:]

  return lambda dataset: dataset.map(to_example)
