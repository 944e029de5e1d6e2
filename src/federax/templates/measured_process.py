"""`MeasuredProcess`: an iterative process whose `next` also measures."""

from __future__ import annotations

from typing import Any, NamedTuple

from federax.templates import checks
from federax.templates import iterative_process


class MeasuredProcessOutput(NamedTuple):
  """What a measured process's `next` returns (TFF's name and fields)."""
  state: Any
  result: Any
  measurements: Any


class MeasuredProcess(iterative_process.IterativeProcess):
  """An `IterativeProcess` whose `next` returns `MeasuredProcessOutput`.

  `next` returns `<state, result, measurements>`: the new state, what the
  process computed, and values describing the computation (norms, counts,
  privacy spent) meant for logging rather than for the next step.

  Example:
    >>> import numpy as np, federax as fx
    >>> init = fx.federated_computation(
    ...     lambda: fx.federated_value(np.int32(0), fx.SERVER))
    >>> @fx.federated_computation(fx.type_at_server(np.int32),
    ...                           fx.type_at_clients(np.float32))
    ... def next_fn(calls, values):
    ...   add_one = fx.jax_computation(lambda c: c + 1, np.int32)
    ...   return fx.templates.MeasuredProcessOutput(
    ...       state=fx.federated_map(add_one, calls),
    ...       result=fx.federated_mean(values),
    ...       measurements=fx.federated_max(values))
    >>> process = fx.templates.MeasuredProcess(init, next_fn)
    >>> output = process.next(process.initialize(), [1.0, 2.0, 6.0])
    >>> int(output.state), float(output.result), float(output.measurements)
    (1, 3.0, 6.0)
  """

  def __init__(self, initialize_fn, next_fn):
    super().__init__(initialize_fn, next_fn)
    result = checks.named_result(next_fn, ('state', 'result', 'measurements'),
                                 'next_fn')
    checks.check_assignable(
        self.state_type, result.state, 'next_fn: the state it returns',
        'Return the state that initialize_fn makes, with the same type.')

  @property
  def result_type(self):
    return self.next.type_signature.result.result

  @property
  def measurements_type(self):
    return self.next.type_signature.result.measurements
