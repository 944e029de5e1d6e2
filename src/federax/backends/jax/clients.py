"""Lazy per-client values of the vectorized backend.

A value placed at CLIENTS is not computed when the IR produces it: it is a
small graph of nodes (an input, a broadcast, a map, a zip, ...) that says
how to compute the value for any chunk of clients. Aggregations consume the
graph one chunk at a time (see `aggregation.py`), so peak memory is bounded
by the chunk, and values used by several aggregations are computed once per
chunk (`Chunk.memo`).
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp

from federax.core import sequence as sequence_lib


class Chunk:
  """The inputs of one chunk of clients, and what was computed for it."""

  def __init__(self, inputs: tuple, mask, size: int, constrain: Callable):
    self.inputs = inputs    # per client-placed argument: [size, ...] pytrees
    self.mask = mask        # bool[size]: which rows are clients of this chunk
    self.size = size
    self.constrain = constrain  # keeps the clients axis sharded
    self.memo: dict[int, object] = {}
    self.checks: list = []  # (bool flag, message) raised after the run


class Clients:
  """A per-client value: computes its rows for a chunk of clients."""

  def compute(self, chunk: Chunk):
    key = id(self)
    if key not in chunk.memo:
      chunk.memo[key] = self._compute(chunk)
    return chunk.memo[key]

  def _compute(self, chunk: Chunk):
    raise NotImplementedError


class Input(Clients):
  """The `index`-th CLIENTS-placed argument of the call."""

  def __init__(self, index: int):
    self.index = index

  def _compute(self, chunk):
    return chunk.inputs[self.index]


def _broadcast_leaf(x, size):
  x = jnp.asarray(x)
  return jnp.broadcast_to(x, (size,) + x.shape)


class Broadcast(Clients):
  """The same (all-equal) value at every client."""

  def __init__(self, value):
    self.value = value

  def _compute(self, chunk):
    return jax.tree_util.tree_map(lambda x: _broadcast_leaf(x, chunk.size),
                                  self.value)


class Map(Clients):
  """`fn` applied to each client's member of `parent` (`vmap`)."""

  def __init__(self, fn: Callable, parent: Clients):
    self.fn, self.parent = fn, parent

  def _compute(self, chunk):
    return chunk.constrain(jax.vmap(self.fn)(self.parent.compute(chunk)))


class Zip(Clients):
  """A struct of per-client values as one per-client struct."""

  def __init__(self, parents: tuple):
    self.parents = tuple(parents)

  def _compute(self, chunk):
    return tuple(p.compute(chunk) for p in self.parents)


class Eval(Clients):
  """A no-argument function evaluated at every client."""

  def __init__(self, fn: Callable):
    self.fn = fn

  def _compute(self, chunk):
    return jax.tree_util.tree_map(lambda x: _broadcast_leaf(x, chunk.size),
                                  self.fn())


class Select(Clients):
  """`federated_select`: each client's keys looked up in a server value."""

  def __init__(self, keys: Clients, max_key, server_value, fn: Callable,
               element_type):
    self.keys, self.max_key = keys, max_key
    self.server_value, self.fn = server_value, fn
    self.element_type = element_type

  def _compute(self, chunk):
    keys = self.keys.compute(chunk)
    bad = ((keys < 0) | (keys >= self.max_key)) & chunk.mask[:, None]
    chunk.checks.append((jnp.any(bad), 'federated_select: a client key is '
                         'outside [0, max_key).'))
    safe = jnp.clip(keys, 0, jnp.maximum(self.max_key - 1, 0))

    def per_key(k):
      return self.fn((self.server_value, k))

    data = jax.vmap(jax.vmap(per_key))(safe)
    lengths = jnp.full((chunk.size,), keys.shape[1], jnp.int32)
    return sequence_lib.Sequence(self.element_type, data, lengths, full=True)
