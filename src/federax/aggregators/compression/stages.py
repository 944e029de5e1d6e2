"""Built-in encoding stages: uniform quantization and top-k sparsification.

`UniformQuantizationStage(bits)` sends each float tensor as `bits`-bit
codes of a uniform grid, rounded stochastically so that the decoded value
is unbiased; the grid spans either the client's own min and max (sent
along, 64 bits per tensor; decoded per client) or a fixed range
`[-clip, clip]` known to all (decoding is linear: the codes are summed and
decoded once). `TopKStage(k)` sends the `k` coordinates of largest
magnitude and their positions.
"""

from __future__ import annotations

import copy
import math

import numpy as np

from federax.aggregators.compression import common
from federax.aggregators.compression import encoding_stage
from federax.aggregators.compression import rounding
from federax.core import jax_support

MAX_BITS = 16


def _size(x) -> int:
  return int(np.prod(x.shape, dtype=np.int64))


def _bound(stage, value_spec):
  """A copy of `stage` holding the value's tree structure and leaf specs."""
  jax = jax_support.jax()
  bound = copy.copy(stage)
  bound._leaves, bound._treedef = jax.tree_util.tree_flatten(value_spec)
  return bound


class UniformQuantizationStage(encoding_stage.EncodingStage):
  """`bits`-bit uniform quantization of each float tensor (1 to 16 bits).

  Tensors with at most `threshold` elements are sent unchanged. Each other
  tensor `x` is mapped to `2**bits` levels spread evenly over a range:
  with `clip=None`, the client's own `[min(x), max(x)]` (sent with the
  codes as two float32: the stage then does not commute with sum); with a
  `clip`, `[-clip, clip]` for every client (values beyond it are clipped;
  the stage commutes with sum, its codes can go through a secure or
  modular sum). Rounding to a level is stochastic and unbiased
  (`stochastic=True`), or to the nearest level. Bits: `bits` per element
  of a quantized tensor, plus 64 per tensor with `clip=None`.

  Example:
    >>> import numpy as np, federax as fx
    >>> stage = fx.aggregators.UniformQuantizationStage(bits=2, clip=1.0)
    >>> process = fx.aggregators.EncodedSumFactory(stage).create(
    ...     fx.TensorType(np.float32, [4]))
    >>> output = process.next(process.initialize(),
    ...                       [[-1.0, -1 / 3, 1 / 3, 1.0]] * 3)
    >>> np.round(output.result, 4).tolist()
    [-3.0, -1.0, 1.0, 3.0]
    >>> float(output.measurements['compression_ratio'])  # 32 bits / 2 bits
    16.0
  """

  def __init__(self, bits: int = 8, clip=None, stochastic: bool = True,
               threshold: int = 0):
    who = type(self).__name__
    self.bits = common.check_int(
        bits, who, 'bits', 1, MAX_BITS,
        f'Quantize to between 1 and {MAX_BITS} bits per element (8 is usual).')
    self.clip = (None if clip is None else common.check_positive(
        clip, who, 'clip', 'Pass the bound of the values, or None for each '
        'client\'s own range.'))
    if not isinstance(stochastic, bool):
      raise TypeError(f'{who}: stochastic: expected a bool, got '
                      f'{type(stochastic).__name__}.')
    self.stochastic = stochastic
    self.threshold = common.check_int(threshold, who, 'threshold', 0, None,
                                      'Pass 0 to quantize every tensor.')
    self.commutes_with_sum = clip is not None

  def for_value(self, value_spec):
    jnp = jax_support.jnp()
    for x in jax_support.jax().tree_util.tree_leaves(value_spec):
      if not jnp.issubdtype(x.dtype, jnp.floating):
        raise TypeError(f'{type(self).__name__}: value: expected '
                        f'floating-point tensors, got {np.dtype(x.dtype)}'
                        f'{list(x.shape)}. Cast the values to float32 first.')
    return _bound(self, value_spec)

  def _quantized(self, x) -> bool:
    return _size(x) > self.threshold

  def encode(self, state, value, key):
    jax, jnp = jax_support.jax(), jax_support.jnp()
    del state
    levels = 2**self.bits - 1
    leaves = jax.tree_util.tree_leaves(value)
    ranges, positions = [], []  # Per quantized leaf: [low, high]; u.
    for x in leaves:
      if not self._quantized(x):
        continue
      x = jnp.ravel(x).astype(jnp.float32)
      if self.clip is None:
        low, high = jnp.min(x), jnp.max(x)
        ranges.append(jnp.stack([low, high]))
        positions.append((x - low) * jnp.where(high > low,
                                               levels / (high - low), 0.0))
      else:
        c = jnp.float32(self.clip)
        positions.append((jnp.clip(x, -c, c) + c) *
                         jnp.float32(levels / (2 * self.clip)))
    if positions:  # One draw of noise for every quantized element.
      u = jnp.concatenate(positions)
      u = rounding.stochastic_round(u, key) if self.stochastic else jnp.round(
          u)
      codes = jnp.clip(u, 0, levels).astype(jnp.int32)
      if self.clip is not None:  # Centred, so that sums of codes stay small.
        codes = codes - jnp.int32(2**(self.bits - 1))
      codes = jnp.split(codes, np.cumsum([p.size for p in positions])[:-1])
    out, q = [], 0
    for x in leaves:
      if not self._quantized(x):
        out.append(x)
        continue
      c = codes[q].reshape(x.shape)
      out.append((c, ranges[q]) if self.clip is None else c)
      q += 1
    return out

  def decode(self, state, encoded, num_summands):
    jax, jnp = jax_support.jax(), jax_support.jnp()
    del state
    levels = 2**self.bits - 1
    out = []
    for x, spec in zip(encoded, self._leaves):
      if not self._quantized(spec):
        out.append(x)
        continue
      if self.clip is None:
        codes, (low, high) = x
        y = low + codes.astype(jnp.float32) * ((high - low) / levels)
      else:
        step = 2 * self.clip / levels
        middle = -self.clip + 2**(self.bits - 1) * step
        n = jnp.asarray(num_summands, jnp.float32)
        y = n * jnp.float32(middle) + x.astype(jnp.float32) * jnp.float32(step)
      out.append(y.astype(spec.dtype))
    return jax.tree_util.tree_unflatten(self._treedef, out)

  def encoded_bits(self, encoded) -> int:
    total = 0
    for spec in self._leaves:
      if not self._quantized(spec):
        total += _size(spec) * np.dtype(spec.dtype).itemsize * 8
      else:
        total += self.bits * _size(spec) + (64 if self.clip is None else 0)
    return total


