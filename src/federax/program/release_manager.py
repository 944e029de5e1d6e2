"""Release managers and the wrappers that combine them (TFF's names).

A release manager takes values out of a program (metrics, models) with
`release(value, key)`, the key being e.g. the round number. TFF's
`release` is a coroutine; here it is a plain method. The wrappers filter
what is released (`FilteringReleaseManager`), fan it out
(`GroupingReleaseManager`), thin it out (`PeriodicReleaseManager`) or skip
the first calls (`DelayedReleaseManager`).
"""

from __future__ import annotations

import abc
import datetime
from collections.abc import Callable, Sequence
from typing import Any

from federax.core import structure as structure_lib
from federax.program import flatten


class ReleaseManager(abc.ABC):
  """Releases values from a program; subclasses implement `release`.

  Example:
    >>> class Printing(ReleaseManager):
    ...   def release(self, value, key):
    ...     print(key, value)
    >>> Printing().release({'loss': 0.5}, key=1)
    1 {'loss': 0.5}
  """

  @abc.abstractmethod
  def release(self, value: Any, key: Any) -> None:
    """Releases `value` under `key` (e.g. the round number)."""


class NotFilterableError(ValueError):
  """Some, not all, fields of a NamedTuple were filtered out."""


_FILTERED = object()


def _check_manager(manager, where: str) -> None:
  if not isinstance(manager, ReleaseManager):
    raise TypeError(f'{where}: expected a fx.program.ReleaseManager, got '
                    f'{type(manager).__name__}. Subclass ReleaseManager and '
                    f'implement release(value, key).')


class FilteringReleaseManager(ReleaseManager):
  """Releases to `release_manager` the leaves whose path `filter_fn` keeps.

  A path is a tuple of dict keys, field names and positions (`()` for a
  value that is not a structure). Containers left empty are dropped; if
  nothing is left, nothing is released. The fields of a NamedTuple cannot
  be filtered out one by one (`NotFilterableError`, as TFF).

  Example:
    >>> import federax as fx
    >>> memory = fx.program.MemoryReleaseManager()
    >>> only_loss = fx.program.FilteringReleaseManager(
    ...     memory, lambda path: path[-1] == 'loss')
    >>> only_loss.release({'train': {'loss': 0.5, 'accuracy': 0.9}}, key=1)
    >>> memory.values()
    {1: {'train': {'loss': 0.5}}}
  """

  def __init__(self, release_manager: ReleaseManager,
               filter_fn: Callable[[tuple], bool]):
    _check_manager(release_manager, 'FilteringReleaseManager: '
                   'release_manager')
    if not callable(filter_fn):
      raise TypeError(f'FilteringReleaseManager: filter_fn: expected a '
                      f'function of a path (a tuple), got {filter_fn!r}.')
    self._release_manager = release_manager
    self._filter_fn = filter_fn

  def _filter(self, value, path):
    items = flatten.items_of(value)
    if items is None:
      return value if self._filter_fn(path) else _FILTERED
    kept = [(k, self._filter(v, path + (k,))) for k, v in items]
    kept_items = [(k, v) for k, v in kept if v is not _FILTERED]
    if not kept_items:
      return _FILTERED
    if isinstance(value, dict):
      return type(value)(kept_items)
    if isinstance(value, (list, tuple)) and not (
        structure_lib.is_named_tuple(value)):
      return type(value)(v for _, v in kept_items)
    if len(kept_items) != len(kept):
      missing = [k for k, v in kept if v is _FILTERED]
      raise NotFilterableError(
          f'FilteringReleaseManager: the fields {missing} of the '
          f'{type(value).__name__} at {path} were filtered out, but the '
          f'fields of a NamedTuple (or dataclass) cannot be dropped one by '
          f'one. Keep all of them or none, or release a dict.')
    return structure_lib.build(structure_lib.container_of(value),
                               [n for n, _ in structure_lib.elements_of(value)],
                               [v for _, v in kept_items])

  def release(self, value: Any, key: Any) -> None:
    filtered = self._filter(value, ())
    if filtered is not _FILTERED:
      self._release_manager.release(filtered, key)


