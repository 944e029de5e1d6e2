"""FedBuff: buffered asynchronous aggregation (Nguyen et al., 2022), simulated.

J. Nguyen, K. Malik, H. Zhan, A. Yousefpour, M. Rabbat, M. Malek,
D. Huba. "Federated Learning with Buffered Asynchronous Aggregation",
AISTATS 2022 (arXiv:2106.06639). A federax addition (TFF has no FedBuff).
"""

from __future__ import annotations

from federax.learning.algorithms import common
from federax.learning.models import model as model_lib
from federax.learning.optimizers import builders
from federax.learning.optimizers import hparams as opt_hparams
from federax.learning.templates import apply_optimizer_finalizer
from federax.learning.templates import composers
from federax.learning.templates import fed_buff_client_work
from federax.learning.templates import model_history_distributor


def build_fed_buff(model_fn, client_optimizer_fn, server_optimizer_fn=None,
                   *, max_staleness: int = 4, staleness_weight_fn=None,
                   model_aggregator=None, metrics_aggregator=None,
                   client_spec=None):
  """FedBuff simulated: each `next` is one server step over a full buffer.

  In FedBuff clients train asynchronously from whatever model was current
  when they started; the server buffers `K` updates, each scaled by
  `1 / sqrt(1 + staleness)` (the number of server steps since the
  client's download), then applies their mean with the server optimizer.
  Here one `next(state, client_data)` is one server step and its clients
  are the `K` buffered updates: each client's data is a dict
  `{'staleness': s, 'data': examples}` (type `<staleness=int32,
  data=<example>*>`), saying which past model (`s` steps old) the client
  trained. The state's `distributor` keeps the last `max_staleness + 1`
  global models (`fx.learning.templates.build_model_history_distributor`);
  larger staleness is clipped to `max_staleness`, and in the first rounds
  to the number of server steps so far.

  Clients train with `client_optimizer_fn` and send `s(staleness) *
  (stale model - trained)` (`staleness_weight_fn`, default
  `1 / sqrt(1 + staleness)`); `model_aggregator` (default
  `UnweightedMeanFactory`: the sum over the buffer divided by `K`)
  averages them, and `server_optimizer_fn` (default SGD with learning rate
  1.0) applies the mean. With every staleness 0 this is unweighted FedAvg.
  Staleness is data so that any schedule can be simulated: sample it
  (e.g. a half-normal, as in the paper's experiments) or derive it from
  simulated client durations. `metrics['client_work']['mean_staleness']`
  reports the mean staleness used.

  Example:
    >>> import numpy as np, federax as fx
    >>> model = fx.learning.models.FunctionalModel(
    ...     initial_weights=((np.zeros(2, np.float32),), ()),
    ...     predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...     loss_fn=fx.learning.models.mean_squared_error,
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> process = fx.learning.algorithms.build_fed_buff(
    ...     model, fx.learning.optimizers.build_sgdm(0.1), max_staleness=2)
    >>> x = np.ones((4, 2), np.float32)
    >>> state = process.initialize()
    >>> for step in range(3):
    ...   buffer = [{'staleness': s, 'data': (x, x[:, 0])} for s in (0, 1, 3)]
    ...   state, metrics = process.next(state, buffer)
    >>> round(float(metrics['client_work']['mean_staleness']), 3)  # 0, 1, 2
    1.0
  """
  model = model_lib.as_model(model_fn)
  client_optimizer = opt_hparams.as_optimizer(client_optimizer_fn,
                                              'client_optimizer_fn')
  server_optimizer = opt_hparams.as_optimizer(
      server_optimizer_fn or builders.build_sgdm(1.0), 'server_optimizer_fn')
  weights_t = common.weights_type(model)
  work = fed_buff_client_work.build_fed_buff_client_work(
      model, client_optimizer, max_staleness, staleness_weight_fn,
      client_spec=client_spec, metrics_aggregator=metrics_aggregator)
  update_t = work.result_type.member.update
  return composers.compose_learning_process(
      common.initial_weights_fn(model),
      model_history_distributor.build_model_history_distributor(
          weights_t, max_staleness + 1),
      work, common.aggregator(model_aggregator, update_t, weighted=False),
      apply_optimizer_finalizer.build_apply_optimizer_finalizer(
          server_optimizer, weights_t))
