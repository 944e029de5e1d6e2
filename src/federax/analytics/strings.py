"""Strings as fixed-length byte arrays, so that sketches run vectorized.

The vectorized backend works on arrays; a string tensor would send a
computation to the interpreter. Client strings are therefore encoded on the
Python side, before the computation: UTF-8, truncated to `max_bytes` at a
character boundary, padded with zero bytes to `uint8[max_bytes]`. Decoding
strips the trailing zeros (so a string may not end in NUL characters).
"""

from __future__ import annotations

import numbers

import numpy as np


def _check_max_bytes(max_bytes, who: str) -> int:
  if isinstance(max_bytes, bool) or not isinstance(
      max_bytes, numbers.Integral) or max_bytes < 1:
    raise ValueError(f'{who}: max_bytes: expected an int >= 1 (the longest '
                     f'string in bytes), got {max_bytes!r}.')
  return int(max_bytes)


def _truncate(data: bytes, max_bytes: int) -> bytes:
  """`data` cut to at most `max_bytes` without splitting a UTF-8 character."""
  if len(data) <= max_bytes:
    return data
  cut = max_bytes
  while cut > 0 and (data[cut] & 0xC0) == 0x80:  # a continuation byte
    cut -= 1
  return data[:cut]


def encode_strings(strings, max_bytes: int) -> np.ndarray:
  """`uint8[len(strings), max_bytes]`: UTF-8 bytes, truncated, zero-padded.

  `bytes` are taken as they are (truncated to `max_bytes`); `str` are
  encoded as UTF-8 and truncated at a character boundary.

  Example:
    >>> from federax import analytics
    >>> analytics.encode_strings(['hi', 'héllo'], 4).tolist()
    [[104, 105, 0, 0], [104, 195, 169, 108]]
  """
  max_bytes = _check_max_bytes(max_bytes, 'encode_strings')
  if isinstance(strings, (str, bytes)):
    raise TypeError(f'encode_strings: strings: expected a list of strings, '
                    f'got one {type(strings).__name__} {strings!r}. Wrap it '
                    f'in a list.')
  strings = list(strings)
  out = np.zeros((len(strings), max_bytes), np.uint8)
  for i, s in enumerate(strings):
    if isinstance(s, str):
      data = _truncate(s.encode('utf-8'), max_bytes)
    elif isinstance(s, (bytes, bytearray)):
      data = bytes(s)[:max_bytes]
    else:
      raise TypeError(f'encode_strings: strings[{i}]: expected str or bytes, '
                      f'got {type(s).__name__} {s!r}.')
    out[i, :len(data)] = np.frombuffer(data, np.uint8)
  return out


def decode_strings(encoded, as_bytes: bool = False) -> list:
  """The strings of `encode_strings`' rows (trailing zero bytes stripped).

  Bytes that are not valid UTF-8 (e.g. a truncated key decoded from a
  noisy sketch) are replaced with U+FFFD; `as_bytes=True` returns `bytes`.

  Example:
    >>> from federax import analytics
    >>> analytics.decode_strings(analytics.encode_strings(['a', 'bc'], 3))
    ['a', 'bc']
  """
  encoded = np.asarray(encoded, np.uint8)
  if encoded.ndim != 2:
    raise ValueError(f'decode_strings: encoded: expected uint8[n, max_bytes],'
                     f' got shape {list(encoded.shape)}.')
  rows = [bytes(row).rstrip(b'\x00') for row in encoded]
  if as_bytes:
    return rows
  return [row.decode('utf-8', errors='replace') for row in rows]


def encode_client_strings(client_strings, max_bytes: int) -> list:
  """One `encode_strings` array per client: the form sketches take.

  Example:
    >>> from federax import analytics
    >>> [a.shape for a in analytics.encode_client_strings([['a', 'b'], []], 8)]
    [(2, 8), (0, 8)]
  """
  if isinstance(client_strings, (str, bytes)):
    raise TypeError('client_strings: expected a list with one list of '
                    'strings per client, got a single string.')
  return [encode_strings(strings, max_bytes) for strings in client_strings]
