"""The Ray backend as an execution context: the driver's side of a call."""

from __future__ import annotations

import hashlib
import logging
import time
import weakref

from federax.backends.ray import dispatch
from federax.backends.ray import remote_data
from federax.backends.ray import shares
from federax.core import context_stack
from federax.core import types
from federax.core import value_conversion

_LOG = logging.getLogger('federax')


class RayContext(context_stack.Context):
  """Runs each federated call on a pool of workers (Ray actors).

  The call's clients are cut into contiguous shares (one per worker, or of
  at most `clients_per_share`); each worker runs its shares with the
  vectorized JAX backend, folding them into unfinished accumulators; the
  driver merges the shares' accumulators in share order at each
  aggregation pass and evaluates the server side (see `staging.py`).
  Computations travel serialized (`fx.serialize`), once per worker.
  A computation the vectorized backend cannot lower runs on the driver's
  interpreter. `failure_policy` says what a lost worker costs
  (`dispatch.FailurePolicy`); `last_report` describes the last call.

  Build one with `create_ray_context`, `set_ray_context` or `ray_context`;
  `RayContext(pool)` takes any pool, e.g. `dispatch.InProcessPool` to run
  the split and merge without Ray.

  Example:
    >>> import numpy as np, federax as fx
    >>> from federax.backends.ray import dispatch
    >>> ctx = fx.backends.ray.RayContext(dispatch.InProcessPool(2))
    >>> mean = fx.federated_computation(
    ...     lambda x: fx.federated_mean(x), fx.type_at_clients(np.float32))
    >>> with fx.framework.install_context(ctx):
    ...   print(float(mean([1.0, 2.0, 3.0, 6.0])))
    3.0
    >>> ctx.last_report.num_shares
    2
  """

  def __init__(self, pool, clients_per_share: int | None = None,
               failure_policy: dispatch.FailurePolicy | None = None,
               default_num_clients: int = 0, owns_ray: bool = False):
    if clients_per_share is not None and (
        not isinstance(clients_per_share, int) or clients_per_share < 1):
      raise ValueError(f'clients_per_share: expected a positive int or None, '
                       f'got {clients_per_share!r}.')
    if not isinstance(default_num_clients, int) or default_num_clients < 0:
      raise ValueError(f'default_num_clients: expected an int >= 0, got '
                       f'{default_num_clients!r}.')
    if failure_policy is None:
      failure_policy = dispatch.FailurePolicy()
    if not isinstance(failure_policy, dispatch.FailurePolicy):
      raise TypeError(f'failure_policy: expected a FailurePolicy, got '
                      f'{type(failure_policy).__name__}.')
    self.pool = pool
    self.clients_per_share = clients_per_share
    self.failure_policy = failure_policy
    self.default_num_clients = default_num_clients
    self.last_report: dispatch.CallReport | None = None
    self._owns_ray = owns_ray
    self._shipped = weakref.WeakKeyDictionary()    # computation -> key, blob
    self._programs = weakref.WeakKeyDictionary()   # computation -> driver's
    self._lowerable = weakref.WeakKeyDictionary()
    self._interpreter = None

  def shutdown(self):
    """Stops the workers (and Ray, if this context started it)."""
    if self.pool is not None:
      self.pool.shutdown()
      self.pool = None
    if self._owns_ray:
      import ray
      ray.shutdown()
      self._owns_ray = False

  def _fallback(self, computation, arg, reason):
    if _contains_remote(arg):
      raise TypeError(
          f'{computation.name}: RemoteClientData needs a computation the '
          f'vectorized backend runs, and this one runs on the interpreter '
          f'({reason}); pass the client datasets as a list instead.')
    _LOG.debug('federax: running %s on the interpreter: %s', computation.name,
               reason)
    if self._interpreter is None:
      from federax.backends.interpreter import InterpreterContext
      self._interpreter = InterpreterContext(self.default_num_clients)
    return self._interpreter.invoke(computation, arg)

  def _shipment(self, computation):
    """The computation's cache key and serialized form (made once)."""
    if computation not in self._shipped:
      import federax
      blob = federax.serialize(computation)
      key = hashlib.sha256(blob).hexdigest()
      self._shipped[computation] = (key, self.pool.put_blob(key, blob))
    return self._shipped[computation]

  def _driver(self, computation):
    from federax.backends.ray import staging
    if computation not in self._programs:
      self._programs[computation] = staging.DriverProgram(computation)
    return self._programs[computation]

  def invoke(self, computation, arg):
    from federax.backends.interpreter import context as interpreter_context
    from federax.backends.jax import ingest
    if self.pool is None:
      raise ValueError('This RayContext was shut down; create a new one with '
                       'fx.backends.ray.create_ray_context().')
    if computation not in self._lowerable:
      self._lowerable[computation] = ingest.check_lowerable(computation)
    if self._lowerable[computation]:
      return self._fallback(computation, arg, self._lowerable[computation])
    ft = computation.type_signature
    cardinality = value_conversion.Cardinality()
    internal = None
    try:
      if ft.parameter is not None:
        internal = _ingest(arg, ft.parameter,
                           interpreter_context.argument_path(computation),
                           cardinality)
    except ingest.NotLowerable as e:
      return self._fallback(computation, arg, str(e))
    n = cardinality.value
    n = self.default_num_clients if n is None else n
    start = time.perf_counter()
    report = dispatch.CallReport(num_clients=n)
    self.last_report = report
    result = self._run(computation, internal, n, report)
    report.seconds = time.perf_counter() - start
    return ingest.to_python(result, ft.result)

  def _run(self, computation, internal, n, report):
    t = computation.type_signature.parameter
    driver = self._driver(computation)
    server = shares.server_part(internal, t)
    known = []
    kind, value = driver.run(server, known)  # Up to the first pass.
    if kind == 'done':
      return value[0]
    ranges = []
    if n:
      self.pool.ensure()
      ranges = shares.split(n, shares.num_shares_for(
          n, len(self.pool.live()), self.clients_per_share))
      key, blob = self._shipment(computation)
      parts = shares.client_parts(internal, t)
      server_ref = self.pool.put(server)
      cut = [shares.take(parts, a, b) for a, b in ranges]
    report.num_shares = len(ranges)
    while True:
      report.stages += 1
      results = {}
      if ranges:
        known_ref = self.pool.put(known)

        def submit(worker, share):
          a, b = ranges[share]
          return self.pool.submit(worker, 'run_share', key, blob, server_ref,
                                  cut[share], known_ref, b - a)

        dropped = set(report.dropped)
        skip = {i for i, (a, _) in enumerate(ranges) if a in dropped}
        results = dispatch.run_stage(self.pool, ranges, submit,
                                     self.failure_policy, report,
                                     droppable=not known, skip=skip)
      order = sorted(results)
      _raise_failed_checks([results[s][2] for s in order])
      partials = [results[s][0] for s in order]
      rows = shares.concat_rows([results[s][1] for s in order])
      kind, value = driver.run(server, known, partials, rows)
      if kind == 'done':
        return value[0]
      known.append(value)


