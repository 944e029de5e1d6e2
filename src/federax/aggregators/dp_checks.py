"""Checks of the numeric arguments of the norm and privacy aggregators.

Each returns the argument as a Python float (or int) or raises a
`TypeError` (wrong kind of value) or `ValueError` (out of range) that names
the argument, shows what was expected and what came, and says how to fix it.
"""

from __future__ import annotations

import math
import numbers


def _kind(value) -> str:
  return type(value).__name__


def describe(value) -> str:
  """How an unexpected argument is shown in an error: its type, and a hint
  when it is a class that should have been instantiated."""
  if isinstance(value, type):
    return f'the class {value.__name__} (call it: {value.__name__}(...))'
  return type(value).__name__


def number(value, name: str, who: str, fix: str = '') -> float:
  """`value` as a float: a real number that is not a bool.

  Example:
    >>> from federax.aggregators import dp_checks
    >>> dp_checks.number(2, 'clip', 'f')
    2.0
    >>> dp_checks.number('2', 'clip', 'f')
    Traceback (most recent call last):
    ...
    TypeError: f: clip: expected a float (e.g. 1.0), got str '2'.
  """
  if isinstance(value, bool) or not isinstance(value, numbers.Real):
    raise TypeError(f'{who}: {name}: expected a float (e.g. 1.0), got '
                    f'{_kind(value)} {value!r}.{" " + fix if fix else ""}')
  return float(value)


def positive(value, name: str, who: str, fix: str = '') -> float:
  """A finite float > 0."""
  value = number(value, name, who, fix)
  if not (value > 0 and math.isfinite(value)):
    raise ValueError(f'{who}: {name}: expected a finite float > 0, got '
                     f'{value}.{" " + fix if fix else ""}')
  return value


def nonnegative(value, name: str, who: str, fix: str = '') -> float:
  """A finite float >= 0.

  Example:
    >>> from federax.aggregators import dp_checks
    >>> dp_checks.nonnegative(-1.0, 'noise_multiplier', 'f',
    ...                       'Pass 0.0 for no noise.')
    Traceback (most recent call last):
    ...
    ValueError: f: noise_multiplier: expected a finite float >= 0, got -1.0. Pass 0.0 for no noise.
  """
  value = number(value, name, who, fix)
  if not (value >= 0 and math.isfinite(value)):
    raise ValueError(f'{who}: {name}: expected a finite float >= 0, got '
                     f'{value}.{" " + fix if fix else ""}')
  return value


def probability(value, name: str, who: str) -> float:
  """A float in [0, 1]."""
  value = number(value, name, who)
  if not 0 <= value <= 1:
    raise ValueError(f'{who}: {name}: expected a float in [0, 1], got '
                     f'{value}.')
  return value


def clients_per_round(value, who: str) -> float:
  """The expected number of clients per round: a number >= 1."""
  fix = 'Pass the expected number of clients in each round, e.g. 10.'
  value = number(value, 'clients_per_round', who, fix)
  if not (value >= 1 and math.isfinite(value)):
    raise ValueError(f'{who}: clients_per_round: expected a number >= 1, '
                     f'got {value}. {fix}')
  return value


def seed(value, who: str, name: str = 'noise_seed') -> int | None:
  """None or an integer in [0, 2**32): the seed of a JAX PRNG key."""
  if value is None:
    return None
  if isinstance(value, bool) or not isinstance(value, numbers.Integral):
    raise TypeError(f'{who}: {name}: expected None or an int, got '
                    f'{_kind(value)} {value!r}.')
  if not 0 <= int(value) < 2**32:
    raise ValueError(f'{who}: {name}: expected an int in [0, 2**32), got '
                     f'{value}.')
  return int(value)


def positive_int(value, name: str, who: str) -> int:
  """An int >= 1."""
  if isinstance(value, bool) or not isinstance(value, numbers.Integral):
    raise TypeError(f'{who}: {name}: expected an int >= 1, got '
                    f'{_kind(value)} {value!r}.')
  if value < 1:
    raise ValueError(f'{who}: {name}: expected an int >= 1, got {value}.')
  return int(value)


def sampled(event, population_size, per_round, who: str):
  """`event` Poisson-sampled at `per_round / population_size` (unchanged
  without a population), `per_round` being the clients per round."""
  if population_size is None:
    return event
  import dp_accounting
  population = positive_int(population_size, 'population_size', who)
  if per_round is None:
    raise ValueError(f'{who}: clients_per_round: expected the number of '
                     f'clients sampled per round to go with population_size, '
                     f'got None. Pass clients_per_round=...')
  n = clients_per_round(per_round, who)
  if n > population:
    raise ValueError(f'{who}: population_size: expected at least '
                     f'clients_per_round ({n:g}), got {population}.')
  return dp_accounting.PoissonSampledDpEvent(n / population, event)


def rounds(num_rounds, who: str) -> int:
  """A number of rounds: an int >= 0."""
  if isinstance(num_rounds, bool) or not isinstance(num_rounds, int) or (
      num_rounds < 0):
    raise ValueError(f'{who}: num_rounds: expected an int >= 0, got '
                     f'{num_rounds!r}.')
  return num_rounds
