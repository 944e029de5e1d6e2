"""Releasing values to Python's `logging` (TFF's `LoggingReleaseManager`)."""

from __future__ import annotations

import logging
from typing import Any

from federax.program import release_manager

_LOGGER = logging.getLogger('federax.program')


class LoggingReleaseManager(release_manager.ReleaseManager):
  """Logs each released value at INFO on the `federax.program` logger.

  Example:
    >>> import logging, sys, federax as fx
    >>> handler = logging.StreamHandler(sys.stdout)
    >>> logger = logging.getLogger('federax.program')
    >>> logger.addHandler(handler); logger.setLevel(logging.INFO)
    >>> fx.program.LoggingReleaseManager().release({'loss': 0.5}, key=3)
    Releasing value {'loss': 0.5} with key 3
    >>> logger.removeHandler(handler); logger.setLevel(logging.NOTSET)
  """

  def __init__(self, logger: logging.Logger | None = None):
    self._logger = logger or _LOGGER

  def release(self, value: Any, key: Any) -> None:
    self._logger.info('Releasing value %s with key %s', value, key)
