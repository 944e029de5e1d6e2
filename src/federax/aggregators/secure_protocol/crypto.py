"""Key agreement, key derivation and share encryption for the protocol.

Diffie-Hellman over the 2048-bit MODP group of RFC 3526 (group 14, a safe
prime `p = 2q + 1`, generator 2 of the order-`q` subgroup) with Python
integers, 256-bit secret exponents (about 128-bit security). Keys agreed
with DH are hashed (SHA-256, with a label) into 32-byte keys; shares are
encrypted with a SHA-256 counter-mode keystream and authenticated with
HMAC-SHA-256 (encrypt-then-MAC). This is a simulation: it is meant to be
correct, not hardened against timing side channels.
"""

from __future__ import annotations

import hashlib
import hmac
import os

import numpy as np

MODP_2048 = int(
    'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1'
    '29024E088A67CC74020BBEA63B139B22514A08798E3404DD'
    'EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245'
    'E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED'
    'EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D'
    'C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F'
    '83655D23DCA3AD961C62F356208552BB9ED529077096966D'
    '670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B'
    'E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9'
    'DE2BCBF6955817183995497CEA956AE515D2261898FA0510'
    '15728E5A8AACAA68FFFFFFFFFFFFFFFF', 16)
GENERATOR = 2
EXPONENT_BITS = 256
_KEY_BYTES = 32
_TAG_BYTES = 32


class Entropy:
  """Random bytes: the OS's, or a seeded generator for reproducible runs.

  Example:
    >>> from federax.aggregators.secure_protocol import crypto
    >>> crypto.Entropy(seed=(1, 2)).bytes(4) == crypto.Entropy((1, 2)).bytes(4)
    True
  """

  def __init__(self, seed=None):
    self._rng = None if seed is None else np.random.default_rng(seed)

  def bytes(self, n: int) -> bytes:
    return os.urandom(n) if self._rng is None else self._rng.bytes(n)

  def integer(self, bits: int) -> int:
    """A uniform integer in `[0, 2**bits)`."""
    return int.from_bytes(self.bytes((bits + 7) // 8), 'big') >> (
        -bits % 8)

  def below(self, bound: int) -> int:
    """A uniform integer in `[0, bound)` (rejection sampling)."""
    bits = max(bound - 1, 1).bit_length()
    while True:
      x = self.integer(bits)
      if x < bound:
        return x


def generate_key_pair(entropy: Entropy) -> tuple[int, int]:
  """A DH key pair `(secret, public = g**secret mod p)`.

  Example:
    >>> from federax.aggregators.secure_protocol import crypto
    >>> e = crypto.Entropy(seed=0)
    >>> (a, pa), (b, pb) = crypto.generate_key_pair(e), crypto.generate_key_pair(e)
    >>> crypto.agree(a, pb) == crypto.agree(b, pa)
    True
  """
  secret = entropy.integer(EXPONENT_BITS) | 1 << (EXPONENT_BITS - 1)
  return secret, pow(GENERATOR, secret, MODP_2048)


def agree(secret: int, public: int) -> bytes:
  """The shared DH secret of our `secret` and a peer's `public` key.

  Example:
    >>> from federax.aggregators.secure_protocol import crypto
    >>> len(crypto.agree(3, 2 ** 10))
    256
  """
  if not 1 < public < MODP_2048 - 1:
    raise ValueError(f'secure aggregation: a public key is outside the '
                     f'group (expected 1 < key < p - 1, got {public}); the '
                     f'peer is faulty or malicious.')
  return pow(public, secret, MODP_2048).to_bytes(256, 'big')


def derive_key(shared: bytes, label: str) -> bytes:
  """A 32-byte key for one purpose (`label`) from an agreed secret.

  Example:
    >>> from federax.aggregators.secure_protocol import crypto
    >>> crypto.derive_key(b's', 'mask') != crypto.derive_key(b's', 'enc')
    True
  """
  return hashlib.sha256(label.encode() + b'\x00' + shared).digest()


def _keystream(key: bytes, n: int) -> bytes:
  blocks = (hashlib.sha256(key + i.to_bytes(8, 'big')).digest()
            for i in range(-(-n // 32)))
  return b''.join(blocks)[:n]


def encrypt(key: bytes, plaintext: bytes) -> bytes:
  """Authenticated encryption of `plaintext` under a derived `key`.

  The key must encrypt one message only (each pair of clients derives a
  fresh one per run).

  Example:
    >>> from federax.aggregators.secure_protocol import crypto
    >>> key = crypto.derive_key(b'shared', 'enc')
    >>> crypto.decrypt(key, crypto.encrypt(key, b'share')) == b'share'
    True
  """
  stream = _keystream(derive_key(key, 'stream'), len(plaintext))
  body = bytes(a ^ b for a, b in zip(plaintext, stream))
  tag = hmac.new(derive_key(key, 'tag'), body, hashlib.sha256).digest()
  return body + tag


def decrypt(key: bytes, ciphertext: bytes) -> bytes:
  """The plaintext of `encrypt(key, ...)`; ValueError if it was altered.

  Example:
    >>> from federax.aggregators.secure_protocol import crypto
    >>> key = crypto.derive_key(b'shared', 'enc')
    >>> sealed = bytearray(crypto.encrypt(key, b'share'))
    >>> sealed[0] ^= 1
    >>> crypto.decrypt(key, bytes(sealed))
    Traceback (most recent call last):
    ...
    ValueError: secure aggregation: a share failed authentication ...
  """
  body, tag = ciphertext[:-_TAG_BYTES], ciphertext[-_TAG_BYTES:]
  want = hmac.new(derive_key(key, 'tag'), body, hashlib.sha256).digest()
  if not hmac.compare_digest(tag, want):
    raise ValueError('secure aggregation: a share failed authentication '
                     '(it was altered, or encrypted for another client).')
  stream = _keystream(derive_key(key, 'stream'), len(body))
  return bytes(a ^ b for a, b in zip(body, stream))
