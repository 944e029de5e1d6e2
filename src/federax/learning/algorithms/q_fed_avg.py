"""q-FedAvg: fair resource allocation (Li, Sanjabi, Beirami, Smith, 2020).

T. Li et al. "Fair Resource Allocation in Federated Learning", ICLR 2020
(arXiv:1905.10497). A federax addition (TFF has no q-FedAvg).
"""

from __future__ import annotations

from federax.aggregators import factory as factory_lib
from federax.learning.algorithms import common
from federax.learning.models import model as model_lib
from federax.learning.optimizers import builders
from federax.learning.optimizers import hparams as opt_hparams
from federax.learning.templates import apply_optimizer_finalizer
from federax.learning.templates import composers
from federax.learning.templates import q_fed_avg_client_work


def build_q_fed_avg(model_fn, q: float, client_learning_rate: float,
                    server_optimizer_fn=None, *,
                    lipschitz_constant: float | None = None,
                    model_distributor=None, model_aggregator=None,
                    metrics_aggregator=None, client_spec=None):
  """q-FedAvg: clients with a higher loss count more, as `q` grows.

  It minimizes q-FFL's `sum_k F_k(w)^(q+1) / (q+1)` over the clients'
  mean losses `F_k`, which evens out the accuracy across clients (its
  "fairness"). Client `k` evaluates `F_k` at the broadcast `w`, runs SGD
  at `client_learning_rate` to `w_k`, and with `L = lipschitz_constant`
  (default `1 / client_learning_rate`, as in the paper) forms `dw_k = L (w
  - w_k)`, `Delta_k = F_k^q dw_k` and `h_k = q F_k^(q-1) ||dw_k||^2 + L
  F_k^q`. The server applies `sum Delta_k / sum h_k` with
  `server_optimizer_fn` (SGD with learning rate 1.0 by default: the
  paper's `w - sum Delta_k / sum h_k`). With `q = 0` every `h_k` is `L`
  and a round is unweighted FedAvg with SGD clients.

  Clients send `Delta_k / h_k` with weight `h_k`, so `model_aggregator`
  must be a weighted aggregation factory computing a weighted mean (a
  `MeanFactory` by default).

  Example:
    >>> import numpy as np, federax as fx
    >>> model = fx.learning.models.FunctionalModel(
    ...     initial_weights=((np.zeros(2, np.float32),), ()),
    ...     predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...     loss_fn=fx.learning.models.mean_squared_error,
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> process = fx.learning.algorithms.build_q_fed_avg(
    ...     model, q=1.0, client_learning_rate=0.1)
    >>> x = np.ones((4, 2), np.float32)  # predictions are w[0] + w[1]
    >>> clients = [(x, x[:, 0])] * 2 + [(x, 3 * x[:, 0])]  # targets 1, 1, 3
    >>> state = process.initialize()
    >>> for _ in range(10):
    ...   state, metrics = process.next(state, clients)
    >>> # FedAvg's mean: w = 5/6; q = 1 pulls it towards the worst client
    >>> round(float(process.get_model_weights(state).trainable[0][0]), 2)
    0.94
  """
  model = model_lib.as_model(model_fn)
  server_optimizer = opt_hparams.as_optimizer(
      server_optimizer_fn or builders.build_sgdm(1.0), 'server_optimizer_fn')
  if model_aggregator is not None and not isinstance(
      model_aggregator, factory_lib.WeightedAggregationFactory):
    raise TypeError(f'model_aggregator: expected a weighted aggregation '
                    f'factory (q-FedAvg sends Delta_k / h_k with weight '
                    f'h_k), e.g. fx.aggregators.MeanFactory(), got '
                    f'{type(model_aggregator).__name__}.')
  weights_t = common.weights_type(model)
  work = q_fed_avg_client_work.build_q_fed_avg_client_work(
      model, q, client_learning_rate, lipschitz_constant=lipschitz_constant,
      client_spec=client_spec, metrics_aggregator=metrics_aggregator)
  update_t = work.result_type.member.update
  return composers.compose_learning_process(
      common.initial_weights_fn(model),
      common.distributor(model_distributor, weights_t), work,
      common.aggregator(model_aggregator, update_t, weighted=True),
      apply_optimizer_finalizer.build_apply_optimizer_finalizer(
          server_optimizer, weights_t))
