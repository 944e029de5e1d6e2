"""`ClientWorkProcess`: what each client does with the model and its data."""

from __future__ import annotations

import collections
from typing import Any, NamedTuple

from federax.core import aggregation_intrinsics
from federax.core import intrinsics
from federax.core import placements
from federax.learning.templates import hparams as hparams_lib
from federax.templates import checks
from federax.templates import measured_process


class ClientResult(NamedTuple):
  """A client's output: its model `update` and the `update_weight`."""
  update: Any
  update_weight: Any


class ClientWorkProcess(measured_process.MeasuredProcess):
  """`next(state@SERVER, weights@CLIENTS, data@CLIENTS)`.

  Returns `MeasuredProcessOutput(state@SERVER, ClientResult@CLIENTS,
  measurements@SERVER)`: each client's update and its weight, and the
  aggregated training metrics. `get_hparams`/`set_hparams` read and write
  hyperparameters (e.g. the client learning rate) in the state.

  Example:
    >>> import numpy as np, federax as fx
    >>> work = fx.learning.templates.build_model_delta_client_work(
    ...     fx.learning.models.FunctionalModel(
    ...         initial_weights=((np.zeros(2, np.float32),), ()),
    ...         predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...         loss_fn=lambda out, y, sample_weight=None: 0.0 * out.sum(),
    ...         input_spec=((np.float32, [None, 2]), (np.float32, [None]))),
    ...     fx.learning.optimizers.build_sgdm(0.1))
    >>> print(work.next.type_signature.result.result)
    {<update=<float32[2]>,update_weight=float32>}@CLIENTS
  """

  def __init__(self, initialize_fn, next_fn, *, get_hparams_fn=None,
               set_hparams_fn=None):
    super().__init__(initialize_fn, next_fn)
    checks.check_placed(self.state_type, placements.SERVER,
                        'initialize_fn: the state')
    params = checks.parameters(next_fn)
    if len(params) != 3:
      raise TypeError(f'next_fn: expected parameters (state, weights, '
                      f'client_data), got {next_fn.type_signature.parameter}.')
    checks.check_placed(params[1], placements.CLIENTS,
                        'next_fn: the weights parameter')
    checks.check_placed(params[2], placements.CLIENTS,
                        'next_fn: the client_data parameter')
    checks.check_placed(self.result_type, placements.CLIENTS,
                        'next_fn: the result')
    member = self.result_type.member
    if not (hasattr(member, 'names') and
            member.names() == ('update', 'update_weight')):
      raise TypeError(f'next_fn: expected the result to be a ClientResult '
                      f'<update,update_weight> at CLIENTS, got '
                      f'{self.result_type}.')
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


def training_measurements(train, non_finite, **more):
  """A client work's measurements: `<train, non_finite_updates, **more>`.

  `train` is the server's training metrics, `non_finite` the clients'
  0/1 flags for updates they zeroed because they were not finite; `more`
  are further SERVER values (used inside a federated computation).
  """
  return intrinsics.federated_zip(collections.OrderedDict(
      train=train,
      non_finite_updates=aggregation_intrinsics.federated_sum(non_finite),
      **more))
