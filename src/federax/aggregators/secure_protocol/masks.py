"""Masks expanded from seeds, and vector arithmetic modulo `R`.

Vectors are `uint64` arrays of residues in `[0, R)` with `R <= 2**62`, so
a sum of two residues never overflows. A mask is `PRG(seed)`: the seed (32
bytes, from a hash of an agreed DH secret or a client's own random seed)
keys numpy's Philox counter-based generator, which draws integers uniform
in `[0, R)`.
"""

from __future__ import annotations

import numpy as np

MAX_MODULUS = 2**62


def check_modulus(modulus: int, what: str) -> int:
  """`modulus` as an int in `[1, 2**62]`, or a ValueError naming `what`.

  Example:
    >>> from federax.aggregators.secure_protocol import masks
    >>> masks.check_modulus(2**63, 'modulus')
    Traceback (most recent call last):
    ...
    ValueError: modulus: the masked protocol sums modulo at most 2**62, got 2**63. ...
  """
  modulus = int(modulus)
  if not 1 <= modulus <= MAX_MODULUS:
    shown = (f'2**{modulus.bit_length() - 1}'
             if modulus > 0 and modulus & (modulus - 1) == 0 else modulus)
    raise ValueError(
        f'{what}: the masked protocol sums modulo at most 2**62, got '
        f'{shown}. Use a smaller bitwidth (at most 62 minus the bits the '
        f'cohort adds) or modulus.')
  return modulus


def expand(seed: bytes, size: int, modulus: int) -> np.ndarray:
  """`size` pseudorandom residues modulo `modulus` from a 32-byte `seed`.

  Example:
    >>> from federax.aggregators.secure_protocol import masks
    >>> m = masks.expand(b'k' * 32, 5, 7)
    >>> m.dtype, bool((m < 7).all()), bool((m == masks.expand(b'k' * 32, 5, 7)).all())
    (dtype('uint64'), True, True)
  """
  key = int.from_bytes(seed[:16], 'big')
  counter = int.from_bytes(seed[16:32], 'big')
  generator = np.random.Generator(
      np.random.Philox(key=key, counter=[counter & 2**64 - 1,
                                         counter >> 64, 0, 0]))
  return generator.integers(0, modulus, size=size, dtype=np.uint64)


def add(a: np.ndarray, b: np.ndarray, modulus: int) -> np.ndarray:
  """`(a + b) mod R` of residues.

  Example:
    >>> import numpy as np
    >>> from federax.aggregators.secure_protocol import masks
    >>> masks.add(np.array([5], np.uint64), np.array([4], np.uint64), 7).tolist()
    [2]
  """
  return (a + b) % np.uint64(modulus)


def subtract(a: np.ndarray, b: np.ndarray, modulus: int) -> np.ndarray:
  """`(a - b) mod R` of residues.

  Example:
    >>> import numpy as np
    >>> from federax.aggregators.secure_protocol import masks
    >>> masks.subtract(np.array([1], np.uint64), np.array([4], np.uint64),
    ...                7).tolist()
    [4]
  """
  m = np.uint64(modulus)
  return (a + (m - b)) % m
