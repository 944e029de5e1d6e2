"""Sending shares to workers, with retries or drops when a worker dies.

The scheduler is written against a small pool interface (`submit`,
`wait`, `get`, `forget`, `live`), so the Ray pool and the in-process pool
used by tests share it: each live worker runs one share at a time; a
share whose worker is lost goes back to the front of the queue for
another worker, or, under the `drop` policy, is dropped when enough of the
call's clients remain.
"""

from __future__ import annotations

import collections
import dataclasses
import math


class WorkerLost(Exception):
  """A worker died (its process was killed, its node went away)."""


@dataclasses.dataclass(frozen=True)
class FailurePolicy:
  """What a call does when a worker dies while running a share.

  `on_failure='retry'` runs the share again on another worker (at most
  `max_retries` times per share), so the result equals a fault-free run.
  `'drop'` leaves the share's clients out of the call when at least
  `min_fraction` of its clients remain (otherwise it retries); only the
  first pass over the clients drops (later passes of a multi-stage call
  retry, so every stage sees the same clients).

  Example:
    >>> FailurePolicy('drop', min_fraction=0.75).can_drop(100, 20)
    True
    >>> FailurePolicy('drop', min_fraction=0.75).can_drop(100, 30)
    False
  """

  on_failure: str = 'retry'
  max_retries: int = 3
  min_fraction: float = 0.5

  def __post_init__(self):
    if self.on_failure not in ('retry', 'drop'):
      raise ValueError(f"on_failure: expected 'retry' or 'drop', got "
                       f"{self.on_failure!r}.")
    if not isinstance(self.max_retries, int) or self.max_retries < 0:
      raise ValueError(f'max_retries: expected an int >= 0, got '
                       f'{self.max_retries!r}.')
    if not 0.0 <= self.min_fraction <= 1.0:
      raise ValueError(f'min_fraction: expected a number in [0, 1], got '
                       f'{self.min_fraction!r}.')

  def can_drop(self, num_clients: int, num_dropped: int) -> bool:
    """Whether `num_dropped` of `num_clients` may be left out."""
    remaining = num_clients - num_dropped
    return (self.on_failure == 'drop' and remaining >= 1 and
            remaining >= math.ceil(self.min_fraction * num_clients))


@dataclasses.dataclass
class CallReport:
  """What happened in one call on the Ray backend.

  `dropped` lists the indices (in the call's client order) of clients left
  out under the `drop` policy; `retries` counts shares run again after
  their worker died; `lost_workers` counts workers that died.

  Example:
    >>> report = CallReport(num_clients=10, num_shares=2)
    >>> report.as_metrics()['num_dropped_clients']
    0
  """

  num_clients: int = 0
  num_shares: int = 0
  stages: int = 0
  retries: int = 0
  lost_workers: int = 0
  dropped: list = dataclasses.field(default_factory=list)
  seconds: float = 0.0

  def as_metrics(self) -> collections.OrderedDict:
    """Counts to add to a round's metrics (e.g. `metrics['ray']`)."""
    return collections.OrderedDict(
        num_clients=self.num_clients,
        num_dropped_clients=len(self.dropped),
        num_retried_shares=self.retries, num_lost_workers=self.lost_workers)


def run_stage(pool, ranges: list, submit, policy: FailurePolicy,
              report: CallReport, droppable: bool, skip=frozenset()) -> dict:
  """Runs `submit(worker, share)` for every share index not in `skip`.

  Returns `{share: result}` for the shares that ran; under the drop policy
  (when `droppable`), failed shares are added to `report.dropped` and left
  out. Raises RuntimeError when no worker is left or a share failed more
  than `policy.max_retries` times.
  """
  num_clients = sum(b - a for a, b in ranges)
  queue = collections.deque(i for i in range(len(ranges)) if i not in skip)
  idle = list(pool.live())
  inflight, results, failures = {}, {}, collections.Counter()
  while queue or inflight:
    while queue and idle:
      worker, share = idle.pop(0), queue.popleft()
      inflight[submit(worker, share)] = (worker, share)
    if not inflight:
      raise RuntimeError(
          f'federax.backends.ray: every worker was lost, with '
          f'{len(queue)} shares of the call left to run; start more '
          f'workers (num_workers=) or check the cluster (ray status).')
    for future in pool.wait(list(inflight)):
      worker, share = inflight.pop(future)
      try:
        results[share] = pool.get(future)
      except WorkerLost as e:
        pool.forget(worker)
        report.lost_workers += 1
        failures[share] += 1
        a, b = ranges[share]
        if droppable and policy.can_drop(num_clients,
                                         len(report.dropped) + b - a):
          report.dropped.extend(range(a, b))
          continue
        if failures[share] > policy.max_retries:
          raise RuntimeError(
              f'federax.backends.ray: share {share} (clients {a}..{b - 1}) '
              f'failed {failures[share]} times; last: {e}') from e
        report.retries += 1
        queue.appendleft(share)
        idle.extend(pool.replacements())
        continue
      idle.append(worker)
  return results


class InProcessPool:
  """Workers in this process (no Ray): for tests and debugging.

  `fail` maps a worker index to the indices of its calls (0 for its first)
  that fail as if the worker had died; the worker is then lost. The
  workers share compiled programs (`programs`, a dict that pools may
  share too), as they share the process.

  Example:
    >>> pool = InProcessPool(2)
    >>> pool.live()
    [0, 1]
  """

  def __init__(self, num_workers: int = 2, chunk_size: int | None = None,
               fail: dict | None = None, programs=None):
    from federax.backends.ray import worker as worker_lib
    import jax
    x64 = bool(jax.config.jax_enable_x64)
    if programs is None:
      programs = collections.OrderedDict()
    self.workers = {i: worker_lib.Worker(chunk_size, x64, programs=programs)
                    for i in range(num_workers)}
    self.fail = {w: set(calls) for w, calls in (fail or {}).items()}
    self.calls = collections.Counter()

  def live(self) -> list:
    return sorted(self.workers)

  def ensure(self):
    pass

  def put(self, value):
    return value

  def put_blob(self, key, blob):
    return blob

  def submit(self, worker, method: str, *args):
    call = self.calls[worker]
    self.calls[worker] += 1
    if call in self.fail.get(worker, ()):
      return _Done(WorkerLost(f'worker {worker} was lost (simulated)'))
    return _Done(getattr(self.workers[worker], method)(*args))

  def wait(self, futures: list) -> list:
    return list(futures)

  def get(self, future):
    if isinstance(future.value, WorkerLost):
      raise future.value
    return future.value

  def forget(self, worker):
    self.workers.pop(worker, None)

  def replacements(self) -> list:
    return []

  def shutdown(self):
    self.workers.clear()


class _Done:
  """A finished in-process call (hashable, unlike its value)."""

  def __init__(self, value):
    self.value = value
