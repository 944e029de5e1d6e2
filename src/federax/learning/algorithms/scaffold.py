"""SCAFFOLD (Karimireddy et al., 2020): local SGD with control variates.

A federax addition (TFF has no SCAFFOLD). Clients are stateless, so the
control variates are recomputed every round at the broadcast model; see
`fx.learning.templates.build_scaffold_client_work`.
"""

from __future__ import annotations

from federax.learning.algorithms import common
from federax.learning.models import model as model_lib
from federax.learning.optimizers import builders
from federax.learning.templates import apply_optimizer_finalizer
from federax.learning.templates import composers
from federax.learning.templates import scaffold_client_work


def build_scaffold(model_fn, client_learning_rate: float,
                   server_learning_rate: float = 1.0, *,
                   model_distributor=None, model_aggregator=None,
                   metrics_aggregator=None, client_spec=None):
  """SCAFFOLD with control variates refreshed every round (stateless clients).

  Each round, at the server's model `x`: every client computes `c_i`, the
  full-batch gradient of its loss at `x`; the server averages them
  (weighted by number of examples) into `c` and broadcasts it; every client
  runs local SGD from `x` with `client_learning_rate` on the corrected
  gradient `g(y) - c_i + c`, which removes the drift of its local steps
  towards its own optimum when clients' data differ; the server sets
  `x += server_learning_rate * mean(y_i - x)` (the mean is
  `model_aggregator`'s, a `MeanFactory` weighted by number of examples by
  default).

  The paper keeps each client's `c_i` from the last round it took part
  in; clients of a federated computation keep no state between rounds (as
  in TFF), so this is SCAFFOLD with "option I" control variates computed
  afresh each round, at the price of one extra pass over each client's
  data. With one local step on a batch holding all of a client's data it
  is exactly FedSGD with server learning rate `client_learning_rate *
  server_learning_rate`.

  Example:
    >>> import numpy as np, federax as fx
    >>> model = fx.learning.models.FunctionalModel(
    ...     initial_weights=((np.zeros(2, np.float32),), ()),
    ...     predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...     loss_fn=fx.learning.models.mean_squared_error,
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> process = fx.learning.algorithms.build_scaffold(model, 0.1)
    >>> x = np.ones((4, 2), np.float32)
    >>> state, metrics = process.next(process.initialize(), [(x, x[:, 0])])
    >>> weights = process.get_model_weights(state)
    >>> [round(float(w), 3) for w in weights.trainable[0]]
    [0.2, 0.2]
  """
  model = model_lib.as_model(model_fn)
  server_rate = scaffold_client_work.check_learning_rate(
      server_learning_rate, 'server_learning_rate')
  weights_t = common.weights_type(model)
  work = scaffold_client_work.build_scaffold_client_work(
      model, client_learning_rate, client_spec=client_spec,
      metrics_aggregator=metrics_aggregator)
  update_t = work.result_type.member.update
  return composers.compose_learning_process(
      common.initial_weights_fn(model),
      common.distributor(model_distributor, weights_t), work,
      common.aggregator(model_aggregator, update_t, weighted=True),
      apply_optimizer_finalizer.build_apply_optimizer_finalizer(
          builders.build_sgdm(server_rate), weights_t))
