"""The two parties of pairwise-masking secure aggregation (Bonawitz et al.,
"Practical Secure Aggregation for Privacy-Preserving Machine Learning",
CCS 2017), in its honest-but-curious form (no signatures, no consistency
round).

Rounds, for clients `u` (indices; Shamir point `u + 1`) and threshold `t`:

0. *Advertise keys*: each client makes two DH key pairs, `c` (to encrypt
   shares) and `s` (to agree pairwise masks), and sends the public halves.
1. *Share keys*: each client draws a self-mask seed `b_u` and Shamir-shares
   `b_u` and its secret `s_u` (threshold `t`) among all clients; each share
   travels through the server encrypted for its recipient.
2. *Masked input*: client `u` sends `y_u = x_u + PRG(b_u) + sum_{v > u}
   PRG(s_uv) - sum_{v < u} PRG(s_uv) (mod R)`, where `s_uv` is agreed from
   `s_u` and `v`'s public key. Clients that drop out send nothing.
3. *Unmasking*: for each survivor the others reveal their share of `b_u`,
   for each dropped client their share of `s_u` (never both for one
   client). With `t` answers the server removes the self masks of the
   survivors and the pairwise masks the dropped clients left behind.

The `Server` only ever receives public keys, ciphertexts, masked vectors and
the shares it asked for; what it received is kept in its `view`.
"""

from __future__ import annotations

import numpy as np

from federax.aggregators.secure_protocol import crypto
from federax.aggregators.secure_protocol import masks
from federax.aggregators.secure_protocol import shamir

_SEED_BITS = 256


def _pair_seed(secret: int, public: int) -> bytes:
  return crypto.derive_key(crypto.agree(secret, public), 'pairwise mask')


def _share_key(shared: bytes, sender: int, receiver: int) -> bytes:
  return crypto.derive_key(shared, f'shares {sender}->{receiver}')


