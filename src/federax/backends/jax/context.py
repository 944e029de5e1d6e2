"""The vectorized JAX backend as an execution context."""

from __future__ import annotations

import logging
import math
import weakref

import numpy as np

from federax.core import context_stack
from federax.core import value_conversion

_LOG = logging.getLogger('federax')

# Client inputs per chunk and device, when no chunk size is given.
TARGET_CHUNK_BYTES = 512 * 2**20


class JaxContext(context_stack.Context):
  """Runs each computation as one `jax.jit` program over stacked clients.

  CLIENTS-placed values carry a leading clients axis: `federated_map` is
  `vmap`, aggregations reduce that axis, broadcasts are free. Clients are
  processed at most `chunk_size` at a time per device, in chunks of equal
  size (chosen from the size of the client inputs when None), so peak
  memory follows the chunk, not the cohort; with several devices the
  clients axis is sharded across them.
  Computations or arguments it cannot lower (strings, function arguments,
  ragged shapes, 64-bit types while JAX runs in 32 bits) run on the
  reference interpreter instead, with a debug log line saying why.
  With `secure_aggregation` (e.g. an
  `fx.aggregators.secure_protocol.MaskedSecureAggregation`), the secure-sum
  intrinsics run its protocol on the host (a callback inside the program)
  instead of a plain sum.
  """

  def __init__(self, chunk_size: int | None = None, devices=None,
               default_num_clients: int = 0, secure_aggregation=None):
    from federax.backends.interpreter import context as interpreter_context
    if chunk_size is not None and (not isinstance(chunk_size, int) or
                                   chunk_size < 1):
      raise ValueError(f'chunk_size: expected a positive int or None, got '
                       f'{chunk_size!r}.')
    if not isinstance(default_num_clients, int) or default_num_clients < 0:
      raise ValueError(f'default_num_clients: expected an int >= 0, got '
                       f'{default_num_clients!r}.')
    interpreter_context.check_secure_aggregation(secure_aggregation)
    self.chunk_size = chunk_size
    self.default_num_clients = default_num_clients
    self.secure_aggregation = secure_aggregation
    self._devices = devices
    self._runners = weakref.WeakKeyDictionary()
    self._lowerable = weakref.WeakKeyDictionary()
    self._interpreter = None

  @property
  def devices(self) -> list:
    import jax
    return list(self._devices) if self._devices is not None else jax.devices()

  def runner(self, computation):
    """The compiled program of `computation` (created on first use)."""
    from federax.backends.jax import runner as runner_lib
    if computation not in self._runners:
      self._runners[computation] = runner_lib.Runner(
          computation, self.secure_aggregation)
    return self._runners[computation]

  def _fallback(self, computation, arg, reason):
    _LOG.debug('federax: running %s on the interpreter: %s', computation.name,
               reason)
    if self._interpreter is None:
      from federax.backends.interpreter import InterpreterContext
      self._interpreter = InterpreterContext(self.default_num_clients,
                                             self.secure_aggregation)
    return self._interpreter.invoke(computation, arg)

  def invoke(self, computation, arg):
    from federax.backends.interpreter import context as interpreter_context
    from federax.backends.jax import ingest
    from federax.core import computation as computation_lib
    if computation not in self._lowerable:
      self._lowerable[computation] = ingest.check_lowerable(computation)
    reason = self._lowerable[computation]
    if computation_lib._inside_jax_trace():  # pylint: disable=protected-access
      # Called inside jax.grad/jit/vmap: run as a pure JAX function.
      from federax.backends.jax import differentiable
      return differentiable.call_traced(self.runner(computation), arg,
                                        self.chunk_size, reason)
    if reason:
      return self._fallback(computation, arg, reason)
    ft = computation.type_signature
    cardinality = value_conversion.Cardinality()
    internal = None
    try:
      if ft.parameter is not None:
        internal = ingest.ingest(arg, ft.parameter,
                                 interpreter_context.argument_path(computation),
                                 cardinality)
    except ingest.NotLowerable as e:
      return self._fallback(computation, arg, str(e))
    n = cardinality.value
    n = self.default_num_clients if n is None else n
    plan, internal = self._layout(n, internal, ft.parameter)
    result = self.runner(computation)(internal, plan)
    return ingest.to_python(result, ft.result)

  def _layout(self, n, internal, parameter_type):
    """The plan for `n` clients, and client inputs padded to `D * m` rows
    (sharded across the `D` devices when there are several)."""
    import jax
    from federax.backends.jax import aggregation
    from federax.backends.jax import runner as runner_lib
    devices = self.devices
    d = len(devices) if n >= len(devices) else 1
    m = -(-n // d) if n else 0
    chunk = self.chunk_size
    if chunk is None:
      leaves = []
      if parameter_type is not None:
        runner_lib.map_clients(
            internal, parameter_type,
            lambda v: leaves.extend(runner_lib.client_leaves(v)))
      per_client = sum(math.prod(np.shape(l)) * np.dtype(l.dtype).itemsize
                       for l in leaves) / max(n, 1)
      chunk = max(1, int(TARGET_CHUNK_BYTES // max(per_client, 1)))
    if m:  # Balance the chunks: ceil(m / chunk) chunks of equal size.
      chunk = -(-m // -(-m // min(chunk, m)))
    mesh = None
    if d > 1:
      from jax.sharding import Mesh
      mesh = Mesh(np.asarray(devices[:d]), ('clients',))
    plan = aggregation.Plan(n, d, m, chunk, mesh)
    if parameter_type is None or d == 1:  # Nothing to pad or shard.
      return plan, internal

    from jax.sharding import NamedSharding, PartitionSpec
    sharding = NamedSharding(mesh, PartitionSpec('clients'))

    def lay_out(x):
      if n % d:  # Pad with copies of the last client; they are masked out.
        xp = np if isinstance(x, np.ndarray) else jax.numpy
        x = xp.concatenate([x, xp.repeat(x[-1:], d * m - n, axis=0)])
      return jax.device_put(x, sharding)

    return plan, runner_lib.map_clients(
        internal, parameter_type, lambda v: runner_lib.map_leaves(v, lay_out))


def create_jax_context(chunk_size: int | None = None, devices=None,
                       default_num_clients: int = 0,
                       secure_aggregation=None) -> JaxContext:
  """A new vectorized-JAX execution context.

  Example:
    >>> import federax as fx
    >>> ctx = fx.backends.jax.create_jax_context(chunk_size=64)
    >>> ctx.chunk_size
    64
  """
  return JaxContext(chunk_size, devices, default_num_clients,
                    secure_aggregation)


def set_jax_context(chunk_size: int | None = None, devices=None,
                    default_num_clients: int = 0, secure_aggregation=None):
  """Makes the vectorized JAX backend the default execution context.

  Example:
    >>> import federax as fx
    >>> fx.backends.jax.set_jax_context()
  """
  context_stack.set_default_context(
      create_jax_context(chunk_size, devices, default_num_clients,
                         secure_aggregation))


def jax_context(chunk_size: int | None = None, devices=None,
                default_num_clients: int = 0, secure_aggregation=None):
  """A `with` block in which computations run on the vectorized backend.

  Example:
    >>> import numpy as np, federax as fx
    >>> with fx.backends.jax.jax_context(chunk_size=2):
    ...   total = fx.federated_computation(
    ...       lambda x: fx.federated_sum(x), fx.type_at_clients(np.int32))
    ...   print(total([1, 2, 3, 4, 5]))
    15
  """
  return context_stack.install(
      create_jax_context(chunk_size, devices, default_num_clients,
                         secure_aggregation))
