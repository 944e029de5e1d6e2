"""Compiles a computation into one `jax.jit` program and runs it."""

from __future__ import annotations

import jax
import numpy as np

from federax.backends.jax import aggregation
from federax.backends.jax import clients as clients_lib
from federax.backends.jax import ingest
from federax.backends.jax.evaluator import Evaluator
from federax.core import sequence as sequence_lib
from federax.core import types


def map_clients(value, t, fn):
  """`value` with `fn` applied to each CLIENTS-placed part."""
  if ingest.is_clients(t):
    return fn(value)
  if isinstance(t, types.StructType):
    return tuple(map_clients(v, e, fn) for v, e in zip(value, t))
  return value


def client_leaves(value) -> list:
  if isinstance(value, sequence_lib.Sequence):
    return client_leaves(value.data) + [value.length]
  if isinstance(value, tuple):
    return [l for v in value for l in client_leaves(v)]
  return [value]


def map_leaves(value, fn):
  if isinstance(value, sequence_lib.Sequence):
    return sequence_lib.Sequence(value.element_type,
                                 map_leaves(value.data, fn), fn(value.length),
                                 full=value.full)
  if isinstance(value, tuple):
    return tuple(map_leaves(v, fn) for v in value)
  return fn(value)


class Runner:
  """One computation's jitted program, retraced only for new shapes/plans."""

  def __init__(self, computation, secure_aggregation=None):
    self.computation = computation
    self.secure_aggregation = secure_aggregation
    self.traces = 0
    self._jitted = jax.jit(self._run, static_argnums=(1,))

  def _run(self, arg, plan: aggregation.Plan):
    self.traces += 1
    ft = self.computation.type_signature
    inputs = []

    def as_input(stacked):
      # [D * m, ...] rows to [D, m, ...]: a free reshape inside the program.
      inputs.append(map_leaves(stacked, lambda x: x.reshape(
          (plan.devices, plan.per_device) + x.shape[1:])))
      return clients_lib.Input(len(inputs) - 1)

    evaluator = Evaluator(plan, inputs, self.secure_aggregation)
    fn = evaluator.evaluate(self.computation.building_block)
    if ft.parameter is None:
      result = fn()
    else:
      result = fn(map_clients(arg, ft.parameter, as_input))
    outputs = []
    map_clients(result, ft.result, outputs.append)
    rows = evaluator.flush(outputs) if (outputs or evaluator.pending) else []
    rows_iter = iter(rows)
    result = map_clients(result, ft.result, lambda _: next(rows_iter))
    result = evaluator.resolve(result)
    failures = {}  # message -> whether the check failed, for each check
    for flag, message in evaluator.checks:
      failures[message] = failures[message] | flag if message in failures \
          else flag
    return result, failures

  def __call__(self, arg, plan):
    result, failures = jax.device_get(self._jitted(arg, plan))
    for message, failed in failures.items():
      if bool(np.asarray(failed)):
        raise ValueError(message)
    return result
