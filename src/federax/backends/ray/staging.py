"""A federated call cut at its aggregations into stages (no Ray here).

The vectorized evaluator runs every pending aggregation in one pass over
the clients each time a server value needs one (a *flush*): that is the
compiler's split between client work and aggregation (the MapReduceForm's
`work` and `accumulate`/`merge`, see docs/forms.md). A call with `F`
flushes runs in stages here:

- On a worker, stage `k` evaluates the computation with the results of
  flushes `0..k-1` given (`known`) and, at flush `k`, folds its share of
  the clients into *unfinished* accumulators (`ShareProgram`), plus the
  rows of any CLIENTS-placed result.
- On the driver, `DriverProgram` evaluates the computation with the same
  known results and, at flush `k`, merges the shares' accumulators in share
  order with each aggregation's `combine` and `finish` (sum, mean,
  weighted mean, min, max, `federated_aggregate`'s `merge` and `report`,
  secure sums), then goes on until it needs flush `k + 1` or the result.

Evaluation is deterministic, so the driver and every worker find the same
aggregations at each flush, in the same order: only arrays travel.
"""

from __future__ import annotations

import jax

from federax.backends.jax import aggregation
from federax.backends.jax import clients as clients_lib
from federax.backends.jax import evaluator as evaluator_lib
from federax.backends.jax import runner as runner_lib


class _Stop(Exception):
  """Ends a traced stage program at a flush, carrying what it returns."""

  def __init__(self, payload: dict):
    super().__init__('stage ended')
    self.payload = payload


class _Unfinished:
  """An aggregation whose `finish` is left to the driver's merge."""

  def __init__(self, inner: aggregation.Aggregation):
    self.inner, self.node = inner, inner.node

  def init(self):
    return self.inner.init()

  def step(self, acc, rows, mask):
    return self.inner.step(acc, rows, mask)

  def finish(self, acc):
    return acc


def merge_partials(agg: aggregation.Aggregation, partials: list):
  """The result of `agg` from the shares' accumulators, folded in order.

  Example:
    >>> import numpy as np
    >>> from federax.backends.jax import aggregation
    >>> mean = aggregation.Mean(None, np.float32(0))
    >>> float(merge_partials(mean, [(np.float32(3), np.int32(2)),
    ...                             (np.float32(6), np.int32(1))]))
    3.0
  """
  if not partials:  # No clients: the result of an empty pass.
    return agg.finish(agg.init())
  acc = partials[0]
  for p in partials[1:]:
    acc = agg.combine(acc, p)
  return agg.finish(acc)


class _StagedEvaluator(evaluator_lib.Evaluator):
  """The vectorized evaluator, with flushes served by stage."""

  def __init__(self, plan, inputs, known, partials=None, rows=None,
               driver=False):
    super().__init__(plan, inputs)
    self.known = known        # results of flushes 0..k-1
    self.partials = partials  # driver: per share, the accumulators of flush k
    self.rows = rows          # driver: the output rows of flush k, all shares
    self.driver = driver
    self.count = 0
    self.merged = None

  def flush(self, outputs=()):
    j, k = self.count, len(self.known)
    self.count += 1
    todo = [p for p in self.pending if not p.done]
    self.pending = []
    if j < k:
      values, rows = self.known[j], [None] * len(outputs)
    elif j == k and not self.driver:
      accs, rows, checks = aggregation.run_pass(
          self.plan, self.inputs, [_Unfinished(p.aggregation) for p in todo],
          list(outputs))
      flags = {}
      for flag, message in checks:
        key = str(message)
        flags[key] = flags[key] | flag if key in flags else flag
      raise _Stop({'partial': (list(accs), list(rows), flags)})
    elif j == k and self.partials is not None:
      counts = {len(s) for s in self.partials}
      if counts - {len(todo)}:
        raise RuntimeError(
            f'federax.backends.ray: flush {j} has {len(todo)} aggregations '
            f'on the driver and {sorted(counts)} in the workers\' shares: '
            f'the driver and the workers must run the same federax.')
      values = [merge_partials(p.aggregation, [s[i] for s in self.partials])
                for i, p in enumerate(todo)]
      rows = self.rows if self.rows is not None else [None] * len(outputs)
      self.merged = list(values)
    else:  # The driver needs the workers' share of flush j.
      raise _Stop({'need': self.merged})
    if len(values) != len(todo):
      raise RuntimeError(f'federax.backends.ray: flush {j} has {len(todo)} '
                         f'aggregations here and {len(values)} in the results '
                         f'given: the driver and the workers must run the '
                         f'same federax.')
    for p, v in zip(todo, values):
      p.done, p.value = True, v
    return list(rows)


