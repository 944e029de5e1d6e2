"""Cutting a call's clients into shares, and putting shares back together.

A share is a contiguous range of the call's clients. The driver sends each
worker the server part of the argument (CLIENTS-placed parts left out) once
per call and, per share, the CLIENTS-placed parts sliced to the share's
clients (or, for `RemoteClientData`, only its ids). Output rows of the
shares are concatenated in share order, so results come back in client
order whichever worker ran which share.
"""

from __future__ import annotations

import numpy as np

from federax.backends.jax import ingest
from federax.backends.ray import remote_data
from federax.core import types


def map_clients(value, t, fn):
  """`value` with `fn` applied to each CLIENTS-placed part (as the
  vectorized backend's `runner.map_clients`, without importing JAX)."""
  if ingest.is_clients(t):
    return fn(value)
  if isinstance(t, types.StructType):
    return tuple(map_clients(v, e, fn) for v, e in zip(value, t))
  return value


def split(num_clients: int, num_shares: int) -> list[tuple[int, int]]:
  """`num_shares` contiguous `(start, stop)` ranges as equal as can be
  (never an empty one: fewer shares when there are fewer clients).

  Example:
    >>> split(10, 3)
    [(0, 4), (4, 7), (7, 10)]
    >>> split(2, 4), split(0, 2)
    ([(0, 1), (1, 2)], [])
  """
  if not isinstance(num_shares, int) or num_shares < 1:
    raise ValueError(f'num_shares: expected an int >= 1, got {num_shares!r}.')
  num_shares = min(num_shares, num_clients)
  ranges, start = [], 0
  for i in range(num_shares):
    size = num_clients // num_shares + (i < num_clients % num_shares)
    ranges.append((start, start + size))
    start += size
  return ranges


def num_shares_for(num_clients: int, num_workers: int,
                   clients_per_share: int | None) -> int:
  """One share per worker, or shares of at most `clients_per_share`.

  Example:
    >>> num_shares_for(1000, 2, None), num_shares_for(1000, 2, 300)
    (2, 4)
  """
  if clients_per_share is None:
    return max(num_workers, 1)
  return max(-(-num_clients // clients_per_share), 1)


def _tree_map(fn, value):
  if isinstance(value, tuple):
    return tuple(_tree_map(fn, v) for v in value)
  import jax
  return jax.tree_util.tree_map(fn, value)


def server_part(internal, parameter_type):
  """The argument with its CLIENTS-placed parts replaced by None."""
  if parameter_type is None:
    return None
  return map_clients(internal, parameter_type, lambda _: None)


def client_parts(internal, parameter_type) -> list:
  """The CLIENTS-placed parts of the argument, in a fixed order."""
  parts = []
  if parameter_type is not None:
    map_clients(internal, parameter_type, parts.append)
  return parts


def take(parts: list, start: int, stop: int) -> list:
  """The clients `start..stop-1` of each CLIENTS-placed part.

  Example:
    >>> import numpy as np
    >>> take([np.arange(5), (np.ones((5, 2)), np.zeros(5))], 1, 3)[0]
    array([1, 2])
  """
  def cut(part):
    if isinstance(part, remote_data.RemoteClientData):
      return part.subset(start, stop)
    return _tree_map(lambda x: np.asarray(x)[start:stop], part)
  return [cut(p) for p in parts]


def fill(server, parameter_type, parts: list):
  """`server` with its CLIENTS-placed parts set from `parts` (in order)."""
  if parameter_type is None:
    return None
  it = iter(parts)
  return map_clients(server, parameter_type, lambda _: next(it))


def read_remote(parts: list, types_: list, cache: dict,
                path: str = 'argument') -> list:
  """`parts` with each `RemoteClientData` read into the backend's form."""
  from federax.core import value_conversion
  out = []
  for value, t in zip(parts, types_):
    if isinstance(value, remote_data.RemoteClientData):
      value = ingest.ingest(value.datasets(cache), t, path,
                            value_conversion.Cardinality())
    out.append(value)
  return out


def clients_types(parameter_type) -> list:
  """The CLIENTS-placed types of the parameter, in `client_parts` order."""
  out = []
  if parameter_type is not None:
    _map_clients_types(None, parameter_type, out.append)
  return out


def _map_clients_types(value, t, fn):
  if ingest.is_clients(t):
    return fn(t)
  if isinstance(t, types.StructType):
    values = value if value is not None else (None,) * len(t)
    return tuple(_map_clients_types(v, e, fn) for v, e in zip(values, t))
  return value


def num_rows(value) -> int:
  """The number of clients of a CLIENTS-placed part in the backend's form."""
  from federax.core import sequence as sequence_lib
  while isinstance(value, tuple):
    value = value[0]
  if isinstance(value, sequence_lib.Sequence):
    return int(np.shape(value.length)[0])
  return int(np.shape(value)[0])


def concat_rows(rows_per_share: list):
  """The output rows of all shares, concatenated in share order; None when
  there are no shares. Sequence data padded to different lengths by
  different shares is padded to the longest.

  Example:
    >>> import numpy as np
    >>> concat_rows([[np.arange(2)], [np.arange(3)]])
    [array([0, 1, 0, 1, 2])]
  """
  if not rows_per_share:
    return None
  import jax

  def cat(*leaves):
    leaves = [np.asarray(x) for x in leaves]
    shape = np.max([x.shape for x in leaves], axis=0)
    padded = [np.pad(x, [(0, 0)] + [(0, int(s) - d) for s, d in
                                    zip(shape[1:], x.shape[1:])])
              for x in leaves]
    return np.concatenate(padded)

  return [jax.tree_util.tree_map(cat, *outs)
          for outs in zip(*rows_per_share)]
