"""Invertible Bloom lookup tables (IBLTs) of byte strings, in JAX.

An IBLT (Goodrich and Mitzenmacher, 2011, arXiv:1101.2245) is a linear
sketch of a multiset of keys: the sketch of a union is the sum of the
sketches, so clients sketch their strings and a federated sum sketches
everybody's. Decoding "peels" it: a cell holding a single key reveals it,
and removing that key from its other cells reveals more.

The table is `uint32[repetitions, table_size, L + 2 + num_values]`, summed
modulo 2**32 (uint32 wrap-around, which every backend's `federated_sum`
and `federated_secure_sum_bitwidth(x, 32)` compute). Each key (`uint8[L]`)
goes to one cell per repetition, chosen by a hash, and adds with
multiplicity `c` (the number of clients holding it):

- columns `0..L-1`: `c * byte` for each of its bytes (the key sum),
- column `L`: `c` (the count),
- column `L + 1`: `c * q(key)`, `q` a 32-bit hash (the check),
- columns `L + 2...`: the key's values (e.g. how often it occurred).

A cell is *pure* (one key) when every key-sum column is `c` times a byte,
the check equals `c * q(bytes)`, and the key hashes to that very cell;
for a cell mixing keys all three hold with negligible probability. Counts
must stay below 2**24 per key (so `c * byte` does not wrap).
"""

from __future__ import annotations

import dataclasses
import math
import numbers

from federax.analytics import hashing

# Cells per key needed for peeling to succeed w.h.p. with k hash functions
# (Goodrich and Mitzenmacher, Table 1), with a 10% margin added below.
_SPACE_OVERHEAD = {3: 1.222, 4: 1.295, 5: 1.425, 6: 1.570}
MAX_COUNT = 2 ** 24


def _int_at_least(value, minimum: int, name: str, who: str) -> int:
  if isinstance(value, bool) or not isinstance(value, numbers.Integral) or (
      value < minimum):
    raise ValueError(f'{who}: {name}: expected an int >= {minimum}, got '
                     f'{value!r}.')
  return int(value)


@dataclasses.dataclass(frozen=True)
class IbltParams:
  """The shape and hash functions of an IBLT (see the module doc).

  `capacity` is the number of distinct keys the table should decode;
  `table_size` follows from it and `repetitions` (>= 3).

  Example:
    >>> from federax.analytics import iblt
    >>> params = iblt.IbltParams(capacity=100, string_max_bytes=8)
    >>> params.table_size, params.shape
    (55, (3, 55, 11))
  """
  capacity: int
  string_max_bytes: int
  num_values: int = 1
  repetitions: int = 3
  seed: int = 0

  def __post_init__(self):
    who = 'IbltParams'
    _int_at_least(self.capacity, 1, 'capacity', who)
    _int_at_least(self.string_max_bytes, 1, 'string_max_bytes', who)
    _int_at_least(self.num_values, 0, 'num_values', who)
    _int_at_least(self.repetitions, 3, 'repetitions', who)
    if isinstance(self.seed, bool) or not isinstance(self.seed,
                                                     numbers.Integral):
      raise TypeError(f'{who}: seed: expected an int, got '
                      f'{type(self.seed).__name__}.')

  @property
  def table_size(self) -> int:
    overhead = _SPACE_OVERHEAD.get(self.repetitions, self.repetitions / 4)
    return math.ceil(1.1 * overhead * self.capacity / self.repetitions) + 10

  @property
  def num_columns(self) -> int:
    return self.string_max_bytes + 2 + self.num_values

  @property
  def shape(self) -> tuple[int, int, int]:
    return (self.repetitions, self.table_size, self.num_columns)

  def positions(self, keys):
    """`int32[..., repetitions]`: the cell of each key in each table."""
    import jax.numpy as jnp
    cells = [hashing.hash_bytes(keys, hashing.derive_seed(self.seed, r)) %
             jnp.uint32(self.table_size) for r in range(self.repetitions)]
    return jnp.stack(cells, axis=-1).astype(jnp.int32)

  def check_hash(self, keys):
    """`uint32[...]`: the check hash `q` of each key."""
    return hashing.hash_bytes(
        keys, hashing.derive_seed(self.seed, self.repetitions + 1000))


def _rows(params, keys, counts, values):
  """`uint32[n, num_columns]`: what each key adds to each of its cells."""
  import jax.numpy as jnp
  c = jnp.asarray(counts, jnp.uint32)
  n = keys.shape[0]
  values = jnp.asarray(values, jnp.uint32).reshape(n, params.num_values)
  return jnp.concatenate([
      c[:, None] * keys.astype(jnp.uint32), c[:, None],
      (c * params.check_hash(keys))[:, None], values], axis=1)