def _evaluate(computation, evaluator, arg, as_input):
  """Runs `computation` to its result (raising `_Stop` at a stage's end)."""
  ft = computation.type_signature
  fn = evaluator.evaluate(computation.building_block)
  if ft.parameter is None:
    result = fn()
  else:
    result = fn(runner_lib.map_clients(arg, ft.parameter, as_input))
  outputs = []
  runner_lib.map_clients(result, ft.result, outputs.append)
  rows = evaluator.flush(outputs) if (outputs or evaluator.pending) else []
  rows_iter = iter(rows)
  result = runner_lib.map_clients(result, ft.result, lambda _: next(rows_iter))
  return evaluator.resolve(result)


class ShareProgram:
  """A worker's programs for one computation: stage `k` over a share.

  `run(arg, known, plan)` returns `(accumulators, output_rows, checks)` as
  numpy values; `known` (the results of the earlier flushes) decides the
  stage. One `jax.jit` per computation, retraced only for new shapes or
  plans, so a worker keeps its programs warm across rounds.
  """

  def __init__(self, computation):
    self.computation = computation
    self.traces = 0
    self._jitted = jax.jit(self._run, static_argnums=(2,))

  def _run(self, arg, known, plan: aggregation.Plan):
    self.traces += 1
    inputs = []

    def as_input(stacked):
      # [D * m, ...] rows to [D, m, ...]: a free reshape inside the program.
      inputs.append(runner_lib.map_leaves(stacked, lambda x: x.reshape(
          (plan.devices, plan.per_device) + x.shape[1:])))
      return clients_lib.Input(len(inputs) - 1)

    evaluator = _StagedEvaluator(plan, inputs, known)
    try:
      _evaluate(self.computation, evaluator, arg, as_input)
    except _Stop as stop:
      return stop.payload
    raise RuntimeError(f'federax.backends.ray: {self.computation.name} has '
                       f'only {evaluator.count} aggregation passes, fewer than '
                       f'stage {len(known)} needs.')

  def run(self, arg, known: list, plan: aggregation.Plan):
    return jax.device_get(self._jitted(arg, known, plan))['partial']


class DriverProgram:
  """The driver's program for one computation: merges a stage, goes on.

  `run(arg, known, partials, rows)` evaluates the server side with the
  CLIENTS-placed parts of `arg` absent (None). With `partials` (per share,
  the accumulators of flush `len(known)`; `[]` for no clients) it merges
  them, and serves `rows` (the CLIENTS-placed results of all shares, or
  None for none) at the last flush; it returns
  `('need', merged)` when it needs the workers for the next flush (merged
  is None when `partials` was None) or `('done', (result, merged))`.
  """

  def __init__(self, computation):
    self.computation = computation
    self.traces = 0
    self._jitted = jax.jit(self._run)

  def _run(self, arg, known, partials, rows):
    self.traces += 1
    plan = aggregation.Plan(0, 1, 0, 1)  # The driver runs no client pass.

    def as_input(_):
      return clients_lib.Input(0)  # Never computed on the driver.

    evaluator = _StagedEvaluator(plan, [], known, partials, rows,
                                 driver=True)
    try:
      result = _evaluate(self.computation, evaluator, arg, as_input)
    except _Stop as stop:
      return stop.payload
    return {'done': (result, evaluator.merged)}

  def run(self, arg, known: list, partials=None, rows=None):
    (kind, value), = jax.device_get(
        self._jitted(arg, known, partials, rows)).items()
    return kind, value
