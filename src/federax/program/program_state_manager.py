"""The interface of program state managers (TFF's `ProgramStateManager`).

A program state manager saves and loads versions of a program's state (a
training process's state, with the round number as version) so that a
program that stops can start again where it was. TFF's methods are
coroutines; federax's are plain synchronous methods.
"""

from __future__ import annotations

import abc
from typing import Any


class ProgramStateExistsError(ValueError):
  """`save` was given a version that is already saved."""

  def __init__(self, version: int, where: str = ''):
    super().__init__(
        f'save: version: program state {version} already exists{where}. '
        f'Versions increase strictly: save a larger version, or remove the '
        f'old state (remove_all()) to start over.')


class ProgramStateNotFoundError(ValueError):
  """`load` was given a version that is not saved."""

  def __init__(self, version: int, where: str = ''):
    super().__init__(
        f'load: version: there is no program state {version}{where}; '
        f'get_versions() lists the saved versions.')


class ProgramStateManager(abc.ABC):
  """Saves and loads versions of a program's state.

  Subclasses implement `get_versions`, `load` and `save`; `load_latest`
  follows from them.

  Example:
    >>> class InMemory(ProgramStateManager):
    ...   def __init__(self):
    ...     self.saved = {}
    ...   def get_versions(self):
    ...     return sorted(self.saved) or None
    ...   def load(self, version, structure):
    ...     if version not in self.saved:
    ...       raise ProgramStateNotFoundError(version)
    ...     return self.saved[version]
    ...   def save(self, program_state, version):
    ...     self.saved[version] = program_state
    >>> manager = InMemory()
    >>> manager.load_latest(structure=None)
    (None, 0)
    >>> manager.save({'w': 1.0}, 3)
    >>> manager.load_latest(structure=None)
    ({'w': 1.0}, 3)
  """

  @abc.abstractmethod
  def get_versions(self) -> list[int] | None:
    """The saved versions in increasing order, or None if there are none."""

  @abc.abstractmethod
  def load(self, version: int, structure: Any) -> Any:
    """The state saved as `version`, in the containers of `structure`.

    Raises `ProgramStateNotFoundError` if there is no such version.
    """

  @abc.abstractmethod
  def save(self, program_state: Any, version: int) -> None:
    """Saves `program_state` as `version` (a strictly increasing int)."""

  def load_latest(self, structure: Any) -> tuple[Any, int]:
    """`(state, version)` of the latest saved version, or `(None, 0)`."""
    versions = self.get_versions()
    if not versions:
      return None, 0
    latest = max(versions)
    try:
      return self.load(latest, structure), latest
    except ProgramStateNotFoundError:
      return None, 0
