"""`AggregationProcess`: how values at CLIENTS become a value at SERVER."""

from __future__ import annotations

from federax.core import placements
from federax.templates import checks
from federax.templates import measured_process


class AggregationProcess(measured_process.MeasuredProcess):
  """A stateful aggregation: `next(state, value[, weight])`.

  `initialize` makes a state at SERVER. `next` takes that state, a value at
  CLIENTS and, for a weighted aggregation, a weight at CLIENTS, and returns
  `MeasuredProcessOutput(state@SERVER, result@SERVER,
  measurements@SERVER)`. Aggregation factories (`fx.aggregators`) create
  them with `factory.create(value_type[, weight_type])`.

  Example:
    >>> import numpy as np, federax as fx
    >>> process = fx.aggregators.SumFactory().create(fx.TensorType(np.float32))
    >>> print(process.next.type_signature)
    (<state=<>@SERVER,value={float32}@CLIENTS> -> <state=<>@SERVER,result=float32@SERVER,measurements=<>@SERVER>)
    >>> output = process.next(process.initialize(), [1.0, 2.0])
    >>> float(output.result)
    3.0
  """

  def __init__(self, initialize_fn, next_fn):
    super().__init__(initialize_fn, next_fn)
    checks.check_placed(self.state_type, placements.SERVER,
                        'initialize_fn: the state')
    params = checks.parameters(next_fn)
    if len(params) not in (2, 3):
      raise TypeError(
          f'next_fn: expected parameters (state, value) or (state, value, '
          f'weight), got {next_fn.type_signature.parameter} '
          f'({len(params)} parameters).')
    checks.check_placed(params[1], placements.CLIENTS,
                        'next_fn: the value parameter')
    if len(params) == 3:
      checks.check_placed(params[2], placements.CLIENTS,
                          'next_fn: the weight parameter')
    checks.check_placed(self.result_type, placements.SERVER,
                        'next_fn: the result')
    checks.check_placed(self.measurements_type, placements.SERVER,
                        'next_fn: the measurements')

  @property
  def is_weighted(self) -> bool:
    """Whether `next` takes a weight for each client value."""
    return len(checks.parameters(self.next)) == 3

  @property
  def value_type(self):
    """The type of one client's value (unplaced)."""
    return checks.parameters(self.next)[1].member
