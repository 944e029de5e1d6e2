"""`EncodingStage`: a user-defined compression, as an encode/decode pair.

Like TFF's encoding stages (`tensor_encoding`): a stage says how a value is
encoded where it is sent from and decoded where it arrives, with a state
kept at the SERVER across rounds. `fx.aggregators.EncodedSumFactory(stage)`
makes it an aggregation (clients encode, the server decodes), and
`fx.learning.templates.build_encoded_broadcast_process(stage, value_type)`
a broadcast (the server encodes, clients decode). All methods are pure JAX
functions over pytrees, traced once when the process is created.
"""

from __future__ import annotations

import abc

import numpy as np


class EncodingStage(abc.ABC):
  """An encode/decode pair with a server-side state (subclass it).

  Implement `encode(state, value, key)` (runs where the value is sent
  from; `key` is a JAX PRNG key private to that client and round) and
  `decode(state, encoded, num_summands)` (runs where it arrives). Override
  as needed:

  - `commutes_with_sum` (default False): True when decoding is linear in
    the encoded values, so that `decode(sum of encodings, n)` is the sum of
    the `n` decoded values. Such a stage's encodings are summed by an inner
    aggregation factory (which may be secure) and decoded once; otherwise
    the server decodes each client's encoding and adds it up (inside
    `fx.federated_aggregate`) and `num_summands` is 1.
  - `initial_state()` (default `()`): the state, a pytree of arrays.
  - `for_value(value_spec)` (default: the stage itself): the stage to use
    for values shaped like `value_spec` (a pytree of
    `jax.ShapeDtypeStruct`s), for a stage whose decoding needs the value's
    shapes or containers (it returns a configured copy).
  - `update_state(state, result)` (default: unchanged): the next round's
    state, from the round's decoded result.
  - `encoded_bits(encoded)` (default: every element of the encoding at its
    dtype's width): the bits one encoding takes on the wire, from its
    shapes and dtypes (`encoded` holds `jax.ShapeDtypeStruct`s); a Python
    int. Override it when the encoding packs tighter than its dtypes (a
    4-bit code held in an int32).

  Example (a stage that sends float values as int8 levels of a fixed
  scale; the server decodes each client's levels):
    >>> import jax.numpy as jnp, numpy as np, federax as fx
    >>> class Int8Stage(fx.aggregators.EncodingStage):
    ...   def initial_state(self):
    ...     return np.float32(0.25)                     # the step
    ...   def encode(self, step, value, key):
    ...     return jnp.clip(jnp.round(value / step), -127, 127).astype(jnp.int8)
    ...   def decode(self, step, encoded, num_summands):
    ...     return encoded.astype(jnp.float32) * step
    >>> process = fx.aggregators.EncodedSumFactory(Int8Stage()).create(
    ...     fx.TensorType(np.float32, [2]))
    >>> output = process.next(process.initialize(), [[1.0, 0.5], [0.25, -2.0]])
    >>> output.result.tolist()
    [1.25, -1.5]
    >>> float(output.measurements['compression_ratio'])
    4.0
  """

  commutes_with_sum: bool = False

  def initial_state(self):
    """The state before the first round: a pytree of arrays (or `()`)."""
    return ()

  @abc.abstractmethod
  def encode(self, state, value, key):
    """The encoding of `value` (a pytree of arrays) sent over the wire."""

  @abc.abstractmethod
  def decode(self, state, encoded, num_summands):
    """The value from an encoding, or from the sum of `num_summands`
    encodings when `commutes_with_sum`; same structure and dtypes as the
    encoded value."""

  def for_value(self, value_spec) -> EncodingStage:
    """The stage for values like `value_spec` (shapes and dtypes)."""
    del value_spec
    return self

  def update_state(self, state, result):
    """The next round's state, given this round's decoded `result`."""
    del result
    return state

  def encoded_bits(self, encoded) -> int:
    """Bits on the wire for one encoding (shapes and dtypes only)."""
    import jax
    return sum(int(np.prod(x.shape, dtype=np.int64)) * np.dtype(
        x.dtype).itemsize * 8 for x in jax.tree_util.tree_leaves(encoded))
