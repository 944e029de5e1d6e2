"""`FinalizerProcess`: the server applies the aggregated update."""

from __future__ import annotations

from federax.core import placements
from federax.learning.templates import hparams as hparams_lib
from federax.templates import checks
from federax.templates import measured_process


class FinalizerProcess(measured_process.MeasuredProcess):
  """`next(state@SERVER, weights@SERVER, update@SERVER)` -> new weights.

  Returns `MeasuredProcessOutput(state@SERVER, new_weights@SERVER,
  measurements@SERVER)`; the state is typically a server optimizer's.

  Example:
    >>> import numpy as np, federax as fx
    >>> weights = fx.to_type(((np.float32, [2]), ()))
    >>> finalizer = fx.learning.templates.build_apply_optimizer_finalizer(
    ...     fx.learning.optimizers.build_sgdm(1.0), weights)
    >>> print(finalizer.result_type)
    <float32[2],<>>@SERVER
  """

  def __init__(self, initialize_fn, next_fn, *, get_hparams_fn=None,
               set_hparams_fn=None):
    super().__init__(initialize_fn, next_fn)
    checks.check_placed(self.state_type, placements.SERVER,
                        'initialize_fn: the state')
    params = checks.parameters(next_fn)
    if len(params) != 3:
      raise TypeError(f'next_fn: expected parameters (state, weights, '
                      f'update), got {next_fn.type_signature.parameter}.')
    for name, t in zip(('weights', 'update'), params[1:]):
      checks.check_placed(t, placements.SERVER,
                          f'next_fn: the {name} parameter')
    checks.check_placed(self.result_type, placements.SERVER,
                        'next_fn: the result')
    checks.check_assignable(
        params[1].member, self.result_type.member,
        'next_fn: the new weights it returns',
        'Return weights of the type it takes.')
    checks.check_placed(self.measurements_type, placements.SERVER,
                        'next_fn: the measurements')
    self._get_hparams, self._set_hparams = hparams_lib.checked(
        self.state_type, get_hparams_fn, set_hparams_fn)

  @property
  def get_hparams(self):
    return self._get_hparams

  @property
  def set_hparams(self):
    return self._set_hparams