def _raise_failed_checks(flags_per_share: list):
  import numpy as np
  for flags in flags_per_share:
    for message, failed in flags.items():
      if bool(np.asarray(failed)):
        raise ValueError(message)


def _ingest(value, t, path, cardinality):
  """`ingest.ingest`, leaving `RemoteClientData` for the workers to read."""
  from federax.backends.jax import ingest
  if isinstance(value, remote_data.RemoteClientData):
    if not ingest.is_clients(t) or not isinstance(t.member,
                                                  types.SequenceType):
      raise TypeError(f'{path}: RemoteClientData stands for client datasets '
                      f'({{<...>*}}@CLIENTS), but the parameter is {t}.')
    cardinality.observe(path, len(value))
    return value
  if isinstance(t, types.StructType):
    return tuple(_ingest(v, et, label, cardinality)
                 for label, v, et in value_conversion.struct_items(
                     value, t, path))
  return ingest.ingest(value, t, path, cardinality)


def _contains_remote(value, depth: int = 4) -> bool:
  """Whether a call's argument holds a `RemoteClientData` (near the top)."""
  import dataclasses
  if isinstance(value, remote_data.RemoteClientData):
    return True
  if depth == 0:
    return False
  if isinstance(value, dict):
    children = list(value.values())
  elif isinstance(value, (list, tuple)):
    children = list(value)
  elif dataclasses.is_dataclass(value) and not isinstance(value, type):
    children = [getattr(value, f.name) for f in dataclasses.fields(value)]
  else:
    return False
  return any(_contains_remote(v, depth - 1) for v in children)
