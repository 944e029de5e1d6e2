"""Memory, logging, filtering, grouping, periodic and delayed releases."""

import collections
import datetime
import logging
from typing import NamedTuple

import numpy as np
import pytest

import federax as fx

program = fx.program


class Metrics(NamedTuple):
  loss: float
  accuracy: float


def test_memory_keeps_values_by_key():
  memory = program.MemoryReleaseManager()
  memory.release(1.0, 1)
  memory.release({'a': 2}, 'x')
  memory.release(3.0, 1)  # Replaces.
  assert memory.values() == {1: 3.0, 'x': {'a': 2}}
  memory.remove_all()
  assert memory.values() == {}


def test_logging_logs_at_info(caplog):
  with caplog.at_level(logging.INFO, logger='federax.program'):
    program.LoggingReleaseManager().release({'loss': 0.5}, 7)
  assert caplog.records[-1].getMessage() == (
      "Releasing value {'loss': 0.5} with key 7")


def test_filtering_by_path():
  memory = program.MemoryReleaseManager()
  value = collections.OrderedDict(
      train=collections.OrderedDict(loss=1.0, accuracy=0.5),
      sizes=[3, 4, 5], note='x')
  keep = {('train', 'loss'), ('sizes', 1)}
  program.FilteringReleaseManager(memory, lambda p: p in keep).release(
      value, 1)
  assert memory.values()[1] == {'train': {'loss': 1.0}, 'sizes': [4]}
  assert type(memory.values()[1]) is collections.OrderedDict


def test_filtering_keeps_whole_namedtuples_and_drops_empty_releases():
  memory = program.MemoryReleaseManager()
  everything = program.FilteringReleaseManager(memory, lambda p: True)
  everything.release({'m': Metrics(1.0, 0.5)}, 1)
  assert memory.values()[1] == {'m': Metrics(1.0, 0.5)}
  nothing = program.FilteringReleaseManager(memory, lambda p: False)
  nothing.release({'m': Metrics(1.0, 0.5)}, 2)
  assert 2 not in memory.values()
  program.FilteringReleaseManager(memory, lambda p: p == ()).release(4.0, 3)
  assert memory.values()[3] == 4.0
  partly = program.FilteringReleaseManager(memory,
                                           lambda p: p[-1] == 'loss')
  with pytest.raises(program.NotFilterableError, match='accuracy'):
    partly.release({'m': Metrics(1.0, 0.5)}, 4)


def test_grouping_releases_to_all():
  a, b = program.MemoryReleaseManager(), program.MemoryReleaseManager()
  program.GroupingReleaseManager([a, b]).release(1, 2)
  assert a.values() == b.values() == {2: 1}


def test_periodic_by_count_and_by_time():
  memory = program.MemoryReleaseManager()
  every_2nd = program.PeriodicReleaseManager(memory, 2)
  for key in range(1, 6):
    every_2nd.release(key, key)
  assert list(memory.values()) == [2, 4]
  hourly = program.PeriodicReleaseManager(program.MemoryReleaseManager(),
                                          datetime.timedelta(hours=1))
  hourly.release(1, 1)
  assert hourly._release_manager.values() == {}
  fast = program.PeriodicReleaseManager(memory,
                                        datetime.timedelta(microseconds=1))
  fast._timestamp -= datetime.timedelta(seconds=1)
  fast.release('now', 9)
  assert memory.values()[9] == 'now'


def test_delayed():
  memory = program.MemoryReleaseManager()
  delayed = program.DelayedReleaseManager(memory, 2)
  for key in range(1, 4):
    delayed.release(key, key)
  assert list(memory.values()) == [2, 3]


@pytest.mark.parametrize('make, error, message', [
    (lambda m: program.FilteringReleaseManager(object(), bool), TypeError,
     'release_manager'),
    (lambda m: program.FilteringReleaseManager(m, 3), TypeError, 'filter_fn'),
    (lambda m: program.GroupingReleaseManager([]), ValueError,
     'release_managers'),
    (lambda m: program.GroupingReleaseManager([m, 'x']), TypeError,
     r'release_managers\[1\]'),
    (lambda m: program.PeriodicReleaseManager(m, 0), ValueError,
     'periodicity'),
    (lambda m: program.PeriodicReleaseManager(m, 1.5), TypeError,
     'periodicity'),
    (lambda m: program.DelayedReleaseManager(m, 0), ValueError, 'delay'),
])
def test_argument_errors(make, error, message):
  with pytest.raises(error, match=message):
    make(program.MemoryReleaseManager())


def test_flatten_with_name():
  value = {'a': Metrics(np.float32(1), 2), 'b': [{'c': 3}], 'd': fx.Struct(
      [('e', 4), (None, 5)])}
  assert program.flatten_with_name(value) == [
      ('a/loss', np.float32(1)), ('a/accuracy', 2), ('b/0/c', 3),
      ('d/e', 4), ('d/1', 5)]
