"""`fx.federated_computation`: Python functions traced into federated IR."""

from __future__ import annotations

from federax.core import computation as computation_lib
from federax.core import computation_wrapper
from federax.core import tracing


def _build(fn, parameter_type, names):
  lam = tracing.trace_function(fn, parameter_type, names)
  return computation_lib.Computation(lam, names, getattr(fn, '__name__',
                                                         'federated'))


federated_computation = computation_wrapper.make_decorator(
    'federated_computation', _build)
federated_computation.__doc__ = """Decorates a Python function as a federated computation.

  With type specs (one per parameter, or one struct spec), the function is
  traced once into IR; without them it is polymorphic and traced again for
  each new argument type. A function without parameters is traced at once.
  Inside, use the `fx.federated_*` intrinsics, call other computations, and
  select struct elements with `x.a` or `x[0]`.

  Example:
    >>> import numpy as np, federax as fx
    >>> @fx.federated_computation(fx.type_at_clients(np.float32))
    ... def get_average_temperature(sensor_readings):
    ...   return fx.federated_mean(sensor_readings)
    >>> print(get_average_temperature.type_signature)
    ({float32}@CLIENTS -> float32@SERVER)
    >>> print(fx.federated_computation(lambda: 'Hello World')())
    Hello World
  """
