"""Federated SGD (McMahan et al., 2017): one gradient step per round."""

from __future__ import annotations

from federax.learning.algorithms import common
from federax.learning.models import model as model_lib
from federax.learning.optimizers import builders
from federax.learning.optimizers import hparams as opt_hparams
from federax.learning.templates import apply_optimizer_finalizer
from federax.learning.templates import composers
from federax.learning.templates import fed_sgd_client_work

# TFF's default: SGD with learning rate 0.1 at the server.
DEFAULT_SERVER_LEARNING_RATE = 0.1


def build_fed_sgd(model_fn, server_optimizer_fn=None, *,
                  model_distributor=None, model_aggregator=None,
                  metrics_aggregator=None, client_spec=None):
  """FedSGD: the server steps along the mean of the clients' gradients.

  Each round every client computes the gradient of its mean loss over all
  its examples at the current model (`build_fed_sgd_client_work`); the
  server averages the gradients with `model_aggregator` (a `MeanFactory`
  weighted by number of examples by default, which makes the mean the
  gradient of the loss over all the clients' examples) and applies it with
  `server_optimizer_fn` (`build_sgdm(0.1)` by default, as in TFF). With
  full participation this is full-batch gradient descent on the union of
  the clients' data. `client_spec` only sets the batch size in which the
  gradient is computed (TFF has no such argument; it bounds memory).

  Example:
    >>> import numpy as np, federax as fx
    >>> model = fx.learning.models.FunctionalModel(
    ...     initial_weights=((np.zeros(2, np.float32),), ()),
    ...     predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...     loss_fn=fx.learning.models.mean_squared_error,
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> process = fx.learning.algorithms.build_fed_sgd(model)
    >>> x = np.ones((4, 2), np.float32)
    >>> state, metrics = process.next(process.initialize(), [(x, x[:, 0])])
    >>> weights = process.get_model_weights(state)
    >>> [round(float(w), 3) for w in weights.trainable[0]]
    [0.2, 0.2]
  """
  model = model_lib.as_model(model_fn)
  weights_t = common.weights_type(model)
  work = fed_sgd_client_work.build_fed_sgd_client_work(
      model, client_spec=client_spec, metrics_aggregator=metrics_aggregator)
  update_t = work.result_type.member.update
  if server_optimizer_fn is None:
    server_optimizer_fn = builders.build_sgdm(DEFAULT_SERVER_LEARNING_RATE)
  server_optimizer = opt_hparams.as_optimizer(server_optimizer_fn,
                                              'server_optimizer_fn')
  return composers.compose_learning_process(
      common.initial_weights_fn(model),
      common.distributor(model_distributor, weights_t), work,
      common.aggregator(model_aggregator, update_t, weighted=True),
      apply_optimizer_finalizer.build_apply_optimizer_finalizer(
          server_optimizer, weights_t))
