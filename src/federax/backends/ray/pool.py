"""Workers as Ray actors: started, called, replaced when they die."""

from __future__ import annotations

from federax.backends.ray import connect
from federax.backends.ray import dispatch
from federax.backends.ray import worker as worker_lib


class RayPool:
  """`num_workers` actors running `worker.Worker`, spread across nodes.

  Each actor reserves `num_cpus` CPUs and `num_gpus` GPUs (Ray sets
  `CUDA_VISIBLE_DEVICES`, so JAX in the actor sees its own GPUs); extra
  `actor_options` go to Ray's `.options()` (e.g. `resources`,
  `runtime_env`). A lost actor is forgotten and replaced before the next
  call, or at once when no other worker is left. The pool follows the
  interface of `dispatch.run_stage` (and `dispatch.InProcessPool`).

  Example:
    >>> pool = RayPool(2, chunk_size=256)  # doctest: +SKIP
    >>> [pool.info(w)['pid'] for w in pool.live()]  # doctest: +SKIP
    [41233, 41290]
  """

  def __init__(self, num_workers: int, num_cpus: float = 1,
               num_gpus: float = 0, chunk_size: int | None = None,
               actor_options: dict | None = None):
    ray = connect.require_ray()
    import jax
    self._ray = ray
    self._actor_class = ray.remote(worker_lib.Worker)
    self._options = dict(num_cpus=num_cpus, num_gpus=num_gpus,
                         scheduling_strategy='SPREAD', max_restarts=0)
    self._options.update(actor_options or {})
    self._args = (chunk_size, bool(jax.config.jax_enable_x64))
    self.num_workers = num_workers
    self._actors = {}
    self._next = 0
    self._blobs = {}
    self.ensure()

  def ensure(self):
    """Starts actors until `num_workers` are alive (asynchronously)."""
    while len(self._actors) < self.num_workers:
      handle = self._actor_class.options(**self._options).remote(*self._args)
      self._actors[self._next] = handle
      self._next += 1

  def live(self) -> list:
    return sorted(self._actors)

  def wait_ready(self, timeout: float):
    """Waits until every actor runs; a RuntimeError after `timeout` s."""
    ray = self._ray
    pending = [self._actors[w].info.remote() for w in self.live()]
    try:
      ray.get(pending, timeout=timeout)
    except ray.exceptions.GetTimeoutError:
      resources = ray.available_resources()
      raise RuntimeError(
          f'federax.backends.ray: {self.num_workers} workers did not start '
          f'within {timeout:g} s. Each reserves {self._options["num_cpus"]} '
          f'CPUs and {self._options["num_gpus"]} GPUs, and the cluster has '
          f'{resources.get("CPU", 0):g} CPUs and {resources.get("GPU", 0):g} '
          f'GPUs free: lower num_workers or num_cpus_per_worker, or add '
          f'nodes (see `ray status`).') from None

  def handle(self, worker):
    """The Ray actor handle of `worker`."""
    return self._actors[worker]

  def info(self, worker) -> dict:
    """`Worker.info()` of `worker` (its pid, host and devices)."""
    return self._ray.get(self._actors[worker].info.remote())

  def put(self, value):
    return self._ray.put(value)

  def put_blob(self, key: str, blob: bytes) -> list:
    """A serialized computation in the object store, as `[ref]` (nested,
    so Ray passes the reference and workers fetch it only once)."""
    if key not in self._blobs:
      self._blobs[key] = self._ray.put(blob)
    return [self._blobs[key]]

  def submit(self, worker, method: str, *args):
    return getattr(self._actors[worker], method).remote(*args)

  def wait(self, futures: list) -> list:
    ready, rest = self._ray.wait(futures, num_returns=1)
    if rest:
      more, _ = self._ray.wait(rest, num_returns=len(rest), timeout=0)
      ready = ready + more
    return ready

  def get(self, future):
    exceptions = self._ray.exceptions
    lost = tuple(getattr(exceptions, name) for name in (
        'RayActorError', 'WorkerCrashedError', 'NodeDiedError',
        'ObjectLostError', 'OwnerDiedError') if hasattr(exceptions, name))
    try:
      return self._ray.get(future)
    except lost as e:
      raise dispatch.WorkerLost(str(e).splitlines()[0]) from e
    except exceptions.RayTaskError as e:
      raise e.as_instanceof_cause() from None

  def forget(self, worker):
    handle = self._actors.pop(worker, None)
    if handle is not None:
      try:
        self._ray.kill(handle, no_restart=True)
      except Exception:  # pylint: disable=broad-except
        pass  # Already gone.

  def replacements(self) -> list:
    """New workers now, but only when none is left (a new worker starts
    cold; survivors already hold the call's programs)."""
    if self._actors:
      return []
    self.ensure()
    return self.live()

  def shutdown(self):
    for worker in list(self._actors):
      self.forget(worker)
    self._blobs.clear()
