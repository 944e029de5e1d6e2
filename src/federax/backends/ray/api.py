"""Creating a Ray context: globally, or for a `with` block."""

from __future__ import annotations

import contextlib
import math

from federax.backends.ray import connect
from federax.backends.ray import context as context_lib
from federax.backends.ray import dispatch
from federax.core import context_stack


def _positive(name, value, kind=int, allow_none=True):
  if value is None and allow_none:
    return
  if (isinstance(value, bool) or not isinstance(value, kind) or
      value < (1 if kind is int else 0)):
    wanted = 'a positive int' if kind is int else 'a number >= 0'
    raise ValueError(f'{name}: expected {wanted}{" or None" if allow_none else ""}'
                     f', got {value!r}.')


def _default_num_workers(ray, num_gpus_per_worker) -> int:
  """One worker per GPU group when workers take GPUs, else one per node."""
  if num_gpus_per_worker:
    gpus = ray.cluster_resources().get('GPU', 0)
    return max(int(gpus // num_gpus_per_worker), 1)
  return max(sum(1 for n in ray.nodes() if n.get('Alive')), 1)


def create_ray_context(address: str | None = None,
                       num_workers: int | None = None,
                       chunk_size: int | None = None,
                       clients_per_share: int | None = None,
                       num_cpus_per_worker: float = 1,
                       num_gpus_per_worker: float = 0,
                       on_failure: str = 'retry', max_retries: int = 3,
                       min_fraction: float = 0.5,
                       default_num_clients: int = 0,
                       actor_options: dict | None = None,
                       startup_timeout: float = 300,
                       **ray_init_kwargs) -> context_lib.RayContext:
  """A new Ray execution context, connected to a cluster or a new local one.

  Args:
    address: None starts a local Ray in this process's machine (or reuses
      the Ray this process already joined); `'auto'` joins the cluster
      `ray start --head` started on this machine; `'host:port'` joins the
      cluster whose head is there (127.0.0.1 works; see docs/ray.md).
    num_workers: actors to run the clients on; by default one per alive
      node (or one per `num_gpus_per_worker` GPUs).
    chunk_size: clients per vectorized step inside a worker (memory).
    clients_per_share: the most clients one worker call takes; by default
      each call gives every worker one share.
    num_cpus_per_worker, num_gpus_per_worker: resources each actor
      reserves (Ray pins GPUs per actor).
    on_failure, max_retries, min_fraction: the `FailurePolicy` for
      workers lost during a call (`'retry'` or `'drop'`).
    default_num_clients: clients of a call that has no CLIENTS argument.
    actor_options: extra `ray.remote(...).options()` for the actors.
    startup_timeout: seconds to wait for the workers to start (a
      RuntimeError naming the missing resources after that).
    **ray_init_kwargs: for `ray.init` (`num_cpus`, `object_store_memory`
      for a new local Ray; `runtime_env`, `namespace`, ...).

  Example:
    >>> import federax as fx
    >>> ctx = fx.backends.ray.create_ray_context(num_workers=2)  # doctest: +SKIP
    >>> fx.framework.set_default_context(ctx)  # doctest: +SKIP
  """
  _positive('num_workers', num_workers)
  _positive('chunk_size', chunk_size)
  _positive('clients_per_share', clients_per_share)
  _positive('num_cpus_per_worker', num_cpus_per_worker, float | int, False)
  _positive('num_gpus_per_worker', num_gpus_per_worker, float | int, False)
  policy = dispatch.FailurePolicy(on_failure, max_retries, min_fraction)
  ray = connect.require_ray()
  if address is None and not ray.is_initialized():
    ray_init_kwargs.setdefault(
        'num_cpus', max(math.ceil((num_workers or 1) * num_cpus_per_worker), 1))
  started = connect.connect(address, **ray_init_kwargs)
  try:
    if num_workers is None:
      num_workers = _default_num_workers(ray, num_gpus_per_worker)
    from federax.backends.ray import pool as pool_lib
    pool = pool_lib.RayPool(num_workers, num_cpus_per_worker,
                            num_gpus_per_worker, chunk_size, actor_options)
    try:
      pool.wait_ready(startup_timeout)
    except BaseException:
      pool.shutdown()
      raise
  except BaseException:
    if started:
      ray.shutdown()
    raise
  return context_lib.RayContext(pool, clients_per_share, policy,
                                default_num_clients, owns_ray=started)


def set_ray_context(*args, **kwargs) -> context_lib.RayContext:
  """Makes a new Ray context (`create_ray_context`'s arguments) the default
  execution context, and returns it (call `.shutdown()` when done).

  Example:
    >>> import federax as fx
    >>> ctx = fx.backends.ray.set_ray_context(address='auto')  # doctest: +SKIP
  """
  ctx = create_ray_context(*args, **kwargs)
  context_stack.set_default_context(ctx)
  return ctx


@contextlib.contextmanager
def ray_context(*args, **kwargs):
  """A `with` block in which computations run on Ray; the workers (and a
  Ray this started) stop at its end.

  Example:
    >>> import numpy as np, federax as fx
    >>> total = fx.federated_computation(
    ...     lambda x: fx.federated_sum(x), fx.type_at_clients(np.int32))
    >>> with fx.backends.ray.ray_context(num_workers=2):  # doctest: +SKIP
    ...   print(total([1, 2, 3, 4, 5]))
    15
  """
  ctx = create_ray_context(*args, **kwargs)
  try:
    with context_stack.install(ctx):
      yield ctx
  finally:
    ctx.shutdown()
