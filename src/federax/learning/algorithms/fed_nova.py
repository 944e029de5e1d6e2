"""FedNova: normalized averaging (Wang, Liu, Liang, Joshi and Poor, 2020).

J. Wang et al. "Tackling the Objective Inconsistency Problem in
Heterogeneous Federated Optimization", NeurIPS 2020 (arXiv:2007.07481).
A federax addition (TFF has no FedNova).
"""

from __future__ import annotations

from federax.learning.algorithms import common
from federax.learning.models import model as model_lib
from federax.learning.optimizers import builders
from federax.learning.optimizers import hparams as opt_hparams
from federax.learning.templates import composers
from federax.learning.templates import fed_nova_client_work


def build_fed_nova(model_fn, client_learning_rate: float,
                   client_momentum: float | None = None,
                   server_optimizer_fn=None, *, client_weighting=None,
                   model_distributor=None, model_aggregator=None,
                   metrics_aggregator=None, client_spec=None):
  """FedNova: clients' deltas normalized by their number of local steps.

  When clients take different numbers of local steps `tau_i` (they hold
  different amounts of data, or `client_spec.max_elements` caps them),
  FedAvg converges to a stationary point of a mis-weighted objective: the
  clients that step most count most. FedNova removes that inconsistency.
  Each client `i` trains the broadcast model `x` with SGD at
  `client_learning_rate` (heavy-ball momentum `client_momentum` if given)
  and sends its delta `d_i = x - y_i` divided by `a_i` (`tau_i` for SGD;
  see `fx.learning.templates.fed_nova_client_work.solver_weight` for
  momentum), together with `a_i`. With `p_i` the client weights (numbers
  of examples by default, `client_weighting`), the server computes
  `tau_eff = sum p_i a_i` and applies `tau_eff * sum p_i d_i / a_i` with
  `server_optimizer_fn` (SGD with learning rate 1.0 by default, which is
  the paper's `x - tau_eff * sum p_i d_i / a_i`). When every client takes
  the same number of steps this is FedAvg. The measurements hold
  `finalizer/effective_steps` (`tau_eff`).

  `model_aggregator` (a weighted `MeanFactory` by default) averages the
  struct `<normalized_update, local_steps>` with the client weights; any
  aggregator that computes a weighted mean works.

  Example:
    >>> import numpy as np, federax as fx
    >>> model = fx.learning.models.FunctionalModel(
    ...     initial_weights=((np.zeros(2, np.float32),), ()),
    ...     predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...     loss_fn=fx.learning.models.mean_squared_error,
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> process = fx.learning.algorithms.build_fed_nova(
    ...     model, 0.1, client_spec=fx.learning.ClientSpec(batch_size=2))
    >>> x = np.ones((4, 2), np.float32)
    >>> clients = [(x, x[:, 0]), (x[:2], x[:2, 0])]  # 2 and 1 local steps
    >>> state, metrics = process.next(process.initialize(), clients)
    >>> round(float(metrics['finalizer']['effective_steps']), 4)  # (4*2+2*1)/6
    1.6667
  """
  model = model_lib.as_model(model_fn)
  server_optimizer = opt_hparams.as_optimizer(
      server_optimizer_fn or builders.build_sgdm(1.0), 'server_optimizer_fn')
  weights_t = common.weights_type(model)
  work = fed_nova_client_work.build_fed_nova_client_work(
      model, client_learning_rate, client_momentum,
      client_weighting=client_weighting, client_spec=client_spec,
      metrics_aggregator=metrics_aggregator)
  update_t = work.result_type.member.update
  return composers.compose_learning_process(
      common.initial_weights_fn(model),
      common.distributor(model_distributor, weights_t), work,
      common.aggregator(model_aggregator, update_t, weighted=True),
      fed_nova_client_work.build_fed_nova_finalizer(server_optimizer,
                                                    weights_t))
