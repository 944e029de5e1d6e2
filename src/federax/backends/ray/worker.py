"""What runs on a worker: shares of a call on the vectorized backend.

`Worker` is a plain Python class; the Ray backend runs it as an actor (one
process per worker), and tests run it in-process. It keeps, per
computation, the deserialized computation and its jitted stage programs
(warm across rounds), and the last few `ClientData` objects it built.
"""

from __future__ import annotations

import collections
import os
import time

from federax.backends.ray import shares


class Worker:
  """Runs shares of federated calls with the vectorized JAX backend.

  `chunk_size` bounds how many clients one program step holds (as for
  `fx.backends.jax.create_jax_context`); `x64` must match the driver's
  `jax_enable_x64`. Workers in one process may share `programs` (a dict
  of compiled programs by computation key).

  Example:
    >>> import numpy as np, federax as fx
    >>> comp = fx.federated_computation(
    ...     lambda x: fx.federated_sum(x), fx.type_at_clients(np.int32))
    >>> worker = Worker(chunk_size=2)
    >>> accs, rows, checks = worker.run_share(
    ...     'sum', fx.serialize(comp), None, [np.arange(5, dtype=np.int32)],
    ...     [], 5)
    >>> int(accs[0])
    10
  """

  def __init__(self, chunk_size: int | None = None, x64: bool = False,
               max_programs: int = 16, programs=None):
    import jax
    from federax.backends.jax import context as jax_context
    if jax.config.jax_enable_x64 != x64:
      jax.config.update('jax_enable_x64', x64)
    self._context = jax_context.JaxContext(chunk_size=chunk_size)
    self._programs = (collections.OrderedDict() if programs is None
                      else programs)
    self._client_data = {}
    self._max_programs = max_programs
    self._pause = None
    self.shares_run = 0

  def info(self) -> dict:
    """This worker's process id, host and JAX devices."""
    import socket
    import jax
    return {'pid': os.getpid(), 'host': socket.gethostname(),
            'devices': [str(d) for d in jax.devices()],
            'programs': len(self._programs), 'shares_run': self.shares_run}

  def pause_next_share(self, marker: str, seconds: float = 60.0):
    """Fault-injection hook for tests: before its next share, the worker
    creates the file `marker` and sleeps `seconds` (to be killed)."""
    self._pause = (marker, seconds)

  def program(self, key: str, blob):
    """The stage programs of the computation serialized as `blob` (bytes,
    or a one-element list holding a Ray object reference to them)."""
    from federax.backends.ray import staging
    if key in self._programs:
      self._programs.move_to_end(key)
      return self._programs[key]
    if isinstance(blob, list):  # Fetched only when not already here.
      import ray
      blob = ray.get(blob[0])
    import federax
    program = staging.ShareProgram(federax.deserialize(blob))
    self._programs[key] = program
    while len(self._programs) > self._max_programs:
      self._programs.popitem(last=False)
    return program

  def run_share(self, key: str, blob, server, parts: list, known: list,
                num_clients: int):
    """Stage `len(known)` of a call over one share of `num_clients`
    clients: the unfinished accumulators of that stage's aggregations,
    the rows of its CLIENTS-placed results, and its checks."""
    if self._pause is not None:
      marker, seconds = self._pause
      self._pause = None
      with open(marker, 'w') as f:
        f.write(str(os.getpid()))
      time.sleep(seconds)
    program = self.program(key, blob)
    t = program.computation.type_signature.parameter
    parts = shares.read_remote(parts, shares.clients_types(t),
                               self._client_data)
    arg = shares.fill(server, t, parts)
    plan, arg = self._context._layout(num_clients, arg, t)  # pylint: disable=protected-access
    self.shares_run += 1
    return program.run(arg, known, plan)
