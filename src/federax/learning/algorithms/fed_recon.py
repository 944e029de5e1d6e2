"""Federated Reconstruction (Singhal et al., 2021): training and evaluation.

"Federated Reconstruction: Partially Local Federated Learning" trains
models whose weights are partly global (aggregated at the server) and
partly local (never leaving a client). Clients keep no state between
rounds: whenever a client takes part it reconstructs its local weights
from scratch on part of its data, with the global weights frozen, then
trains the global weights with the local ones frozen. The server averages
the global updates, as FedAvg does. This scales to populations where a
client takes part rarely or once, and keeps per-user parameters (user
embeddings, per-user biases) on the device.
"""

from __future__ import annotations

from federax.aggregators import factory as factory_lib
from federax.aggregators import sum_factory
from federax.core import jax_computation
from federax.core import type_conversions
from federax.learning import client_weighting as weighting_lib
from federax.learning.algorithms import common
from federax.learning.algorithms import fed_eval
from federax.learning.models import reconstruction_model as recon_lib
from federax.learning.optimizers import builders
from federax.learning.optimizers import hparams as opt_hparams
from federax.learning.templates import apply_optimizer_finalizer
from federax.learning.templates import composers
from federax.learning.templates import reconstruction_client_work as work_lib


def _initial_weights(model):
  """`(computation returning the global weights, their type)`."""
  initial = recon_lib.ReconstructionModel.get_global_variables(model)
  return (jax_computation.jax_computation(lambda: initial),
          type_conversions.infer_type(initial))


def build_fed_recon(model_fn, *, loss_fn, metrics_fn=None,
                    server_optimizer_fn=None, client_optimizer_fn=None,
                    reconstruction_optimizer_fn=None, dataset_split_fn=None,
                    client_weighting=None, model_distributor=None,
                    model_aggregator_factory=None, metrics_aggregator=None,
                    client_spec=None):
  """A `LearningProcess` training a `ReconstructionModel` (FedRecon).

  Each round the server broadcasts the global weights; each client splits
  its data (`dataset_split_fn`, default TFF's: examples at even positions
  reconstruct, odd ones train), reconstructs its local weights from the
  model's initial values with `reconstruction_optimizer_fn` (global ones
  frozen), trains the global trainable weights with `client_optimizer_fn`
  (local ones frozen) and sends their change; the server averages the
  changes (`model_aggregator_factory`, a weighted `MeanFactory` by
  default, weights from `client_weighting`, default examples trained on)
  and applies the mean with `server_optimizer_fn`. Local weights never
  leave the clients: the process's state, the updates and every
  aggregated value hold global weights only.

  `loss_fn(predictions, labels, sample_weight=None)` is a federax loss
  (e.g. `fx.learning.models.mean_squared_error`); `metrics_fn` is None or
  a `metrics_fns` triple (`fx.learning.models.build_mean_metrics_fns`).
  Either may instead be a function of no argument returning one, as in
  TFF. Optimizers are optax `GradientTransformation`s; defaults are TFF's
  (SGD with learning rates 1.0 at the server, 0.1 at clients and for
  reconstruction). `client_spec` gives the batch size, shuffling and seed.
  Metrics are TFF's: `metrics['client_work']['train']` has `loss`,
  `num_examples`, `num_batches` and the model's metrics, over the
  post-reconstruction batches.

  Example:
    >>> import numpy as np, federax as fx
    >>> model = fx.learning.models.ReconstructionModel(
    ...     global_trainable_variables=(np.zeros(2, np.float32),),
    ...     local_trainable_variables=(np.zeros((), np.float32),),
    ...     predict_on_batch_fn=lambda g, l, x, training=True: (
    ...         x @ g.trainable[0] + l.trainable[0]),
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> process = fx.learning.algorithms.build_fed_recon(
    ...     model, loss_fn=fx.learning.models.mean_squared_error)
    >>> print(process.state_type.member.global_model_weights)  # Global only.
    <trainable=<float32[2]>,non_trainable=<>>
    >>> x = np.ones((6, 2), np.float32)
    >>> clients = [(x, x[:, 0] + bias) for bias in (-5.0, 5.0)]
    >>> state, metrics = process.next(process.initialize(), clients)
    >>> int(metrics['client_work']['train']['num_examples'])  # Odd positions.
    6
  """
  model = recon_lib.as_reconstruction_model(model_fn)
  weighting = weighting_lib.check(client_weighting)
  if (isinstance(model_aggregator_factory,
                 factory_lib.UnweightedAggregationFactory) and
      weighting is not weighting_lib.ClientWeighting.UNIFORM):
    raise ValueError(f'client_weighting: an unweighted model_aggregator_'
                     f'factory needs fx.learning.ClientWeighting.UNIFORM, got '
                     f'{weighting}. Pass client_weighting=fx.learning.'
                     f'ClientWeighting.UNIFORM, or a weighted factory.')
  server_optimizer = opt_hparams.as_optimizer(
      server_optimizer_fn or builders.build_sgdm(1.0), 'server_optimizer_fn')
  work = work_lib.build_fed_recon_client_work(
      model, loss_fn=loss_fn, metrics_fn=metrics_fn,
      client_optimizer_fn=client_optimizer_fn or builders.build_sgdm(0.1),
      reconstruction_optimizer_fn=(reconstruction_optimizer_fn or
                                   builders.build_sgdm(0.1)),
      dataset_split_fn=dataset_split_fn, client_weighting=weighting,
      metrics_aggregator=metrics_aggregator, client_spec=client_spec)
  initial_fn, weights_t = _initial_weights(model)
  update_t = work.result_type.member.update
  weighted = not isinstance(model_aggregator_factory,
                            factory_lib.UnweightedAggregationFactory)
  return composers.compose_learning_process(
      initial_fn, common.distributor(model_distributor, weights_t), work,
      common.aggregator(model_aggregator_factory, update_t, weighted),
      apply_optimizer_finalizer.build_apply_optimizer_finalizer(
          server_optimizer, weights_t))


