"""Shamir's `t`-out-of-`n` secret sharing over the prime field GF(2**521-1).

A secret `s < 2**521 - 1` becomes `f(1), ..., f(n)` for a random polynomial
`f` of degree `t - 1` with `f(0) = s`: any `t` shares give `s` back by
Lagrange interpolation at 0; fewer reveal nothing about it.
"""

from __future__ import annotations

PRIME = 2**521 - 1  # A Mersenne prime, larger than every secret shared.
SHARE_BYTES = 66


def share(secret: int, threshold: int, xs, entropy) -> dict[int, int]:
  """Shares of `secret` at the points `xs` (distinct, nonzero).

  Example:
    >>> from federax.aggregators.secure_protocol import crypto, shamir
    >>> shares = shamir.share(1234, 2, [1, 2, 3], crypto.Entropy(seed=0))
    >>> shamir.reconstruct({x: shares[x] for x in (1, 3)}, 2)
    1234
  """
  if not 0 <= secret < PRIME:
    raise ValueError(f'secret: expected an integer in [0, 2**521 - 1), got '
                     f'one of {secret.bit_length()} bits.')
  xs = list(xs)
  if not 1 <= threshold <= len(xs):
    raise ValueError(f'threshold: expected 1 <= threshold <= {len(xs)} (the '
                     f'number of shares), got {threshold}.')
  if len(set(xs)) != len(xs) or any(x % PRIME == 0 for x in xs):
    raise ValueError(f'xs: expected distinct nonzero points, got {xs}.')
  coefficients = [secret] + [entropy.below(PRIME)
                             for _ in range(threshold - 1)]

  def f(x):
    y = 0
    for c in reversed(coefficients):  # Horner's rule.
      y = (y * x + c) % PRIME
    return y

  return {x: f(x) for x in xs}


def reconstruct(shares: dict[int, int], threshold: int) -> int:
  """The secret from at least `threshold` shares `{x: f(x)}`.

  Raises ValueError with fewer shares than the threshold.

  Example:
    >>> from federax.aggregators.secure_protocol import shamir
    >>> shamir.reconstruct({1: 5}, 2)
    Traceback (most recent call last):
    ...
    ValueError: secure aggregation: 1 share(s) cannot recover a secret shared with threshold 2; ...
  """
  if len(shares) < threshold:
    raise ValueError(
        f'secure aggregation: {len(shares)} share(s) cannot recover a secret '
        f'shared with threshold {threshold}; at least {threshold} clients '
        f'must answer the unmasking round.')
  points = sorted(shares.items())[:threshold]
  secret = 0
  for i, (xi, yi) in enumerate(points):
    numerator, denominator = 1, 1
    for j, (xj, _) in enumerate(points):
      if i != j:
        numerator = numerator * -xj % PRIME
        denominator = denominator * (xi - xj) % PRIME
    secret = (secret + yi * numerator * pow(denominator, -1, PRIME)) % PRIME
  return secret
