"""Mime Lite (Karimireddy et al., 2021): FedAvg with a server-held optimizer
state that clients use, frozen, in their local steps."""

from __future__ import annotations

from federax.aggregators import mean as mean_lib
from federax.learning import client_weighting as weighting_lib
from federax.learning.algorithms import common
from federax.learning.models import model as model_lib
from federax.learning.optimizers import builders
from federax.learning.optimizers import hparams as opt_hparams
from federax.learning.templates import apply_optimizer_finalizer
from federax.learning.templates import composers
from federax.learning.templates import mime_lite_client_work


def _build(model_fn, base_optimizer, server_optimizer, client_weighting,
           model_distributor, model_aggregator, full_gradient_aggregator,
           metrics_aggregator, client_spec, weighted):
  model = model_lib.as_model(model_fn)
  base_optimizer = opt_hparams.as_optimizer(base_optimizer, 'base_optimizer')
  if server_optimizer is None:
    server_optimizer = builders.build_sgdm(1.0)
  server_optimizer = opt_hparams.as_optimizer(server_optimizer,
                                              'server_optimizer')
  if full_gradient_aggregator is None:
    full_gradient_aggregator = (mean_lib.MeanFactory() if weighted else
                                mean_lib.UnweightedMeanFactory())
  weights_t = common.weights_type(model)
  work = mime_lite_client_work.build_mime_lite_client_work(
      model, base_optimizer, client_weighting=client_weighting,
      full_gradient_aggregator=full_gradient_aggregator,
      metrics_aggregator=metrics_aggregator, client_spec=client_spec)
  update_t = work.result_type.member.update
  return composers.compose_learning_process(
      common.initial_weights_fn(model),
      common.distributor(model_distributor, weights_t), work,
      common.aggregator(model_aggregator, update_t, weighted),
      apply_optimizer_finalizer.build_apply_optimizer_finalizer(
          server_optimizer, weights_t))


def build_weighted_mime_lite(model_fn, base_optimizer, server_optimizer=None,
                             *, client_weighting=None, model_distributor=None,
                             model_aggregator=None,
                             full_gradient_aggregator=None,
                             metrics_aggregator=None, client_spec=None):
  """Mime Lite with clients weighted (by default) by their number of examples.

  The client work's state is `base_optimizer`'s state (momentum, Adam's
  moments, ...). Clients train from the broadcast model with
  `base_optimizer.update`, using that state frozen: every local step sees
  the same server statistics, so the optimizer's memory reflects the whole
  population rather than one client's data. Each client also computes the
  full-batch gradient of its loss at the broadcast model; their mean
  (`full_gradient_aggregator`, a weighted `MeanFactory` by default) moves
  the optimizer state one step. The model deltas are averaged with
  `model_aggregator` and applied with `server_optimizer` (SGD with learning
  rate 1.0 by default, TFF's: the new model is the clients' mean). With a
  stateless base optimizer (plain SGD) this is FedAvg. Costs each client
  one extra pass over its data (the full gradient).

  Example:
    >>> import numpy as np, federax as fx
    >>> model = fx.learning.models.FunctionalModel(
    ...     initial_weights=((np.zeros(2, np.float32),), ()),
    ...     predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...     loss_fn=fx.learning.models.mean_squared_error,
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> process = fx.learning.algorithms.build_weighted_mime_lite(
    ...     model, fx.learning.optimizers.build_sgdm(0.05, momentum=0.9))
    >>> x = np.ones((4, 2), np.float32)
    >>> state, metrics = process.next(process.initialize(), [(x, x[:, 0])] * 2)
    >>> # The momentum now holds the clients' mean full gradient at w = 0.
    >>> state.client_work['optimizer_state'].inner_state[0].trace[0].tolist()
    [-2.0, -2.0]
  """
  return _build(model_fn, base_optimizer, server_optimizer, client_weighting,
                model_distributor, model_aggregator, full_gradient_aggregator,
                metrics_aggregator, client_spec, weighted=True)


def build_unweighted_mime_lite(model_fn, base_optimizer,
                               server_optimizer=None, *,
                               model_distributor=None, model_aggregator=None,
                               full_gradient_aggregator=None,
                               metrics_aggregator=None, client_spec=None):
  """Mime Lite with every client counting equally.

  As `build_weighted_mime_lite`, with model deltas and full gradients
  averaged by `UnweightedMeanFactory`s by default.

  Example:
    >>> import numpy as np, federax as fx
    >>> model = fx.learning.models.FunctionalModel(
    ...     initial_weights=((np.zeros(2, np.float32),), ()),
    ...     predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...     loss_fn=fx.learning.models.mean_squared_error,
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> process = fx.learning.algorithms.build_unweighted_mime_lite(
    ...     model, fx.learning.optimizers.build_adam(0.01))
    >>> sorted(process.get_hparams(process.initialize())['client_work'])
    ['b1', 'b2', 'eps', 'eps_root', 'learning_rate']
  """
  return _build(model_fn, base_optimizer, server_optimizer,
                weighting_lib.ClientWeighting.UNIFORM, model_distributor,
                model_aggregator, full_gradient_aggregator,
                metrics_aggregator, client_spec, weighted=False)
