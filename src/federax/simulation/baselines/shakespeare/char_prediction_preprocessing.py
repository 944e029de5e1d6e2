"""Shakespeare snippets to next-character examples (TFF's preprocessing).

Each snippet (bytes) becomes character ids: a byte of `CHAR_VOCAB` at index
i is id i + 1, any other byte the out-of-vocabulary id; 0 is padding. The
ids are framed by beginning- and end-of-snippet ids, padded with 0 to a
multiple of `sequence_length + 1`, and cut into rows of that length; each
row gives one example `(x, y) = (row[:-1], row[1:])`, int32
`[sequence_length]` each: predict every next character.
"""

from __future__ import annotations

import numpy as np

DEFAULT_SEQUENCE_LENGTH = 80  # McMahan et al., AISTATS 2017.
# The vocabulary of TFF's text generation tutorial, in TFF's order.
CHAR_VOCAB = list(
    'dhlptx@DHLPTX $(,048cgkoswCGKOSW[_#\'/37;?bfjnrvzBFJNRVZ"&*.26:\naeimquy'
    'AEIMQUY]!%)-159\r')


def get_special_tokens():
  """`(pad, oov, bos, eos)`: the ids preprocessing adds (TFF's).

  Example:
    >>> get_special_tokens()
    (0, 87, 88, 89)
  """
  vocab_size = len(CHAR_VOCAB)
  return 0, vocab_size + 1, vocab_size + 2, vocab_size + 3


def _byte_table() -> np.ndarray:
  _, oov, _, _ = get_special_tokens()
  table = np.full(256, oov, np.int32)
  for i, char in enumerate(CHAR_VOCAB):
    table[ord(char)] = i + 1
  return table


_TABLE = _byte_table()


def to_ids(snippet: bytes) -> np.ndarray:
  """The character ids of a snippet, framed by bos and eos.

  Example:
    >>> to_ids(b'da\\xff').tolist()   # 'd' is CHAR_VOCAB[0]; 0xff is unknown
    [88, 1, 64, 87, 89]
  """
  _, _, bos, eos = get_special_tokens()
  ids = _TABLE[np.frombuffer(bytes(snippet), np.uint8)]
  return np.concatenate([[bos], ids, [eos]]).astype(np.int32)


def to_sequences(snippet: bytes, sequence_length: int) -> np.ndarray:
  """`[n, sequence_length + 1]` rows of a snippet's ids, zero padded.

  Example:
    >>> to_sequences(b'dhl', 2).tolist()
    [[88, 1, 2], [3, 89, 0]]
  """
  ids = to_ids(snippet)
  split = sequence_length + 1
  padded = np.zeros(-(-len(ids) // split) * split, np.int32)
  padded[:len(ids)] = ids
  return padded.reshape(-1, split)


def create_preprocess_fn(sequence_length: int = DEFAULT_SEQUENCE_LENGTH):
  """`Dataset -> Dataset`: `{'snippets'}` to `(x, y)` int32 sequences.

  Example:
    >>> from federax.simulation.baselines import synthetic
    >>> data = synthetic.shakespeare().preprocess(create_preprocess_fn(20))
    >>> print(data.element_type_structure)
    <int32[20],int32[20]>
  """
  if not isinstance(sequence_length, int) or sequence_length < 1:
    raise ValueError(f'create_preprocess_fn: sequence_length: expected an '
                     f'int >= 1, got {sequence_length!r}.')

  def preprocess_fn(dataset):
    return dataset.map(
        lambda e: to_sequences(e['snippets'], sequence_length)).unbatch().map(
            lambda row: (row[:-1], row[1:]))

  return preprocess_fn