class TopKStage(encoding_stage.EncodingStage):
  """The `k` coordinates of largest magnitude, across the whole value.

  Give `k` or `fraction` (then `k = ceil(fraction * d)` for a value of `d`
  elements). The encoding is the `k` values (float32) and their positions
  in the flattened value; decoding scatters them into zeros. Top-k is
  biased (small coordinates are dropped every round) and has no error
  feedback, since clients keep no state between rounds in a federated
  computation. Bits: `k * (32 + ceil(log2(d)))`.

  Example:
    >>> import numpy as np, federax as fx
    >>> process = fx.aggregators.EncodedSumFactory(
    ...     fx.aggregators.TopKStage(k=2)).create(
    ...         fx.TensorType(np.float32, [4]))
    >>> output = process.next(process.initialize(), [[0.1, -3.0, 2.0, 0.5]])
    >>> output.result.tolist()
    [0.0, -3.0, 2.0, 0.0]
  """

  def __init__(self, k=None, fraction=None):
    who = type(self).__name__
    if (k is None) == (fraction is None):
      raise ValueError(f'{who}: expected exactly one of k and fraction, got '
                       f'k={k!r}, fraction={fraction!r}.')
    self.k = None if k is None else common.check_int(
        k, who, 'k', 1, None, 'Keep at least one coordinate.')
    if fraction is not None:
      common.check_positive(fraction, who, 'fraction')
      if fraction > 1:
        raise ValueError(f'{who}: fraction: expected a float in (0, 1], got '
                         f'{fraction}.')
    self.fraction = fraction

  def for_value(self, value_spec):
    bound = _bound(self, value_spec)
    size = sum(_size(x) for x in bound._leaves)
    if self.k is None:
      bound._k = max(1, math.ceil(self.fraction * size))
    elif self.k > size:
      raise ValueError(f'{type(self).__name__}: k: expected at most the '
                       f'value\'s {size} elements, got {self.k}. Pass a '
                       f'smaller k, or a fraction.')
    else:
      bound._k = self.k
    bound._size = size
    return bound

  def encode(self, state, value, key):
    jax, jnp = jax_support.jax(), jax_support.jnp()
    del state, key
    flat = jnp.concatenate([jnp.ravel(x).astype(jnp.float32)
                            for x in jax.tree_util.tree_leaves(value)])
    _, positions = jax.lax.top_k(jnp.abs(flat), self._k)
    return flat[positions], positions.astype(jnp.int32)

  def decode(self, state, encoded, num_summands):
    jax, jnp = jax_support.jax(), jax_support.jnp()
    del state, num_summands
    values, positions = encoded
    flat = jnp.zeros((self._size,), jnp.float32).at[positions].add(values)
    out, start = [], 0
    for spec in self._leaves:
      n = _size(spec)
      out.append(flat[start:start + n].reshape(spec.shape).astype(spec.dtype))
      start += n
    return jax.tree_util.tree_unflatten(self._treedef, out)

  def encoded_bits(self, encoded) -> int:
    return self._k * (32 + common.index_bits(self._size))
