"""`EstimationProcess`: a state that is refined each round and reported."""

from __future__ import annotations

from federax.core import computation as computation_lib
from federax.core import federated_computation
from federax.core import intrinsics
from federax.core import types
from federax.templates import checks
from federax.templates import iterative_process


class EstimationProcess(iterative_process.IterativeProcess):
  """An iterative process with a `report` of its current estimate.

  `report(state)` turns the state into the estimate (a clipping norm, a
  quantile); `next` refines the state from new data. Norm-bounding
  aggregators take one to adapt their bound as training goes.

  Example:
    >>> import numpy as np, federax as fx
    >>> init = fx.federated_computation(
    ...     lambda: fx.federated_value(np.float32(1.0), fx.SERVER))
    >>> @fx.federated_computation(fx.type_at_server(np.float32),
    ...                           fx.type_at_clients(np.float32))
    ... def next_fn(estimate, values):
    ...   halfway = fx.jax_computation(lambda e, m: (e + m) / 2,
    ...                                np.float32, np.float32)
    ...   return fx.federated_map(halfway, [estimate, fx.federated_max(values)])
    >>> report = fx.jax_computation(lambda e: 2.0 * e, np.float32)
    >>> process = fx.templates.EstimationProcess(init, next_fn, report)
    >>> state = process.next(process.initialize(), [3.0, 5.0])
    >>> float(state), float(process.report(state))
    (3.0, 6.0)
  """

  def __init__(self, initialize_fn, next_fn, report_fn):
    super().__init__(initialize_fn, next_fn)
    checks.check_computation(report_fn, 'report_fn')
    params = checks.parameters(report_fn)
    state = self.state_type
    accepts = state.member if isinstance(state, types.FederatedType) else state
    if len(params) != 1 or not (params[0].is_assignable_from(state) or
                                params[0].is_assignable_from(accepts)):
      raise TypeError(
          f'report_fn: expected a computation taking the state {state} (or '
          f'its member {accepts}), got {report_fn.type_signature}.')
    self._report_fn = report_fn

  @property
  def report(self) -> computation_lib.Computation:
    """The computation from the state to the estimate."""
    return self._report_fn

  @property
  def report_type(self) -> types.Type:
    return self._report_fn.type_signature.result

  def map(self, fn: computation_lib.Computation) -> 'EstimationProcess':
    """The same process with `fn` applied to what `report` returns.

    `fn` takes the estimate (as TFF's `map_fn` does) or, when the estimate
    is placed, its member: it is then mapped over the placed estimate.

    Example:
      >>> import numpy as np, federax as fx
      >>> init = fx.jax_computation(lambda: np.float32(2.0))
      >>> step = fx.jax_computation(lambda s: s * 2, np.float32)
      >>> process = fx.templates.EstimationProcess(init, step, step)
      >>> square = fx.jax_computation(lambda e: e * e, np.float32)
      >>> float(process.map(square).report(np.float32(3.0)))
      36.0
    """
    checks.check_computation(fn, 'fn')
    report = self._report_fn
    params = checks.parameters(fn)
    estimate = self.report_type
    takes_estimate = len(params) == 1 and params[0].is_assignable_from(
        estimate)
    # A computation of the member of a placed estimate is mapped over it.
    takes_member = (len(params) == 1 and
                    isinstance(estimate, types.FederatedType) and
                    params[0].is_assignable_from(estimate.member))
    if not (takes_estimate or takes_member):
      raise TypeError(f'fn: expected a computation taking the estimate '
                      f'{estimate}, got {fn.type_signature}.')
    if takes_estimate:
      @federated_computation.federated_computation(
          report.type_signature.parameter)
      def mapped(state):
        return fn(report(state))
    else:
      @federated_computation.federated_computation(
          report.type_signature.parameter)
      def mapped(state):
        return intrinsics.federated_map(fn, report(state))
    return EstimationProcess(self.initialize, self.next, mapped)
