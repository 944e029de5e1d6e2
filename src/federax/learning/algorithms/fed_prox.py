"""FedProx (Li et al., 2020): FedAvg with a proximal term on clients."""

from __future__ import annotations

from federax.learning import client_weighting as weighting_lib
from federax.learning.algorithms import fed_avg


def build_weighted_fed_prox(model_fn, proximal_strength: float,
                            client_optimizer_fn, server_optimizer_fn=None, *,
                            client_weighting=None, model_distributor=None,
                            model_aggregator=None, metrics_aggregator=None,
                            client_spec=None):
  """FedProx: clients minimize `loss + proximal_strength/2 ||w - w0||^2`.

  `w0` is the model the client received; the term keeps local models near
  it when clients' data differ. With `proximal_strength=0` this is
  `build_weighted_fed_avg`. Reported losses are the model's, without the
  proximal term.

  Example:
    >>> import numpy as np, federax as fx
    >>> model = fx.learning.models.FunctionalModel(
    ...     initial_weights=((np.zeros(2, np.float32),), ()),
    ...     predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...     loss_fn=fx.learning.models.mean_squared_error,
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> process = fx.learning.algorithms.build_weighted_fed_prox(
    ...     model, 0.1, fx.learning.optimizers.build_sgdm(0.1))
    >>> state, metrics = process.next(
    ...     process.initialize(), [(np.ones((4, 2), np.float32),
    ...                             np.ones(4, np.float32))])
    >>> int(metrics['client_work']['train']['num_examples'])
    4
  """
  _check_strength(proximal_strength)
  return fed_avg._build(  # pylint: disable=protected-access
      model_fn, client_optimizer_fn, server_optimizer_fn, client_weighting,
      model_distributor, model_aggregator, metrics_aggregator, client_spec,
      weighted=True, proximal_strength=proximal_strength)


def build_unweighted_fed_prox(model_fn, proximal_strength: float,
                              client_optimizer_fn, server_optimizer_fn=None,
                              *, model_distributor=None,
                              model_aggregator=None, metrics_aggregator=None,
                              client_spec=None):
  """FedProx with every client's update counting equally.

  Example:
    >>> import numpy as np, federax as fx
    >>> model = fx.learning.models.FunctionalModel(
    ...     initial_weights=((np.zeros(2, np.float32),), ()),
    ...     predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...     loss_fn=fx.learning.models.mean_squared_error,
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> process = fx.learning.algorithms.build_unweighted_fed_prox(
    ...     model, 0.01, fx.learning.optimizers.build_sgdm(0.1))
    >>> print(process.state_type.member.aggregator)
    <value_sum_process=<>,count_sum_process=<>>
  """
  _check_strength(proximal_strength)
  return fed_avg._build(  # pylint: disable=protected-access
      model_fn, client_optimizer_fn, server_optimizer_fn,
      weighting_lib.ClientWeighting.UNIFORM, model_distributor,
      model_aggregator, metrics_aggregator, client_spec, weighted=False,
      proximal_strength=proximal_strength)


def _check_strength(value):
  if isinstance(value, bool) or not isinstance(value, (int, float)) or (
      value < 0):
    raise ValueError(f'proximal_strength: expected a number >= 0 (0 is '
                     f'FedAvg), got {value!r}.')