def build_fed_recon_eval(model_fn, *, loss_fn, metrics_fn=None,
                         reconstruction_optimizer_fn=None,
                         dataset_split_fn=None, model_distributor=None,
                         metrics_aggregator=None, client_spec=None):
  """A `LearningProcess` evaluating a `ReconstructionModel`.

  Each client reconstructs its local weights as in `build_fed_recon`,
  then evaluates global and local weights on its post-reconstruction data
  (`training=False`). Like `build_fed_eval`, `next` leaves the weights
  unchanged and reports `metrics['client_work']['eval']` with
  `current_round_metrics` and `total_rounds_metrics`; evaluate a training
  process's weights with `set_model_weights(state, weights)`.

  Example:
    >>> import numpy as np, federax as fx
    >>> model = fx.learning.models.ReconstructionModel(
    ...     global_trainable_variables=(np.ones(1, np.float32),),
    ...     local_trainable_variables=(np.zeros((), np.float32),),
    ...     predict_on_batch_fn=lambda g, l, x, training=True: (
    ...         x @ g.trainable[0] + l.trainable[0]),
    ...     input_spec=((np.float32, [None, 1]), (np.float32, [None])))
    >>> evaluation = fx.learning.algorithms.build_fed_recon_eval(
    ...     model, loss_fn=fx.learning.models.mean_squared_error,
    ...     reconstruction_optimizer_fn=fx.learning.optimizers.build_sgdm(0.5),
    ...     dataset_split_fn=fx.learning.models.build_dataset_split_fn(
    ...         recon_epochs=20))
    >>> x = np.ones((4, 1), np.float32)
    >>> clients = [(x, x[:, 0] + bias) for bias in (-3.0, 3.0)]
    >>> state, metrics = evaluation.next(evaluation.initialize(), clients)
    >>> round(float(metrics['client_work']['eval']['current_round_metrics']
    ...             ['loss']), 4)  # Each client found its own bias.
    0.0
  """
  model = recon_lib.as_reconstruction_model(model_fn)
  work = work_lib.build_fed_recon_eval_client_work(
      model, loss_fn=loss_fn, metrics_fn=metrics_fn,
      reconstruction_optimizer_fn=(reconstruction_optimizer_fn or
                                   builders.build_sgdm(0.1)),
      dataset_split_fn=dataset_split_fn,
      metrics_aggregator=metrics_aggregator, client_spec=client_spec)
  initial_fn, weights_t = _initial_weights(model)
  update_t = work.result_type.member.update
  finalizer = fed_eval._identity_finalizer  # pylint: disable=protected-access
  return composers.compose_learning_process(
      initial_fn, common.distributor(model_distributor, weights_t), work,
      sum_factory.SumFactory().create(update_t),
      finalizer(weights_t, update_t))
