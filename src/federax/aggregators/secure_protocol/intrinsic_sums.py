"""The secure-sum intrinsics' semantics on top of a vector-summing protocol.

Each tensor of the value is summed modulo a ring `R` that the intrinsic
and its bound imply; tensors sharing a ring go through one protocol run as
one concatenated vector. Results come back in the value's dtypes.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from federax.aggregators.secure_protocol import masks
from federax.core import types

MODULAR = 'federated_secure_modular_sum'
BITWIDTH = 'federated_secure_sum_bitwidth'
MAX_INPUT = 'federated_secure_sum'


def _leaf_types(t: types.Type) -> list:
  if isinstance(t, types.StructType):
    return [leaf for e in t for leaf in _leaf_types(e)]
  return [t]


def _flatten(value, t: types.Type) -> list:
  if isinstance(t, types.StructType):
    return [leaf for v, e in zip(value, t) for leaf in _flatten(v, e)]
  return [value]


def _unflatten(leaves, t: types.Type):
  if isinstance(t, types.StructType):
    return tuple(_unflatten(leaves, e) for e in t)
  return next(leaves)


def _bounds(bound, t: types.Type) -> list:
  """One bound per tensor: a struct of bounds matches the value's."""
  if isinstance(bound, (tuple, list)):
    if not isinstance(t, types.StructType) or len(bound) != len(t):
      raise ValueError(f'bound: a struct of bounds must match the value '
                       f'{t}, got {bound!r}.')
    return [b for v, e in zip(bound, t) for b in _bounds(v, e)]
  return [int(np.asarray(bound))] * len(_leaf_types(t))


def ring_modulus(uri: str, bound: int, num_clients: int) -> int:
  """The modulus a call of `uri` with `bound` sums modulo.

  Example:
    >>> from federax.aggregators.secure_protocol import intrinsic_sums as s
    >>> s.ring_modulus('federated_secure_sum_bitwidth', 8, 5)  # 2**(8 + 3)
    2048
    >>> s.ring_modulus('federated_secure_sum', 10, 3)
    32
    >>> s.ring_modulus('federated_secure_sum_bitwidth', 0, 5)
    Traceback (most recent call last):
    ...
    ValueError: federated_secure_sum_bitwidth(bitwidth): expected a bitwidth in [1, 62], got 0.
  """
  if uri == MODULAR:
    if bound < 1:
      raise ValueError(f'{uri}(modulus): expected a modulus >= 1, got '
                       f'{bound}.')
    return masks.check_modulus(bound, f'{uri}(modulus)')
  if uri == BITWIDTH:
    if not 1 <= bound <= 62:
      raise ValueError(f'{uri}(bitwidth): expected a bitwidth in [1, 62], '
                       f'got {bound}.')
    extra = math.ceil(math.log2(num_clients)) if num_clients > 1 else 0
    return masks.check_modulus(2**(bound + extra),
                               f'{uri}(bitwidth={bound}) with '
                               f'{num_clients} clients')
  if uri == MAX_INPUT:
    if bound < 0:
      raise ValueError(f'{uri}(max_input): expected a max_input >= 0, got '
                       f'{bound}.')
    return masks.check_modulus(1 << (num_clients * bound).bit_length(),
                               f'{uri}(max_input={bound}) with '
                               f'{num_clients} clients')
  raise ValueError(f'{uri} is not a secure-sum intrinsic.')


def _residues(x, modulus: int) -> np.ndarray:
  x = np.asarray(x).reshape(-1)
  if x.dtype == np.uint64:
    return x % np.uint64(modulus)
  return np.mod(x.astype(np.int64), np.int64(modulus)).astype(np.uint64)


def secure_sum(sum_vectors: Callable, uri: str, values: list, bound,
               value_type: types.Type):
  """The intrinsic's result, with `sum_vectors(vectors, modulus)` summing.

  Example:
    >>> import numpy as np, federax as fx
    >>> from federax.aggregators.secure_protocol import intrinsic_sums as s
    >>> plain = lambda vectors, r: sum(vectors) % np.uint64(r)
    >>> s.secure_sum(plain, 'federated_secure_modular_sum',
    ...              [np.int32(4), np.int32(5)], 7, fx.TensorType(np.int32))
    array(2, dtype=int32)
  """
  leaf_types = _leaf_types(value_type)
  n = len(values)
  moduli = [ring_modulus(uri, b, n) for b in _bounds(bound, value_type)]
  if n == 0:
    return _unflatten(iter([np.zeros(t.shape, t.dtype) for t in leaf_types]),
                      value_type)
  per_client = [_flatten(v, value_type) for v in values]
  results = [None] * len(leaf_types)
  for modulus in sorted(set(moduli)):
    group = [i for i, m in enumerate(moduli) if m == modulus]
    vectors = [np.concatenate([_residues(leaves[i], modulus) for i in group])
               for leaves in per_client]
    total = sum_vectors(vectors, modulus)
    start = 0
    for i in group:
      t = leaf_types[i]
      size = math.prod(t.shape)
      part = total[start:start + size].astype(np.int64)
      results[i] = part.astype(t.dtype).reshape(t.shape)
      start += size
  return _unflatten(iter(results), value_type)