class GroupingReleaseManager(ReleaseManager):
  """Releases each value to every manager in `release_managers`.

  Example:
    >>> import federax as fx
    >>> a, b = fx.program.MemoryReleaseManager(), fx.program.MemoryReleaseManager()
    >>> fx.program.GroupingReleaseManager([a, b]).release(1.5, key=0)
    >>> a.values(), b.values()
    ({0: 1.5}, {0: 1.5})
  """

  def __init__(self, release_managers: Sequence[ReleaseManager]):
    if isinstance(release_managers, (str, bytes)) or not isinstance(
        release_managers, Sequence) or not release_managers:
      raise ValueError(f'GroupingReleaseManager: release_managers: expected '
                       f'a non-empty list of release managers, got '
                       f'{release_managers!r}.')
    for i, manager in enumerate(release_managers):
      _check_manager(manager, f'GroupingReleaseManager: release_managers[{i}]')
    self._release_managers = list(release_managers)

  def release(self, value: Any, key: Any) -> None:
    for manager in self._release_managers:
      manager.release(value, key)


class PeriodicReleaseManager(ReleaseManager):
  """Releases every `periodicity`-th value, or one per `periodicity` of time.

  An int `periodicity` of 3 releases the 3rd, 6th, 9th, ... value; a
  `datetime.timedelta` releases a value when that much time has passed
  since the last value released (or since construction).

  Example:
    >>> import federax as fx
    >>> memory = fx.program.MemoryReleaseManager()
    >>> every_3rd = fx.program.PeriodicReleaseManager(memory, 3)
    >>> for round_num in range(1, 10):
    ...   every_3rd.release(round_num * 10, round_num)
    >>> memory.values()
    {3: 30, 6: 60, 9: 90}
  """

  def __init__(self, release_manager: ReleaseManager,
               periodicity: int | datetime.timedelta):
    _check_manager(release_manager, 'PeriodicReleaseManager: '
                   'release_manager')
    if isinstance(periodicity, bool) or not isinstance(
        periodicity, (int, datetime.timedelta)):
      raise TypeError(f'PeriodicReleaseManager: periodicity: expected an int '
                      f'or a datetime.timedelta, got {periodicity!r}.')
    if (isinstance(periodicity, int) and periodicity < 1) or (
        isinstance(periodicity, datetime.timedelta) and
        periodicity.total_seconds() <= 0):
      raise ValueError(f'PeriodicReleaseManager: periodicity: expected a '
                       f'positive int or timedelta, got {periodicity!r}.')
    self._release_manager = release_manager
    self._periodicity = periodicity
    self._count = 0
    self._timestamp = datetime.datetime.now()

  def release(self, value: Any, key: Any) -> None:
    if isinstance(self._periodicity, int):
      self._count += 1
      if self._count % self._periodicity == 0:
        self._release_manager.release(value, key)
      return
    now = datetime.datetime.now()
    if now >= self._timestamp + self._periodicity:
      self._timestamp = now
      self._release_manager.release(value, key)


class DelayedReleaseManager(ReleaseManager):
  """Releases values from the `delay`-th call of `release` on.

  Example:
    >>> import federax as fx
    >>> memory = fx.program.MemoryReleaseManager()
    >>> later = fx.program.DelayedReleaseManager(memory, delay=3)
    >>> for round_num in range(1, 5):
    ...   later.release(round_num, round_num)
    >>> memory.values()
    {3: 3, 4: 4}
  """

  def __init__(self, release_manager: ReleaseManager, delay: int):
    _check_manager(release_manager, 'DelayedReleaseManager: release_manager')
    if isinstance(delay, bool) or not isinstance(delay, int) or delay < 1:
      raise ValueError(f'DelayedReleaseManager: delay: expected an int >= 1, '
                       f'got {delay!r}.')
    self._release_manager = release_manager
    self._delay = delay
    self._count = 0

  def release(self, value: Any, key: Any) -> None:
    self._count += 1
    if self._count >= self._delay:
      self._release_manager.release(value, key)
