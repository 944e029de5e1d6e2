"""`LearningProcess`: an iterative process that trains a model."""

from __future__ import annotations

from typing import Any, NamedTuple

from federax.core import computation as computation_lib
from federax.core import placements
from federax.learning.templates import hparams as hparams_lib
from federax.templates import checks
from federax.templates import iterative_process


class LearningProcessOutput(NamedTuple):
  """What `LearningProcess.next` returns: the new state and the metrics."""
  state: Any
  metrics: Any


class LearningProcess(iterative_process.IterativeProcess):
  """`next(state@SERVER, client_data@CLIENTS)` -> `LearningProcessOutput`.

  Besides `initialize` and `next` it has `get_model_weights(state)` and
  `set_model_weights(state, weights)` (computations over the state's
  member, to read the model for evaluation or start from given weights),
  and `get_hparams(state)` / `set_hparams(state, hparams)`.
  `compose_learning_process` builds one from its four parts.

  Example:
    >>> import numpy as np, federax as fx
    >>> model = fx.learning.models.FunctionalModel(
    ...     initial_weights=((np.zeros(2, np.float32),), ()),
    ...     predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...     loss_fn=lambda out, y, sample_weight=None: (
    ...         fx.learning.models.mean_squared_error(out, y, sample_weight)),
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> process = fx.learning.algorithms.build_weighted_fed_avg(
    ...     model, client_optimizer_fn=fx.learning.optimizers.build_sgdm(0.1))
    >>> state = process.initialize()
    >>> data = [(np.ones((4, 2), np.float32), np.ones(4, np.float32))]
    >>> output = process.next(state, data)
    >>> print(sorted(output.metrics))
    ['aggregator', 'client_work', 'distributor', 'finalizer']
    >>> process.get_model_weights(output.state).trainable[0].tolist()
    [0.20000000298023224, 0.20000000298023224]
  """

  def __init__(self, initialize_fn, next_fn, get_model_weights,
               set_model_weights, *, get_hparams_fn=None,
               set_hparams_fn=None):
    super().__init__(initialize_fn, next_fn)
    checks.check_placed(self.state_type, placements.SERVER,
                        'initialize_fn: the state')
    params = checks.parameters(next_fn)
    if len(params) != 2:
      raise TypeError(f'next_fn: expected parameters (state, client_data), '
                      f'got {next_fn.type_signature.parameter}.')
    checks.check_placed(params[1], placements.CLIENTS,
                        'next_fn: the client_data parameter')
    result = checks.named_result(next_fn, ('state', 'metrics'), 'next_fn')
    checks.check_placed(result.metrics, placements.SERVER,
                        'next_fn: the metrics')
    state = self.state_type.member
    checks.check_computation(get_model_weights, 'get_model_weights')
    got = checks.parameters(get_model_weights)
    if len(got) != 1 or not got[0].is_assignable_from(state):
      raise TypeError(f'get_model_weights: expected a computation taking the '
                      f'state {state}, got {get_model_weights.type_signature}.')
    checks.check_computation(set_model_weights, 'set_model_weights')
    got = checks.parameters(set_model_weights)
    weights = get_model_weights.type_signature.result
    if len(got) != 2 or not (got[0].is_assignable_from(state) and
                             got[1].is_assignable_from(weights)):
      raise TypeError(f'set_model_weights: expected a computation taking '
                      f'(state {state}, weights {weights}), got '
                      f'{set_model_weights.type_signature}.')
    self._get_model_weights = get_model_weights
    self._set_model_weights = set_model_weights
    self._get_hparams, self._set_hparams = hparams_lib.checked(
        self.state_type, get_hparams_fn, set_hparams_fn)

  @property
  def client_data_type(self):
    """The type of the client data `next` takes (placed at CLIENTS)."""
    return checks.parameters(self.next)[1]

  @property
  def get_model_weights(self) -> computation_lib.Computation:
    return self._get_model_weights

  @property
  def set_model_weights(self) -> computation_lib.Computation:
    return self._set_model_weights

  @property
  def get_hparams(self) -> computation_lib.Computation:
    return self._get_hparams

  @property
  def set_hparams(self) -> computation_lib.Computation:
    return self._set_hparams
