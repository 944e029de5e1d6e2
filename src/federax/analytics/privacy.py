"""Differential privacy for the analytics: thresholds and argument checks."""

from __future__ import annotations

import math
import numbers
import statistics


def check_noise(noise_multiplier, who: str):
  """None, or `noise_multiplier` as a finite float >= 0."""
  if noise_multiplier is None:
    return None
  if isinstance(noise_multiplier, bool) or not isinstance(
      noise_multiplier, numbers.Real) or not (
          math.isfinite(noise_multiplier) and noise_multiplier >= 0):
    raise ValueError(f'{who}: noise_multiplier: expected None (no noise) or '
                     f'a finite float >= 0, got {noise_multiplier!r}.')
  return float(noise_multiplier)


def check_count(value, name: str, who: str, allow_none: bool = True):
  """None (when allowed), or `value` as an int >= 1."""
  if value is None and allow_none:
    return None
  if isinstance(value, bool) or not isinstance(value, numbers.Integral) or (
      value < 1):
    none = 'None or ' if allow_none else ''
    raise ValueError(f'{who}: {name}: expected {none}an int >= 1, got '
                     f'{value!r}.')
  return int(value)


def gaussian_threshold(noise_multiplier: float, max_words_per_user: int,
                       delta: float) -> float:
  """The release threshold of Gaussian partition selection.

  Heavy hitters with noise add N(0, sigma^2) to each decoded string's
  number of clients, `sigma = noise_multiplier * sqrt(max_words_per_user)`,
  and release the strings whose noisy count reaches a threshold. A string
  held by a single client is released with probability `1 - Phi((t - 1) /
  sigma)`; with this threshold `t`, the chance that any of a client's
  `max_words_per_user` strings is released only because of that client is
  at most `delta`, the part of the privacy `delta` due to selecting which
  strings to release (Gopi et al., 2020, "Differentially private set
  union"; Wilson et al., 2020). The counts themselves are protected by the
  Gaussian noise.

  Example:
    >>> from federax import analytics
    >>> round(analytics.gaussian_threshold(1.0, 1, 1e-6), 3)  # 1 + 4.753
    5.753
  """
  who = 'gaussian_threshold'
  z = check_noise(noise_multiplier, who)
  if not z:
    raise ValueError(f'{who}: noise_multiplier: expected a float > 0, got '
                     f'{noise_multiplier!r}. Without noise use k_anonymity.')
  k = check_count(max_words_per_user, 'max_words_per_user', who, False)
  if isinstance(delta, bool) or not isinstance(delta, numbers.Real) or not (
      0 < delta < 1):
    raise ValueError(f'{who}: delta: expected a float in (0, 1), got '
                     f'{delta!r}.')
  sigma = z * math.sqrt(k)
  return 1.0 + sigma * statistics.NormalDist().inv_cdf(1.0 - delta / k)
