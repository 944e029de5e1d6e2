"""Federated Averaging (McMahan et al., 2017) and its scheduled variant."""

from __future__ import annotations

from federax.learning import client_weighting as weighting_lib
from federax.learning.algorithms import common
from federax.learning.models import model as model_lib
from federax.learning.optimizers import builders
from federax.learning.optimizers import hparams as opt_hparams
from federax.learning.templates import apply_optimizer_finalizer
from federax.learning.templates import composers
from federax.learning.templates import model_delta_client_work


def _build(model_fn, client_optimizer_fn, server_optimizer_fn,
           client_weighting, model_distributor, model_aggregator,
           metrics_aggregator, client_spec, weighted, proximal_strength=0.0,
           learning_rate_fn=None):
  model = model_lib.as_model(model_fn)
  if learning_rate_fn is None:
    client_optimizer_fn = opt_hparams.as_optimizer(client_optimizer_fn,
                                                   'client_optimizer_fn')
  server_optimizer_fn = opt_hparams.as_optimizer(
      server_optimizer_fn or builders.build_sgdm(1.0), 'server_optimizer_fn')
  weights_t = common.weights_type(model)
  work = model_delta_client_work.build_model_delta_client_work(
      model, client_optimizer_fn, client_weighting=client_weighting,
      client_spec=client_spec, metrics_aggregator=metrics_aggregator,
      proximal_strength=proximal_strength, learning_rate_fn=learning_rate_fn)
  update_t = work.result_type.member.update
  return composers.compose_learning_process(
      common.initial_weights_fn(model),
      common.distributor(model_distributor, weights_t), work,
      common.aggregator(model_aggregator, update_t, weighted),
      apply_optimizer_finalizer.build_apply_optimizer_finalizer(
          server_optimizer_fn, weights_t))


def build_weighted_fed_avg(model_fn, client_optimizer_fn,
                           server_optimizer_fn=None, *,
                           client_weighting=None, model_distributor=None,
                           model_aggregator=None, metrics_aggregator=None,
                           client_spec=None):
  """FedAvg with clients weighted (by default) by their number of examples.

  Clients train the broadcast model with `client_optimizer_fn` over their
  data (`client_spec`: epochs, batch size, shuffling); the server averages
  the model deltas with `model_aggregator` (a weighted `MeanFactory` by
  default) and applies the mean with `server_optimizer_fn` (SGD with
  learning rate 1.0 by default: the new model is the clients' mean).
  `model_fn` is a model or a function with no argument returning one.

  Example:
    >>> import numpy as np, federax as fx
    >>> model = fx.learning.models.FunctionalModel(
    ...     initial_weights=((np.zeros(2, np.float32),), ()),
    ...     predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...     loss_fn=fx.learning.models.mean_squared_error,
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> process = fx.learning.algorithms.build_weighted_fed_avg(
    ...     model, fx.learning.optimizers.build_sgdm(0.1))
    >>> state = process.initialize()
    >>> x = np.ones((8, 2), np.float32)
    >>> for _ in range(20):
    ...   state, metrics = process.next(state, [(x, 2 * x[:, 0])] * 3)
    >>> round(float(metrics['client_work']['train']['loss']), 4)
    0.0
  """
  return _build(model_fn, client_optimizer_fn, server_optimizer_fn,
                client_weighting, model_distributor, model_aggregator,
                metrics_aggregator, client_spec, weighted=True)


def build_unweighted_fed_avg(model_fn, client_optimizer_fn,
                             server_optimizer_fn=None, *,
                             model_distributor=None, model_aggregator=None,
                             metrics_aggregator=None, client_spec=None):
  """FedAvg with every client's update counting equally.

  As `build_weighted_fed_avg`, aggregating with an
  `UnweightedMeanFactory` by default.

  Example:
    >>> import numpy as np, federax as fx
    >>> model = fx.learning.models.FunctionalModel(
    ...     initial_weights=((np.zeros(2, np.float32),), ()),
    ...     predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...     loss_fn=fx.learning.models.mean_squared_error,
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> process = fx.learning.algorithms.build_unweighted_fed_avg(
    ...     model, fx.learning.optimizers.build_sgdm(0.1))
    >>> print(process.next.type_signature.parameter[1])
    {<float32[2],float32>*}@CLIENTS
  """
  return _build(model_fn, client_optimizer_fn, server_optimizer_fn,
                weighting_lib.ClientWeighting.UNIFORM, model_distributor,
                model_aggregator, metrics_aggregator, client_spec,
                weighted=False)


def build_weighted_fed_avg_with_optimizer_schedule(
    model_fn, client_learning_rate_fn, client_optimizer_fn,
    server_optimizer_fn=None, *, model_distributor=None,
    model_aggregator=None, metrics_aggregator=None, client_spec=None):
  """FedAvg whose client learning rate follows a per-round schedule.

  In round `r` clients train with `client_optimizer_fn(
  client_learning_rate_fn(r))`; the schedule must be a JAX-traceable
  function of the int32 round number (an optax schedule works).

  Example:
    >>> import numpy as np, optax, federax as fx
    >>> model = fx.learning.models.FunctionalModel(
    ...     initial_weights=((np.zeros(2, np.float32),), ()),
    ...     predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...     loss_fn=fx.learning.models.mean_squared_error,
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> process = (fx.learning.algorithms
    ...            .build_weighted_fed_avg_with_optimizer_schedule(
    ...                model, optax.exponential_decay(0.1, 1, 0.5),
    ...                lambda rate: optax.sgd(rate)))
    >>> state = process.initialize()
    >>> int(state.client_work['round_num'])
    0
  """
  return _build(model_fn, client_optimizer_fn, server_optimizer_fn, None,
                model_distributor, model_aggregator, metrics_aggregator,
                client_spec, weighted=True,
                learning_rate_fn=client_learning_rate_fn)
