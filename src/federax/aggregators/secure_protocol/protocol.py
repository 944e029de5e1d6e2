"""`MaskedSecureAggregation`: the secure-sum intrinsics as a real protocol.

Given to an execution context (`secure_aggregation=`), it replaces the plain
sums with which backends simulate `fx.federated_secure_sum_bitwidth`,
`fx.federated_secure_sum` and `fx.federated_secure_modular_sum` by a run of
the pairwise-masking protocol of `parties` for each call.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from federax.aggregators.secure_protocol import crypto
from federax.aggregators.secure_protocol import intrinsic_sums
from federax.aggregators.secure_protocol import parties


@dataclasses.dataclass(frozen=True)
class ServerView:
  """Everything the server received in one run, and what it computed.

  `masked_inputs` maps each surviving client to its masked vector;
  `unmasking_shares` maps each answering client to `{client: (kind,
  share)}` with kind `'b'` (self-mask seed) or `'s'` (mask key).
  """

  modulus: int
  public_keys: dict
  ciphertexts: dict
  masked_inputs: dict
  unmasking_shares: dict
  survivors: tuple
  dropped: tuple
  result: np.ndarray


def _indices(value, what: str) -> frozenset:
  try:
    items = frozenset(int(i) for i in value)
  except TypeError:
    raise TypeError(f'{what}: expected a collection of client indices (ints),'
                    f' got {value!r}.') from None
  if any(i < 0 for i in items):
    raise ValueError(f'{what}: expected client indices >= 0, got '
                     f'{sorted(items)}.')
  return items


class MaskedSecureAggregation:
  """Secure sums by pairwise masking, for `secure_aggregation=` of a context.

  Each secure-sum call runs the protocol of Bonawitz et al. (2017) among the
  call's clients (see `federax.aggregators.secure_protocol.parties`): the
  server sees masked vectors only, and the sum is exact modulo the ring the
  intrinsic implies (`federated_secure_modular_sum`: the modulus;
  `federated_secure_sum_bitwidth(b)`: `2**(b + ceil(log2 n))`, so `n`
  values in `[0, 2**b)` never wrap; `federated_secure_sum(m)`: the power of
  two above `n * m`).

  Args:
    threshold: how many clients must survive to unmask the sum (the Shamir
      threshold `t`): an int, a fraction of the cohort in `(0, 1]`, or None
      for a majority (`n // 2 + 1`). Up to `n - t` clients may drop out.
    dropouts: indices of clients that drop out after sharing their keys:
      their masked inputs never arrive and their values are not in the sum.
    late_dropouts: indices of clients that send their masked input but
      drop out before the unmasking round (their values are in the sum).
    seed: an int for reproducible keys and masks, or None for OS entropy.
    record: keep each run's `ServerView` in `views` (the last one is always
      in `last_view`).

  Example:
    >>> import numpy as np, federax as fx
    >>> protocol = fx.aggregators.secure_protocol.MaskedSecureAggregation(
    ...     threshold=2, dropouts=[1], seed=0)
    >>> total = fx.federated_computation(
    ...     lambda x: fx.federated_secure_modular_sum(x, 100),
    ...     fx.type_at_clients(np.int32))
    >>> with fx.backends.interpreter.interpreter_context(
    ...     secure_aggregation=protocol):
    ...   print(total([5, 60, 7]))  # Client 1 dropped out: 5 + 7.
    12
    >>> protocol.last_view.survivors, protocol.last_view.dropped
    ((0, 2), (1,))
  """

  def __init__(self, threshold: int | float | None = None, dropouts=(),
               late_dropouts=(), seed: int | None = None,
               record: bool = False):
    who = 'MaskedSecureAggregation'
    if threshold is not None:
      if isinstance(threshold, bool) or not isinstance(
          threshold, (int, float, np.integer, np.floating)):
        raise TypeError(f'{who}: threshold: expected an int, a fraction in '
                        f'(0, 1] or None, got {type(threshold).__name__}.')
      if isinstance(threshold, (float, np.floating)) and not (
          0 < threshold <= 1):
        raise ValueError(f'{who}: threshold: a fraction must be in (0, 1], '
                         f'got {threshold}.')
      if isinstance(threshold, (int, np.integer)) and threshold < 1:
        raise ValueError(f'{who}: threshold: expected at least 1 client, '
                         f'got {threshold}.')
    if seed is not None and not isinstance(seed, (int, np.integer)):
      raise TypeError(f'{who}: seed: expected an int or None, got '
                      f'{type(seed).__name__}.')
    self.threshold = threshold
    self.dropouts = _indices(dropouts, f'{who}: dropouts')
    self.late_dropouts = _indices(late_dropouts, f'{who}: late_dropouts')
    self.seed = seed
    self.record = bool(record)
    self.views: list[ServerView] = []
    self.last_view: ServerView | None = None
    self._runs = 0

  def threshold_for(self, num_clients: int) -> int:
    """The Shamir threshold for a cohort of `num_clients`.

    Example:
      >>> from federax.aggregators.secure_protocol import MaskedSecureAggregation
      >>> MaskedSecureAggregation().threshold_for(10)
      6
      >>> MaskedSecureAggregation(threshold=0.3).threshold_for(10)
      3
    """
    t = self.threshold
    if t is None:
      return num_clients // 2 + 1
    if isinstance(t, (float, np.floating)):
      return max(1, math.ceil(t * num_clients - 1e-9))
    return int(t)

  def _entropy(self, *path):
    if self.seed is None:
      return crypto.Entropy()
    return crypto.Entropy((int(self.seed), self._runs) + path)

  def sum_vectors(self, vectors: list, modulus: int) -> np.ndarray:
    """One protocol run: the survivors' sum of residue vectors mod `modulus`.

    Example:
      >>> import numpy as np
      >>> from federax.aggregators.secure_protocol import MaskedSecureAggregation
      >>> vectors = [np.array([1, 2], np.uint64), np.array([3, 4], np.uint64)]
      >>> MaskedSecureAggregation(seed=0).sum_vectors(vectors, 5).tolist()
      [4, 1]
    """
    n = len(vectors)
    t = self.threshold_for(n)
    if t > n:
      raise ValueError(
          f'secure aggregation: threshold {t} exceeds the {n} clients of the '
          f'call; no sum can be unmasked. Use a smaller threshold= (or a '
          f'fraction such as 0.5).')
    size = vectors[0].shape[0] if n else 0
    clients = [parties.Client(u, np.asarray(v, np.uint64),
                              self._entropy(u))
               for u, v in enumerate(vectors)]
    self._runs += 1
    server = parties.Server(t, modulus, size)
    keys = server.collect_public_keys(
        {c.index: c.advertise_keys() for c in clients})
    inbox = server.route_shares({c.index: c.share_keys(keys, t)
                                 for c in clients})
    masked = {c.index: c.masked_input(inbox[c.index], modulus)
              for c in clients if c.index not in self.dropouts}
    survivors, dropped = server.collect_masked_inputs(masked)
    answers = {c.index: c.unmask(survivors, dropped, t) for c in clients
               if c.index in masked and c.index not in self.late_dropouts}
    total = server.unmask(answers)
    view = ServerView(result=total, **server.view)
    self.last_view = view
    if self.record:
      self.views.append(view)
    return total

  def secure_sum(self, uri: str, values: list, bound: Any, value_type):
    """What a backend calls for a secure-sum intrinsic `uri`.

    `values` holds one internal value per client (numpy arrays, tuples for
    structs), `bound` the intrinsic's bitwidth, max input or modulus;
    returns the sum in the internal form of `value_type`.

    Example:
      >>> import numpy as np, federax as fx
      >>> from federax.aggregators.secure_protocol import MaskedSecureAggregation
      >>> MaskedSecureAggregation(seed=1).secure_sum(
      ...     'federated_secure_sum_bitwidth', [np.int32(3), np.int32(4)], 3,
      ...     fx.TensorType(np.int32)).tolist()
      7
    """
    return intrinsic_sums.secure_sum(self.sum_vectors, uri, values, bound,
                                     value_type)

  def __repr__(self):
    return (f'MaskedSecureAggregation(threshold={self.threshold!r}, '
            f'dropouts={sorted(self.dropouts)}, '
            f'late_dropouts={sorted(self.late_dropouts)}, seed={self.seed!r})')