def encode(params: IbltParams, keys, counts, values=None):
  """The IBLT of keys `uint8[n, L]` with `counts[n]` and `values[n, V]`.

  Rows with count 0 and zero values add nothing (use them for padding).

  Example:
    >>> import numpy as np
    >>> from federax.analytics import iblt
    >>> params = iblt.IbltParams(capacity=10, string_max_bytes=2)
    >>> keys = np.array([[1, 2], [3, 4]], np.uint8)
    >>> table = iblt.encode(params, keys, [1, 2], [[5], [6]])
    >>> table.shape, int(table[0, :, 2].sum()), int(table[1, :, 4].sum())
    ((3, 15, 5), 3, 11)
  """
  import jax.numpy as jnp
  keys = jnp.asarray(keys, jnp.uint8)
  n = keys.shape[0]
  if values is None:
    values = jnp.zeros((n, params.num_values), jnp.uint32)
  rows = _rows(params, keys, counts, values)
  positions = params.positions(keys)                       # [n, R]
  table = jnp.zeros(params.shape, jnp.uint32)
  reps = jnp.broadcast_to(jnp.arange(params.repetitions), positions.shape)
  return table.at[reps, positions].add(
      jnp.broadcast_to(rows[:, None, :], positions.shape + rows.shape[1:]))


def _pure_cells(params, cells, repetition: int):
  """`(pure[T], keys uint8[T, L])` for the cells of one repetition."""
  import jax.numpy as jnp
  length = params.string_max_bytes
  count = cells[:, length]
  safe = jnp.maximum(count, jnp.uint32(1))
  key_sums = cells[:, :length]
  key_bytes = key_sums // safe[:, None]
  exact = jnp.all((key_bytes * safe[:, None] == key_sums) &
                  (key_bytes < 256), axis=1)
  keys = jnp.minimum(key_bytes, 255).astype(jnp.uint8)
  checked = cells[:, length + 1] == count * params.check_hash(keys)
  home = params.positions(keys)[:, repetition] == jnp.arange(cells.shape[0])
  valid = (count > 0) & (count < jnp.uint32(MAX_COUNT))
  return valid & exact & checked & home, keys


def decode(params: IbltParams, table, max_keys: int | None = None):
  """Peels an IBLT: `(keys, counts, values, num_keys, remaining)`.

  `keys` is `uint8[max_keys, L]` (default `repetitions * table_size`, the
  most a table can hold), the first `num_keys` rows decoded, with their
  `counts` (uint32) and `values` (uint32[max_keys, V]); `remaining` is the
  table after removing them (all zeros when decoding succeeded). One
  repetition is peeled per step (its pure cells hold distinct keys), under
  `lax.while_loop`, so decoding runs inside a computation on any backend.

  Example:
    >>> import numpy as np
    >>> from federax.analytics import iblt
    >>> params = iblt.IbltParams(capacity=10, string_max_bytes=2)
    >>> keys = np.array([[1, 2], [3, 4], [5, 6]], np.uint8)
    >>> table = iblt.encode(params, keys, [1, 2, 3], [[5], [6], [7]])
    >>> found, counts, values, n, rest = iblt.decode(params, table)
    >>> int(n), sorted(zip(counts[:3].tolist(), found[:3].tolist()))
    (3, [(1, [1, 2]), (2, [3, 4]), (3, [5, 6])])
    >>> int(rest.max())
    0
  """
  import jax
  import jax.numpy as jnp
  reps, size, _ = params.shape
  max_keys = reps * size if max_keys is None else int(max_keys)
  length = params.string_max_bytes
  table = jnp.asarray(table, jnp.uint32)

  def peel(repetition, carry):
    table, keys_out, counts_out, values_out, n, progress = carry
    cells = table[repetition]
    pure, keys = _pure_cells(params, cells, repetition)
    slot = n + jnp.cumsum(pure) - 1
    keep = pure & (slot < max_keys)
    slot = jnp.where(keep, slot, max_keys)                 # out of range
    keys_out = keys_out.at[slot].set(keys, mode='drop')
    counts_out = counts_out.at[slot].set(cells[:, length], mode='drop')
    values_out = values_out.at[slot].set(cells[:, length + 2:], mode='drop')
    removed = jnp.where(keep[:, None], cells, jnp.uint32(0))
    positions = params.positions(keys)                     # [T, R]
    rep_index = jnp.broadcast_to(jnp.arange(reps), positions.shape)
    table = table.at[rep_index, positions].add(
        jnp.broadcast_to(-removed[:, None, :], positions.shape +
                         removed.shape[1:]))
    return (table, keys_out, counts_out, values_out,
            n + jnp.sum(keep).astype(jnp.int32), progress | jnp.any(keep))

  def sweep(carry):
    table, keys_out, counts_out, values_out, n, _ = carry
    carry = (table, keys_out, counts_out, values_out, n, jnp.bool_(False))
    for repetition in range(reps):
      carry = peel(repetition, carry)
    return carry

  def not_done(carry):
    *_, n, progress = carry
    return progress & (n < max_keys)

  init = (table, jnp.zeros((max_keys, length), jnp.uint8),
          jnp.zeros(max_keys, jnp.uint32),
          jnp.zeros((max_keys, params.num_values), jnp.uint32),
          jnp.int32(0), jnp.bool_(True))
  table, keys_out, counts_out, values_out, n, _ = jax.lax.while_loop(
      not_done, sweep, init)
  return keys_out, counts_out, values_out, n, table
