"""Keeping released values in memory (TFF's `MemoryReleaseManager`)."""

from __future__ import annotations

from typing import Any

from federax.program import release_manager


class MemoryReleaseManager(release_manager.ReleaseManager):
  """Keeps every released value, by key; a later release of a key replaces
  the earlier one.

  Example:
    >>> import federax as fx
    >>> memory = fx.program.MemoryReleaseManager()
    >>> memory.release({'loss': 0.5}, key=1)
    >>> memory.release({'loss': 0.25}, key=2)
    >>> memory.values()
    {1: {'loss': 0.5}, 2: {'loss': 0.25}}
  """

  def __init__(self):
    self._values = {}

  def release(self, value: Any, key: Any) -> None:
    self._values[key] = value

  def values(self) -> dict:
    """The released values by key, in the order they were released."""
    return dict(self._values)

  def remove_all(self) -> None:
    """Forgets every released value."""
    self._values.clear()
