"""Federated computations as pure JAX functions: `jax.grad` through a round.

The vectorized backend lowers a whole federated computation to one JAX
program (`runner.Runner`). `to_jax_function` hands that program to the
caller as a plain function of JAX values instead of running it on numpy
inputs: CLIENTS-placed values are arrays with a leading clients axis, and
`federated_map` is `vmap`, the aggregations are sums over that axis, and
so on. Every piece is differentiable, so `jax.grad`, `jax.jit`,
`jax.vmap` and `jax.jvp` apply to a whole federated round, e.g. to learn
a server learning rate by gradient descent through the round.
"""

from __future__ import annotations

from typing import Callable

from federax.backends.jax import ingest
from federax.core import computation as computation_lib
from federax.core import jax_support
from federax.core import sequence as sequence_lib
from federax.core import structure
from federax.core import types
from federax.core import value_conversion


def _check_chunk_size(chunk_size, who: str):
  if chunk_size is not None and (not isinstance(chunk_size, int) or
                                 isinstance(chunk_size, bool) or
                                 chunk_size < 1):
    raise ValueError(f'{who}: chunk_size: expected a positive int or None, '
                     f'got {chunk_size!r}.')


def _plan(n: int, chunk_size: int | None):
  """One device, `n` clients in chunks of (balanced) `chunk_size`."""
  from federax.backends.jax import aggregation  # Imports JAX.
  chunk = n if chunk_size is None else min(chunk_size, n)
  if n:  # ceil(n / chunk) chunks of equal size.
    chunk = -(-n // -(-n // chunk))
  return aggregation.Plan(n, 1, n, chunk, None)


def to_traced_python(value, t: types.Type):
  """A result of the program in the Python containers of `t`.

  The inverse of ingesting a stacked argument: CLIENTS-placed values keep
  their leading clients axis, sequences stay `fx.Sequence` objects, and
  leaves stay JAX values (tracers under a transformation).

  Example:
    >>> import numpy as np, federax as fx
    >>> t = fx.to_type({'a': np.float32, 'b': (np.int32, [2])})
    >>> to_traced_python((np.float32(1.0), np.zeros(2, np.int32)), t)['b']
    array([0, 0], dtype=int32)
  """
  if isinstance(t, types.FederatedType):
    return to_traced_python(value, t.member)
  if isinstance(t, types.StructType):
    return structure.build(t.container_type, t.names(), [
        to_traced_python(v, e) for v, e in zip(value, t)])
  if isinstance(t, types.SequenceType) and isinstance(value,
                                                      sequence_lib.Sequence):
    return sequence_lib.Sequence(
        value.element_type,
        jax_support.internal_to_python(value.data, value.element_type),
        value.length, full=value.full)
  return value


def _raise_failed_checks(failures: dict):
  """Raises the backend's run-time checks that failed, when concrete."""
  import numpy as np
  jax = jax_support.jax()
  for message, failed in failures.items():
    if isinstance(failed, jax.core.Tracer):
      continue  # Under a transformation the flag has no value yet.
    if bool(np.asarray(failed)):
      raise ValueError(str(message))


def _check_lowerable(computation, reason: str | None):
  if reason:
    raise TypeError(f'to_jax_function(computation): the JAX backend cannot '
                    f'lower {computation.name} ({computation.type_signature})'
                    f': {reason}. Only computations it runs as one program '
                    f'become JAX functions (or run inside jax.grad/jit).')


def call_traced(runner, arg, chunk_size=None,
                not_lowerable: str | None = None):
  """Runs a `runner.Runner`'s program on `arg` (packed; JAX values allowed).

  What the JAX context does when a computation is called inside a JAX
  transformation; `not_lowerable` is why the backend cannot lower the
  computation (a TypeError), if it cannot.
  """
  computation = runner.computation
  _check_lowerable(computation, not_lowerable)
  ft = computation.type_signature
  cardinality = value_conversion.Cardinality()
  internal = None
  if ft.parameter is not None:
    from federax.backends.interpreter import context as interpreter_context
    internal = ingest.ingest(arg, ft.parameter,
                             interpreter_context.argument_path(computation),
                             cardinality)
  n = cardinality.value or 0
  jitted = runner._jitted  # pylint: disable=protected-access
  result, failures = jitted(internal, _plan(n, chunk_size))
  _raise_failed_checks(failures)
  return to_traced_python(result, ft.result)


def to_jax_function(computation, *, chunk_size: int | None = None
                    ) -> Callable:
  """`computation` as a pure JAX function: jit-able, vmap-able, differentiable.

  The returned function takes the computation's arguments (positional or
  by name, as the computation does) and returns its result, computed by
  the program the vectorized JAX backend builds for it. Arguments may be
  JAX values, tracers included: SERVER-placed and unplaced values as
  pytrees of arrays; CLIENTS-placed values stacked, an array (or pytree of
  arrays) with a leading clients axis, a client sequence as
  `[clients, elements, ...]` arrays (lists of per-client numpy values work
  too, outside transformations). Results come back in the result type's
  Python containers, CLIENTS-placed ones stacked over a leading clients
  axis, sequences as `fx.Sequence`s. The number of clients is static (one
  program per number of clients and shapes).

  `chunk_size` processes clients that many at a time in a `lax.scan` (None:
  all at once); the result does not depend on it. Everything runs on one
  device, with plain (not secure-protocol) sums. Run-time checks (such as a
  `federated_select` key out of range) raise a ValueError when the function
  runs outside a transformation and are skipped inside one. A computation
  the backend cannot lower (strings, function arguments, 64-bit types
  without `jax_enable_x64`) is a TypeError saying why.

  Example:
    >>> import jax, numpy as np, federax as fx
    >>> @fx.federated_computation(fx.type_at_server(np.float32),
    ...                           fx.type_at_clients(np.float32))
    ... def weighted_total(scale, x):
    ...   scaled = fx.federated_map(fx.jax_computation(
    ...       lambda s, v: s * v * v, np.float32, np.float32),
    ...       [fx.federated_broadcast(scale), x])
    ...   return fx.federated_sum(scaled)
    >>> f = fx.backends.jax.to_jax_function(weighted_total)
    >>> x = np.array([1.0, 2.0, 3.0], np.float32)  # 3 clients, stacked
    >>> float(f(2.0, x)), float(jax.grad(f)(2.0, x))  # 2 * 14, 14
    (28.0, 14.0)
    >>> jax.grad(f, argnums=1)(2.0, x).tolist()  # d/dx_i = 2 * 2 * x_i
    [4.0, 8.0, 12.0]
  """
  who = 'to_jax_function'
  if isinstance(computation, computation_lib.PolymorphicComputation):
    raise TypeError(f'{who}(computation): {computation.name} has no type '
                    f'signature yet (it was defined without type specs). '
                    f'Give the decorator type specs, or pass '
                    f'{computation.name}.concretize(parameter_type).')
  if not isinstance(computation, computation_lib.Computation):
    raise TypeError(f'{who}(computation): expected an fx computation (from '
                    f'fx.federated_computation or fx.jax_computation), got '
                    f'{type(computation).__name__}.')
  _check_chunk_size(chunk_size, who)
  _check_lowerable(computation, ingest.check_lowerable(computation))
  from federax.backends.jax import runner as runner_lib  # Imports JAX.
  runner = runner_lib.Runner(computation)
  names = computation.parameter_names
  parameter_type = computation.type_signature.parameter

  def fn(*args, **kwargs):
    arg = computation_lib.pack_arguments(computation.name, names,
                                         parameter_type, args, kwargs)
    return call_traced(runner, arg, chunk_size)

  fn.__name__ = f'{computation.name}_as_jax'
  fn.__doc__ = (f'{computation.name} {computation.type_signature} as a pure '
                f'JAX function (fx.backends.jax.to_jax_function).')
  return fn
