"""FedDyn: dynamic regularization (Acar et al., 2021), client state at server.

D. A. E. Acar, Y. Zhao, R. Matas, M. Mattina, P. Whatmough,
V. Saligrama. "Federated Learning Based on Dynamic Regularization", ICLR
2021 (arXiv:2111.04263). A federax addition (TFF has no FedDyn).
"""

from __future__ import annotations

from federax.learning.algorithms import common
from federax.learning.models import model as model_lib
from federax.learning.optimizers import builders
from federax.learning.optimizers import hparams as opt_hparams
from federax.learning.templates import apply_optimizer_finalizer
from federax.learning.templates import composers
from federax.learning.templates import fed_dyn_client_work


def build_fed_dyn(model_fn, client_optimizer_fn, alpha: float,
                  num_clients: int, *, model_distributor=None,
                  model_aggregator=None, metrics_aggregator=None,
                  client_spec=None):
  """FedDyn over a known population of `num_clients` clients with ids.

  Each client `k` adds a dynamic regularizer to its loss, `L_k(y) - <g_k,
  y> + alpha/2 ||y - x||^2`, whose linear term `g_k` accumulates `alpha
  (x - y_k)` over the rounds it takes part in; at a stationary point of
  the server the clients' local optima agree with the global one, even
  with non-IID data and partial participation. The server model is `x =
  mean_P y_k - h / alpha`, `h` the mean of all clients' `g_k`.

  Clients keep no state between rounds in a federated computation, so
  the `g_k` live at the server (`state.client_work['linear_terms']`, one
  row per client, memory `num_clients` times the model): each client's
  data is `{'client_id': k, 'data': examples}` (type `<client_id=int32,
  data=<example>*>`, `0 <= k < num_clients`, each id at most once a
  round), a client fetches its own row with `fx.federated_select`, and
  the changed rows come back through a `federated_aggregate` of
  scatters. The server thereby learns each participant's `g_k`; see
  `fx.learning.templates.fed_dyn_client_work` for this design and how the
  server step is folded into the updates. Clients train with
  `client_optimizer_fn` (SGD in the paper); `model_aggregator` must
  compute an unweighted mean (an `UnweightedMeanFactory` by default) and
  the server applies it with SGD at learning rate 1.

  Example:
    >>> import numpy as np, federax as fx
    >>> model = fx.learning.models.FunctionalModel(
    ...     initial_weights=((np.zeros(2, np.float32),), ()),
    ...     predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...     loss_fn=fx.learning.models.mean_squared_error,
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> process = fx.learning.algorithms.build_fed_dyn(
    ...     model, fx.learning.optimizers.build_sgdm(0.1), alpha=0.1,
    ...     num_clients=10)
    >>> x = np.ones((4, 2), np.float32)
    >>> cohort = [{'client_id': 3, 'data': (x, x[:, 0])},
    ...           {'client_id': 7, 'data': (x, 2 * x[:, 0])}]
    >>> state, metrics = process.next(process.initialize(), cohort)
    >>> table = state.client_work['linear_terms'][0]
    >>> [round(float(abs(row).sum()), 3) for row in table[[0, 3, 7]]]
    [0.0, 0.04, 0.08]
  """
  model = model_lib.as_model(model_fn)
  client_optimizer = opt_hparams.as_optimizer(client_optimizer_fn,
                                              'client_optimizer_fn')
  weights_t = common.weights_type(model)
  work = fed_dyn_client_work.build_fed_dyn_client_work(
      model, client_optimizer, alpha, num_clients, client_spec=client_spec,
      metrics_aggregator=metrics_aggregator)
  update_t = work.result_type.member.update
  return composers.compose_learning_process(
      common.initial_weights_fn(model),
      common.distributor(model_distributor, weights_t), work,
      common.aggregator(model_aggregator, update_t, weighted=False),
      apply_optimizer_finalizer.build_apply_optimizer_finalizer(
          builders.build_sgdm(1.0), weights_t))
