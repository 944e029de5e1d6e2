"""Client works of Federated Reconstruction: training and evaluation.

Each taking part, a client (1) reconstructs its local variables from
scratch on its reconstruction data, the global ones frozen, then (2)
trains the global variables on its post-reconstruction data, the local
ones frozen (or, for evaluation, evaluates). Only the change of the global
trainable weights leaves the client; the local weights exist only inside
the client's computation.
"""

from __future__ import annotations

import collections

import numpy as np

from federax.core import aggregation_intrinsics
from federax.core import federated_computation
from federax.core import intrinsics
from federax.core import jax_computation
from federax.core import placements
from federax.core import type_conversions
from federax.core import types
from federax.learning import client_spec as client_spec_lib
from federax.learning import client_weighting as weighting_lib
from federax.learning import local_training
from federax.learning import metrics as metrics_lib
from federax.learning.models import input_spec as input_spec_lib
from federax.learning.models import reconstruction_model as recon_lib
from federax.learning.models import reconstruction_split as split_lib
from federax.learning.optimizers import hparams as opt_hparams
from federax.learning.templates import client_work_parts as parts
from federax.learning.templates import client_works
from federax.learning.templates import fed_eval_client_work
from federax.learning.templates import reconstruction_stages as stages
from federax.templates import measured_process


class _Setup:
  """What both client works derive from their arguments."""

  def __init__(self, model_fn, loss_fn, metrics_fn, reconstruction_optimizer,
               dataset_split_fn, client_spec):
    self.model = recon_lib.as_reconstruction_model(model_fn)
    self.recon_view, self.post_view = stages.views(
        self.model, stages.as_loss_fn(loss_fn),
        stages.as_metrics_fns(metrics_fn))
    self.recon_optimizer = opt_hparams.as_optimizer(
        reconstruction_optimizer, 'reconstruction_optimizer_fn')
    self.split = split_lib.as_dataset_split(dataset_split_fn)
    self.spec = client_spec_lib.check(client_spec)
    self.recon_spec, self.post_spec = split_lib.stage_specs(self.split,
                                                            self.spec)
    self.weights_t = type_conversions.infer_type(
        recon_lib.ReconstructionModel.get_global_variables(self.model))
    self.data_t = types.SequenceType(input_spec_lib.example_type(self.model))

  def reconstruct(self, weights, data, round_num):
    """`(local weights, post-reconstruction data, training key)`."""
    import jax
    recon_data, post_data = self.split(data)
    stacked, length, _ = local_training.batching.examples(data)
    key = local_training.client_key(self.spec.seed, round_num, stacked,
                                    length)
    recon_key, post_key = jax.random.split(key)
    local = stages.reconstruct(self.model, self.recon_view,
                               self.recon_optimizer, weights, recon_data,
                               self.recon_spec, recon_key)
    return local, post_data, post_key


