"""The bounds of a `SecureSumFactory`: constants or estimation processes.

Clients must know the range of their values before they can encode them
for a secure sum. The range is fixed (ints or floats), or adapts between
rounds: an `fx.templates.EstimationProcess` whose `next` takes each
client's largest value (`float32@CLIENTS`) and whose `report` is the bound
(`float32@SERVER`). With the upper bound only, the lower is its negative.
"""

from __future__ import annotations

import collections
import numbers

import numpy as np

from federax.aggregators import sum_factory
from federax.core import federated_computation
from federax.core import intrinsics
from federax.core import jax_computation
from federax.core import placements
from federax.core import types
from federax.templates import checks
from federax.templates import estimation_process

FLOAT = types.TensorType(np.float32)
_Process = estimation_process.EstimationProcess


def _kind(bound) -> str | None:
  if isinstance(bound, (bool, np.bool_)):
    return None
  if isinstance(bound, (numbers.Integral, np.integer)):
    return 'int'
  if isinstance(bound, (numbers.Real, np.floating)):
    return 'float'
  if isinstance(bound, _Process):
    return 'process'
  return None


def _maps_report(process: _Process) -> bool:
  """Whether `report` takes the state's member (it is mapped over it)."""
  state = process.state_type
  return isinstance(state, types.FederatedType) and not checks.parameters(
      process.report)[0].is_assignable_from(state)


def _report(process: _Process, state):
  if _maps_report(process):
    return intrinsics.federated_map(process.report, state)
  return process.report(state)


def _check_process(process: _Process, name: str, who: str) -> None:
  params = checks.parameters(process.next)
  at_clients = types.type_at_clients(FLOAT)
  if len(params) != 2 or not params[1].is_assignable_from(at_clients):
    raise TypeError(
        f'{who}: {name}: expected an EstimationProcess whose next takes '
        f'(state, {at_clients}), got next: {process.next.type_signature}.')
  report = process.report_type
  if _maps_report(process):
    report = types.type_at_server(report)
  if report != types.type_at_server(FLOAT):
    raise TypeError(f'{who}: {name}: expected an EstimationProcess whose '
                    f'report gives {types.type_at_server(FLOAT)}, got '
                    f'{report}.')


class Bounds:
  """Validated bounds; makes the state, reports and updates it while tracing.

  Example:
    >>> from federax.aggregators import secure_bounds
    >>> secure_bounds.Bounds(5, None, 'who').constants
    (-5, 5)
    >>> secure_bounds.Bounds(1.0, 2.0, 'who')
    Traceback (most recent call last):
    ...
    ValueError: who: bounds: expected lower_bound_threshold < upper_bound_threshold, got lower_bound_threshold=2.0 and upper_bound_threshold=1.0. Swap them.
  """

  def __init__(self, upper, lower, who: str):
    kind = _kind(upper)
    if kind is None:
      raise TypeError(
          f'{who}: upper_bound_threshold: expected an int, a float or an '
          f'fx.templates.EstimationProcess, got {type(upper).__name__}.')
    if lower is not None and _kind(lower) != kind:
      raise TypeError(
          f'{who}: lower_bound_threshold: expected the same kind as '
          f'upper_bound_threshold ({type(upper).__name__}), got '
          f'{type(lower).__name__}. Give two ints, two floats or two '
          f'EstimationProcesses.')
    self.kind, self.upper, self.lower = kind, upper, lower
    if kind == 'process':
      _check_process(upper, 'upper_bound_threshold', who)
      if lower is not None:
        _check_process(lower, 'lower_bound_threshold', who)
      self.constants = None
      return
    if lower is None:
      if not upper > 0:
        raise ValueError(
            f'{who}: upper_bound_threshold: expected a positive bound when '
            f'it is the only one (the lower bound is its negative), got '
            f'{upper}. Give lower_bound_threshold too.')
      lower = -upper
    elif not lower < upper:
      raise ValueError(
          f'{who}: bounds: expected lower_bound_threshold < '
          f'upper_bound_threshold, got lower_bound_threshold={lower} and '
          f'upper_bound_threshold={upper}. Swap them.')
    self.constants = (lower, upper)

  def initialize(self):
    """The `initialize_fn` of the factory's processes."""
    if self.kind != 'process':
      return federated_computation.federated_computation(
          sum_factory.empty_at_server)
    if self.lower is None:
      return self.upper.initialize
    upper, lower = self.upper, self.lower

    @federated_computation.federated_computation()
    def init():
      return intrinsics.federated_zip(collections.OrderedDict(
          upper_bound=upper.initialize(), lower_bound=lower.initialize()))
    return init

  def report(self, state, dtype):
    """`(upper, lower)` at SERVER in `dtype`, from the state (tracing)."""
    t = types.TensorType(dtype)
    if self.kind != 'process':
      lower, upper = self.constants
      both = jax_computation.jax_computation(
          lambda: (np.asarray(upper, dtype), np.asarray(lower, dtype)))
      pair = intrinsics.federated_eval(both, placements.SERVER)
      return pair[0], pair[1]
    cast = jax_computation.jax_computation(lambda b: b.astype(dtype), FLOAT)
    if self.lower is None:
      upper = intrinsics.federated_map(cast, _report(self.upper, state))
      negate = jax_computation.jax_computation(lambda b: -b, t)
      return upper, intrinsics.federated_map(negate, upper)
    return (intrinsics.federated_map(cast, _report(
        self.upper, state.upper_bound)), intrinsics.federated_map(
            cast, _report(self.lower, state.lower_bound)))

  def update(self, state, value_min, value_max):
    """The next state, from each client's smallest and largest values."""
    if self.kind != 'process':
      return state
    if self.lower is None:
      largest = jax_computation.jax_computation(_max_abs, FLOAT, FLOAT)
      return self.upper.next(state, intrinsics.federated_map(
          largest, [value_min, value_max]))
    return intrinsics.federated_zip(collections.OrderedDict(
        upper_bound=self.upper.next(state.upper_bound, value_max),
        lower_bound=self.lower.next(state.lower_bound, value_min)))


def _max_abs(smallest, largest):
  import jax.numpy as jnp
  return jnp.maximum(jnp.abs(smallest), jnp.abs(largest))