class Client:
  """One client of a run: its value never leaves it unmasked.

  Example:
    >>> import numpy as np
    >>> from federax.aggregators.secure_protocol import crypto, parties
    >>> client = parties.Client(0, np.array([3], np.uint64), crypto.Entropy(0))
    >>> len(client.advertise_keys())
    2
  """

  def __init__(self, index: int, residues: np.ndarray, entropy):
    self.index = index
    self._value = residues
    self._entropy = entropy
    self._c_secret, self._c_public = crypto.generate_key_pair(entropy)
    self._s_secret, self._s_public = crypto.generate_key_pair(entropy)
    self._held = {}  # sender -> (share of s_sender, share of b_sender)

  def advertise_keys(self) -> tuple[int, int]:
    """Round 0: the public keys `(c, s)`."""
    return self._c_public, self._s_public

  def share_keys(self, public_keys: dict, threshold: int) -> dict[int, bytes]:
    """Round 1: encrypted shares of `s_u` and `b_u`, one per other client."""
    self._keys = dict(public_keys)
    self._self_seed = self._entropy.integer(_SEED_BITS)
    points = [v + 1 for v in sorted(public_keys)]
    s_shares = shamir.share(self._s_secret, threshold, points, self._entropy)
    b_shares = shamir.share(self._self_seed, threshold, points,
                            self._entropy)
    self._c_shared = {}
    out = {}
    for v in sorted(public_keys):
      plain = (self.index.to_bytes(4, 'big') + v.to_bytes(4, 'big') +
               s_shares[v + 1].to_bytes(shamir.SHARE_BYTES, 'big') +
               b_shares[v + 1].to_bytes(shamir.SHARE_BYTES, 'big'))
      if v == self.index:  # Our own share stays with us.
        self._held[v] = (s_shares[v + 1], b_shares[v + 1])
        continue
      self._c_shared[v] = crypto.agree(self._c_secret, public_keys[v][0])
      out[v] = crypto.encrypt(_share_key(self._c_shared[v], self.index, v),
                              plain)
    return out

  def masked_input(self, ciphertexts: dict[int, bytes],
                   modulus: int) -> np.ndarray:
    """Round 2: stores the shares sent to us; returns the masked value."""
    n = shamir.SHARE_BYTES
    for v, sealed in ciphertexts.items():
      plain = crypto.decrypt(_share_key(self._c_shared[v], v, self.index),
                             sealed)
      if (int.from_bytes(plain[:4], 'big'), int.from_bytes(plain[4:8], 'big')
          ) != (v, self.index):
        raise ValueError('secure aggregation: a share was routed to the '
                         'wrong client.')
      self._held[v] = (int.from_bytes(plain[8:8 + n], 'big'),
                       int.from_bytes(plain[8 + n:8 + 2 * n], 'big'))
    size = self._value.shape[0]
    self_seed = self._self_seed.to_bytes(_SEED_BITS // 8, 'big')
    y = masks.add(self._value, masks.expand(self_seed, size, modulus),
                  modulus)
    for v in sorted(self._held):
      if v == self.index:
        continue
      mask = masks.expand(_pair_seed(self._s_secret, self._keys[v][1]), size,
                          modulus)
      y = (masks.add(y, mask, modulus) if v > self.index else
           masks.subtract(y, mask, modulus))
    return y

  def unmask(self, survivors, dropped, threshold: int) -> dict:
    """Round 3: shares of `b_v` for survivors, of `s_v` for dropped `v`."""
    survivors, dropped = set(survivors), set(dropped)
    if survivors & dropped:
      raise ValueError('secure aggregation: the server asked for both secrets '
                       'of one client; refusing (it would unmask its value).')
    if len(survivors) < threshold:
      raise ValueError(f'secure aggregation: only {len(survivors)} masked '
                       f'inputs arrived, fewer than the threshold '
                       f'{threshold}; refusing to unmask.')
    answer = {v: ('b', self._held[v][1]) for v in survivors if v in self._held}
    answer.update({v: ('s', self._held[v][0]) for v in dropped
                   if v in self._held})
    return answer


class Server:
  """The aggregator: sees only what clients send it, kept in `view`.

  Example:
    >>> from federax.aggregators.secure_protocol import parties
    >>> parties.Server(threshold=2, modulus=8, size=3).view['modulus']
    8
  """

  def __init__(self, threshold: int, modulus: int, size: int):
    self.threshold, self.modulus, self.size = threshold, modulus, size
    self.view = {'modulus': modulus, 'public_keys': {}, 'ciphertexts': {},
                 'masked_inputs': {}, 'unmasking_shares': {}}

  def _require(self, count: int, what: str):
    if count < self.threshold:
      raise ValueError(
          f'secure aggregation: only {count} clients {what}, fewer than the '
          f'threshold {self.threshold}; the sum cannot be unmasked. Lower '
          f'threshold= or let fewer clients drop out.')

  def collect_public_keys(self, keys: dict) -> dict:
    """Round 0: the keys to broadcast."""
    self._require(len(keys), 'advertised keys')
    self.view['public_keys'] = dict(keys)
    return dict(keys)

  def route_shares(self, outgoing: dict) -> dict:
    """Round 1: `{sender: {receiver: c}}` regrouped by receiver."""
    self._require(len(outgoing), 'shared keys')
    self.view['ciphertexts'] = outgoing
    inbox = {v: {} for v in outgoing}
    for u, sealed in outgoing.items():
      for v, c in sealed.items():
        if v in inbox:
          inbox[v][u] = c
    return inbox

  def collect_masked_inputs(self, masked: dict) -> tuple[list, list]:
    """Round 2: keeps the masked vectors; returns (survivors, dropped)."""
    self.view['masked_inputs'] = dict(masked)
    survivors = sorted(masked)
    self._require(len(survivors), 'sent masked inputs')
    dropped = sorted(set(self.view['ciphertexts']) - set(masked))
    self._survivors, self._dropped = survivors, dropped
    return survivors, dropped

  def unmask(self, answers: dict) -> np.ndarray:
    """Round 3: the sum of the survivors' values modulo the modulus."""
    self.view['unmasking_shares'] = dict(answers)
    self._require(len(answers), 'answered the unmasking round')
    r = self.modulus
    total = np.zeros(self.size, np.uint64)
    for y in self.view['masked_inputs'].values():
      total = masks.add(total, y, r)
    for u in self._survivors + self._dropped:
      shares = {v + 1: a[u][1] for v, a in answers.items() if u in a}
      secret = shamir.reconstruct(shares, self.threshold)
      if u in self._survivors:
        seed = secret.to_bytes(_SEED_BITS // 8, 'big')
        total = masks.subtract(total, masks.expand(seed, self.size, r), r)
        continue
      for v in self._survivors:  # Masks u's dropout left in y_v.
        mask = masks.expand(
            _pair_seed(secret, self.view['public_keys'][v][1]), self.size, r)
        total = (masks.subtract(total, mask, r) if u > v else
                 masks.add(total, mask, r))
    self.view['survivors'] = tuple(self._survivors)
    self.view['dropped'] = tuple(self._dropped)
    return total
