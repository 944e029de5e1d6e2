"""A client's IBLT of its strings, and the server's decoding of the sum.

Pure JAX functions used inside the heavy hitters computations: the client
side deduplicates its strings (sorting them), keeps at most
`max_words_per_user` of them (its most frequent), and sketches each once,
with count 1 (one client) and its number of occurrences as value; the
server side decodes the summed sketch, filters, optionally adds noise, and
sorts by count.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from federax.analytics import iblt
from federax.core import jax_support


class HeavyHitters(NamedTuple):
  """The decoded strings, most frequent first (fixed-size arrays).

  `heavy_hitters` is `uint8[M, string_max_bytes]` (see
  `fx.analytics.decode_strings`); the first `num_heavy_hitters` rows are
  real, the rest zeros. `counts` are total occurrences, `unique_counts`
  the numbers of clients holding each string.
  """
  heavy_hitters: Any
  counts: Any
  unique_counts: Any
  num_heavy_hitters: Any


def examples(data):
  """`(stacked elements, length, padded size)` of a client's `fx.Sequence`."""
  import jax.numpy as jnp
  if not data.is_stacked:
    raise TypeError(f'client data: the elements of this {data.element_type}*'
                    f' sequence differ in shape; encode every client\'s '
                    f'values with the same shape.')
  stacked = jax_support.internal_to_python(data.data, data.element_type)
  return stacked, jnp.asarray(data.length, jnp.int32), stacked.shape[0]


def client_sketch(params: iblt.IbltParams, data, max_words_per_user=None,
                  multi_contribution: bool = True, max_count_per_word=None):
  """The IBLT of one client's sequence of encoded strings.

  Example:
    >>> import numpy as np, federax as fx
    >>> from federax import analytics
    >>> from federax.analytics import iblt, sketching
    >>> params = iblt.IbltParams(capacity=10, string_max_bytes=4)
    >>> @fx.jax_computation(fx.SequenceType((np.uint8, [4])))
    ... def sketch(data):
    ...   return sketching.client_sketch(params, data)
    >>> table = sketch(analytics.encode_strings(['a', 'b', 'a'], 4))
    >>> int(table[0, :, 4].sum()), int(table[0, :, 6].sum())  # clients, uses
    (2, 3)
  """
  import jax
  import jax.numpy as jnp
  keys, length, size = examples(data)
  index = jnp.arange(size)
  valid = index < length
  columns = [keys[:, j] for j in reversed(range(keys.shape[1]))]
  order = jnp.lexsort(columns + [(~valid).astype(jnp.uint8)])
  keys, valid = keys[order], valid[order]
  changed = jnp.concatenate([jnp.ones(1, bool),
                             jnp.any(keys[1:] != keys[:-1], axis=1)])
  first = changed & valid
  segment = jnp.cumsum(first) - 1
  occurrences = jax.ops.segment_sum(valid.astype(jnp.int32), segment,
                                    num_segments=size)[segment]
  keep = first
  if max_words_per_user is not None:
    # Rank the distinct strings by occurrences (ties: sorted order).
    score = jnp.where(first, -occurrences, jnp.iinfo(jnp.int32).max)
    rank = jnp.zeros(size, jnp.int32).at[jnp.lexsort((index, score))].set(
        index.astype(jnp.int32))
    keep = first & (rank < max_words_per_user)
  value = occurrences if multi_contribution else jnp.ones_like(occurrences)
  if max_count_per_word is not None:
    value = jnp.minimum(value, max_count_per_word)
  keep = keep.astype(jnp.uint32)
  return iblt.encode(params, keys, keep,
                     (keep * value.astype(jnp.uint32))[:, None])


def _noisy(values, key, stddev):
  import jax
  import jax.numpy as jnp
  noise = stddev * jax.random.normal(key, values.shape, jnp.float32)
  return values.astype(jnp.float32) + noise


def server_decode(params: iblt.IbltParams, table, key_data, *,
                  max_heavy_hitters=None, k_anonymity: int = 1,
                  unique_stddev: float = 0.0, count_stddev: float = 0.0,
                  threshold=None):
  """`(HeavyHitters, num_decoded, undecoded_count)` from a summed sketch.

  Without noise, strings held by fewer than `k_anonymity` clients are
  dropped. With noise, Gaussian noise of `unique_stddev` and
  `count_stddev` is added to the unique counts and counts (then rounded);
  a string is released when its noisy unique count is at least
  `threshold` (and `k_anonymity`). The rest is sorted by count and cut to
  `max_heavy_hitters` (ties: more clients first, then by the bytes).
  `undecoded_count` is how many (client, string)
  contributions stayed in the table (0 when decoding succeeded).
  """
  import jax
  import jax.numpy as jnp
  keys, unique, values, num_decoded, rest = iblt.decode(params, table)
  size = keys.shape[0]
  index = jnp.arange(size)
  found = index < num_decoded
  unique = unique.astype(jnp.int32)
  counts = values[:, 0].astype(jnp.int32)
  if unique_stddev or count_stddev:
    key = jax.random.wrap_key_data(jnp.asarray(key_data, jnp.uint32))
    unique_key, count_key = jax.random.split(key)
    noisy_unique = _noisy(unique, unique_key, unique_stddev)
    selected = found & (noisy_unique >= threshold)
    unique = jnp.round(noisy_unique).astype(jnp.int32)
    counts = jnp.round(_noisy(counts, count_key, count_stddev)).astype(
        jnp.int32)
  else:
    selected = found
  selected = selected & (unique >= k_anonymity)
  # Most frequent first; ties by number of clients, then by the bytes.
  score = jnp.where(selected, -counts, jnp.iinfo(jnp.int32).max)
  columns = [keys[:, j] for j in reversed(range(keys.shape[1]))]
  order = jnp.lexsort(columns + [-unique, score])
  out = size if max_heavy_hitters is None else min(size, max_heavy_hitters)
  order = order[:out]
  num = jnp.minimum(jnp.sum(selected), out).astype(jnp.int32)
  real = jnp.arange(out) < num
  result = HeavyHitters(
      jnp.where(real[:, None], keys[order], jnp.uint8(0)),
      jnp.where(real, counts[order], 0), jnp.where(real, unique[order], 0),
      num)
  undecoded = jnp.sum(rest[0, :, params.string_max_bytes])
  return result, num_decoded, undecoded.astype(jnp.int32)