def build_fed_recon_client_work(model_fn, *, loss_fn, metrics_fn=None,
                                client_optimizer_fn,
                                reconstruction_optimizer_fn,
                                dataset_split_fn=None, client_weighting=None,
                                metrics_aggregator=None, client_spec=None):
  """Clients reconstruct local weights, then train and send global deltas.

  Each client splits its data with `dataset_split_fn` (default: examples
  at even positions reconstruct, odd ones train), reconstructs the local
  weights from the model's initial ones with `reconstruction_optimizer_fn`
  (global weights frozen), then trains the global trainable weights with
  `client_optimizer_fn` (local weights frozen) and returns their change
  `initial - trained` as the update, weighted by `client_weighting`
  (default: examples trained on). `client_spec` gives the batch size,
  shuffling and seed; epochs and caps per stage come from the split. The
  metrics (`loss_fn`'s loss and `metrics_fn`'s, over the
  post-reconstruction batches) are aggregated by `metrics_aggregator`.
  Measurements are `<train=metrics, non_finite_updates=int32>`; the state
  is the round number (it seeds shuffling).

  Example:
    >>> import numpy as np, federax as fx
    >>> model = fx.learning.models.ReconstructionModel(
    ...     global_trainable_variables=(np.zeros(2, np.float32),),
    ...     local_trainable_variables=(np.zeros(3, np.float32),),
    ...     predict_on_batch_fn=lambda g, l, x, training=True: (
    ...         x @ g.trainable[0] + l.trainable[0].sum()),
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> work = fx.learning.templates.build_fed_recon_client_work(
    ...     model, loss_fn=fx.learning.models.mean_squared_error,
    ...     client_optimizer_fn=fx.learning.optimizers.build_sgdm(0.1),
    ...     reconstruction_optimizer_fn=fx.learning.optimizers.build_sgdm(0.1))
    >>> print(work.next.type_signature.result.result)  # No local weight.
    {<update=<float32[2]>,update_weight=float32>}@CLIENTS
  """
  setup = _Setup(model_fn, loss_fn, metrics_fn, reconstruction_optimizer_fn,
                 dataset_split_fn, client_spec)
  optimizer = opt_hparams.as_optimizer(client_optimizer_fn,
                                       'client_optimizer_fn')
  weighting = weighting_lib.check(client_weighting)
  state_t = types.StructType([('round_num', types.TensorType(np.int32))],
                             collections.OrderedDict)

  @jax_computation.jax_computation(state_t, setup.weights_t, setup.data_t)
  def client_update(state, weights, data):
    import jax
    import jax.numpy as jnp
    local, post_data, key = setup.reconstruct(weights, data,
                                              state['round_num'])
    start = stages.global_view_weights(weights, local)
    result = local_training.train(setup.post_view, optimizer, start,
                                  post_data, setup.post_spec, key)
    update = jax.tree.map(jnp.subtract, start.trainable,
                          result.weights.trainable)
    update, non_finite = local_training.zero_if_non_finite(update)
    metrics = metrics_lib.unfinalized_metrics(setup.post_view, result)
    weight = weighting_lib.weight_of(weighting, metrics)
    return collections.OrderedDict(
        result=client_works.ClientResult(
            update, jnp.where(non_finite > 0, 0.0, weight)),
        metrics=metrics, non_finite=non_finite)

  metrics_t = client_update.type_signature.result.metrics
  aggregate_metrics = parts.metrics_aggregation(
      setup.post_view, metrics_aggregator, metrics_t)
  next_round = jax_computation.jax_computation(
      lambda s: collections.OrderedDict(round_num=s['round_num'] + 1),
      state_t)

  @federated_computation.federated_computation()
  def init_fn():
    return intrinsics.federated_value(
        collections.OrderedDict(round_num=np.int32(0)), placements.SERVER)

  @federated_computation.federated_computation(
      init_fn.type_signature.result, types.type_at_clients(setup.weights_t),
      types.type_at_clients(setup.data_t))
  def next_fn(state, weights, client_data):
    outputs = intrinsics.federated_map(
        client_update, [intrinsics.federated_broadcast(state), weights,
                        client_data])
    measurements = intrinsics.federated_zip(collections.OrderedDict(
        train=aggregate_metrics(outputs.metrics),
        non_finite_updates=aggregation_intrinsics.federated_sum(
            outputs.non_finite)))
    return measured_process.MeasuredProcessOutput(
        state=intrinsics.federated_map(next_round, state),
        result=outputs.result, measurements=measurements)

  return client_works.ClientWorkProcess(init_fn, next_fn)


def build_fed_recon_eval_client_work(model_fn, *, loss_fn, metrics_fn=None,
                                     reconstruction_optimizer_fn,
                                     dataset_split_fn=None,
                                     metrics_aggregator=None,
                                     client_spec=None):
  """Clients reconstruct local weights, then evaluate; nothing is sent back.

  As `build_fed_recon_client_work` up to reconstruction; then each client
  evaluates the global and reconstructed local weights (`training=False`)
  on its post-reconstruction data, one pass in batches of
  `client_spec.batch_size`. Measurements are TFF's `<eval=<
  current_round_metrics, total_rounds_metrics>>` (the state sums the
  unfinalized metrics of every round, as `build_fed_eval_client_work`).

  Example:
    >>> import numpy as np, federax as fx
    >>> model = fx.learning.models.ReconstructionModel(
    ...     global_trainable_variables=(np.zeros(2, np.float32),),
    ...     local_trainable_variables=(np.zeros((), np.float32),),
    ...     predict_on_batch_fn=lambda g, l, x, training=True: (
    ...         x @ g.trainable[0] + l.trainable[0]),
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> work = fx.learning.templates.build_fed_recon_eval_client_work(
    ...     model, loss_fn=fx.learning.models.mean_squared_error,
    ...     reconstruction_optimizer_fn=fx.learning.optimizers.build_sgdm(0.5))
    >>> print(work.next.type_signature.result.result)
    <update=<>,update_weight=<>>@CLIENTS
  """
  setup = _Setup(model_fn, loss_fn, metrics_fn, reconstruction_optimizer_fn,
                 dataset_split_fn, client_spec)

  @jax_computation.jax_computation(setup.weights_t, setup.data_t)
  def client_eval(weights, data):
    local, post_data, _ = setup.reconstruct(weights, data, 0)
    result = local_training.evaluate(
        setup.post_view, stages.global_view_weights(weights, local),
        post_data, setup.spec.batch_size)
    return metrics_lib.unfinalized_metrics(setup.post_view, result)

  return fed_eval_client_work.evaluation_work(
      setup.post_view, client_eval, metrics_aggregator, setup.weights_t,
      setup.data_t)
