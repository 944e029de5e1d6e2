"""`DistributionProcess`: how the server's model reaches the clients."""

from __future__ import annotations

from federax.core import federated_computation
from federax.core import intrinsics
from federax.core import placements
from federax.core import type_conversions
from federax.core import types
from federax.templates import checks
from federax.templates import measured_process


class DistributionProcess(measured_process.MeasuredProcess):
  """`next(state@SERVER, value@SERVER)` -> a value at CLIENTS.

  Returns `MeasuredProcessOutput(state@SERVER, result@CLIENTS,
  measurements@SERVER)`. The default is `build_broadcast_process`.

  Example:
    >>> import numpy as np, federax as fx
    >>> process = fx.learning.templates.build_broadcast_process(np.float32)
    >>> print(process.next.type_signature)
    (<state=<>@SERVER,value=float32@SERVER> -> <state=<>@SERVER,result=float32@CLIENTS,measurements=<>@SERVER>)
  """

  def __init__(self, initialize_fn, next_fn):
    super().__init__(initialize_fn, next_fn)
    checks.check_placed(self.state_type, placements.SERVER,
                        'initialize_fn: the state')
    params = checks.parameters(next_fn)
    if len(params) != 2:
      raise TypeError(f'next_fn: expected parameters (state, value), got '
                      f'{next_fn.type_signature.parameter}.')
    checks.check_placed(params[1], placements.SERVER,
                        'next_fn: the value parameter')
    checks.check_placed(self.result_type, placements.CLIENTS,
                        'next_fn: the result')
    checks.check_placed(self.measurements_type, placements.SERVER,
                        'next_fn: the measurements')


def build_broadcast_process(value_type) -> DistributionProcess:
  """A stateless `DistributionProcess` that broadcasts the value.

  Example:
    >>> import numpy as np, federax as fx
    >>> process = fx.learning.templates.build_broadcast_process(np.float32)
    >>> print(process.state_type, process.result_type)
    <>@SERVER float32@CLIENTS
  """
  value_type = type_conversions.to_type(value_type)
  if types.contains(value_type, types.FederatedType):
    raise TypeError(f'value_type: expected an unplaced type, got '
                    f'{value_type}. Pass the member type.')

  @federated_computation.federated_computation()
  def init_fn():
    return intrinsics.federated_value((), placements.SERVER)

  @federated_computation.federated_computation(
      init_fn.type_signature.result, types.type_at_server(value_type))
  def next_fn(state, value):
    return measured_process.MeasuredProcessOutput(
        state=state, result=intrinsics.federated_broadcast(value),
        measurements=intrinsics.federated_value((), placements.SERVER))

  return DistributionProcess(init_fn, next_fn)
