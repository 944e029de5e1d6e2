"""`build_gan_training_process`: federated GANs (the DP-FedAvg-GAN pattern).

Augenstein et al. (2020), "Generative Models for Effective ML on Private,
Decentralized Datasets": the discriminator, which sees the private data,
is trained on the clients and averaged (with differential privacy when the
aggregator adds it); the generator never touches private data and is
trained on the server against the averaged discriminator.
"""

from __future__ import annotations

import collections
import functools

import numpy as np

from federax.aggregators import factory as factory_lib
from federax.aggregators import mean as mean_lib
from federax.core import aggregation_intrinsics
from federax.core import federated_computation
from federax.core import intrinsics
from federax.core import jax_computation
from federax.core import placements
from federax.core import types
from federax.learning import client_spec as client_spec_lib
from federax.learning.gans import client_training
from federax.learning.gans import gan_spec as gan_spec_lib
from federax.learning.gans import losses
from federax.learning.gans import server_training
from federax.learning.optimizers import hparams as opt_hparams
from federax.templates import iterative_process

WHO = 'build_gan_training_process'


def _positive_int(value, name):
  if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or (
      value < 1):
    raise ValueError(f'{WHO}: {name}: expected an int >= 1, got {value!r}.')
  return int(value)


def _aggregator(factory, delta_type):
  if factory is None:
    factory = mean_lib.MeanFactory()
  if isinstance(factory, factory_lib.WeightedAggregationFactory):
    return factory.create(delta_type, types.TensorType(np.float32))
  if isinstance(factory, factory_lib.UnweightedAggregationFactory):
    return factory.create(delta_type)
  raise TypeError(f'{WHO}: discriminator_aggregator: expected an aggregation '
                  f'factory from fx.aggregators (e.g. fx.aggregators.'
                  f'MeanFactory(), or DifferentiallyPrivateFactory.'
                  f'gaussian_fixed(...) for DP), got '
                  f'{type(factory).__name__}.')


def build_gan_training_process(
    gan_spec, *, client_discriminator_optimizer=None,
    server_discriminator_optimizer=None, generator_optimizer=None,
    discriminator_aggregator=None, loss=None, client_spec=None,
    generator_steps: int = 1, generator_batch_size: int = 32,
    seed: int | None = None) -> iterative_process.IterativeProcess:
  """An `IterativeProcess` that trains a GAN on the clients' examples.

  `next(state, client_data)` with `client_data` a `{data_type*}@CLIENTS`
  (a list with one `float32[n_i, *data_shape]` array per client) runs one
  round:

  1. the server broadcasts both networks;
  2. each client trains the discriminator on its real examples against
     generated ones (`client_discriminator_optimizer`, `optax.sgd(0.02)`
     by default, fresh each round; `client_spec` sets epochs and batch
     size) and sends the change of its weights, weighted by its number of
     examples;
  3. `discriminator_aggregator` averages the changes: a weighted
     `fx.aggregators.MeanFactory()` by default; an unweighted factory
     counts every client once, e.g. `fx.aggregators.
     DifferentiallyPrivateFactory.gaussian_fixed(noise_multiplier,
     clients_per_round, clip)` for DP-FedAvg-GAN (the generator only sees
     the private discriminator, so it is private too);
  4. the server applies the average with `server_discriminator_optimizer`
     (SGD with learning rate 1 by default: the new discriminator is the
     mean of the clients'), then takes `generator_steps` steps of
     `generator_optimizer` (`optax.adam(1e-3, b1=0.5)` by default) on
     batches of `generator_batch_size` noise vectors against it.

  The state is a `GanState` (both networks, the server optimizers' states,
  the aggregator's state, the round number); the metrics are
  `discriminator_loss` (the clients' mean), `generator_loss`,
  `num_discriminator_train_examples`, `non_finite_updates` and the
  aggregator's measurements under `aggregator`. `loss` is a `GanLoss`
  (`fx.learning.gans.nonsaturating()` by default, or `wasserstein()`).
  `seed` (default `client_spec.seed`) seeds the shuffling and all the
  noise: a round is a pure function of its inputs.

  Example:
    >>> import numpy as np, federax as fx
    >>> from federax.learning import gans
    >>> spec = gans.GanSpec(lambda w, z: z * w, lambda w, x: x @ w,
    ...                     np.ones((), np.float32), np.zeros(2, np.float32),
    ...                     noise_shape=(2,), data_shape=(2,))
    >>> process = gans.build_gan_training_process(spec)
    >>> state = process.initialize()
    >>> state, metrics = process.next(state, [np.ones((5, 2), np.float32),
    ...                                       np.ones((3, 2), np.float32)])
    >>> int(state.round_num), int(metrics['num_discriminator_train_examples'])
    (1, 8)
  """
  import optax
  if not isinstance(gan_spec, gan_spec_lib.GanSpec):
    raise TypeError(f'{WHO}: gan_spec: expected an fx.learning.gans.GanSpec, '
                    f'got {type(gan_spec).__name__}.')
  spec = gan_spec
  client_opt = opt_hparams.as_optimizer(
      client_discriminator_optimizer or optax.sgd(0.02),
      'client_discriminator_optimizer')
  server_opt = opt_hparams.as_optimizer(
      server_discriminator_optimizer or optax.sgd(1.0),
      'server_discriminator_optimizer')
  gen_opt = opt_hparams.as_optimizer(
      generator_optimizer or optax.adam(1e-3, b1=0.5), 'generator_optimizer')
  loss = losses.nonsaturating() if loss is None else loss
  if not isinstance(loss, losses.GanLoss):
    raise TypeError(f'{WHO}: loss: expected an fx.learning.gans.GanLoss '
                    f'(e.g. fx.learning.gans.nonsaturating()), got '
                    f'{type(loss).__name__}.')
  client_spec = client_spec_lib.check(client_spec)
  steps = _positive_int(generator_steps, 'generator_steps')
  batch_size = _positive_int(generator_batch_size, 'generator_batch_size')
  seed = client_spec.seed if seed is None else seed
  if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
    raise TypeError(f'{WHO}: seed: expected an int, got '
                    f'{type(seed).__name__}.')
  seed = int(seed)

  data_t = types.SequenceType(spec.data_type)
  from_server_t = _from_server_type(spec)
  client_update = jax_computation.jax_computation(
      functools.partial(_client_update, spec, loss, client_opt, client_spec,
                        seed), from_server_t, data_t)
  delta_t = spec.discriminator_weights_type
  aggregator = _aggregator(discriminator_aggregator, delta_t)

  initial = jax_computation.jax_computation(
      lambda: server_training.initial_state(spec, gen_opt, server_opt))

  @federated_computation.federated_computation()
  def init_fn():
    state = intrinsics.federated_eval(initial, placements.SERVER)
    return intrinsics.federated_map(
        jax_computation.jax_computation(
            lambda s, a: s._replace(aggregator=a),
            initial.type_signature.result,
            aggregator.state_type.member), [state, aggregator.initialize()])

  state_t = init_fn.type_signature.result.member
  to_clients = jax_computation.jax_computation(
      lambda s: client_training.FromServer(
          s.generator_weights, s.discriminator_weights, s.round_num),
      state_t)
  server_update = jax_computation.jax_computation(
      functools.partial(server_training.server_update, spec, loss, gen_opt,
                        server_opt, seed, steps, batch_size),
      state_t, delta_t, aggregator.state_type.member)

  mean_loss = jax_computation.jax_computation(
      _mean_loss, types.TensorType(np.float32), types.TensorType(np.int32))

  @federated_computation.federated_computation(
      init_fn.type_signature.result, types.type_at_clients(data_t))
  def next_fn(state, client_data):
    from_server = intrinsics.federated_broadcast(
        intrinsics.federated_map(to_clients, state))
    outputs = intrinsics.federated_map(client_update,
                                       [from_server, client_data])
    if aggregator.is_weighted:
      aggregated = aggregator.next(state.aggregator,
                                   outputs.discriminator_weights_delta,
                                   outputs.update_weight)
    else:
      aggregated = aggregator.next(state.aggregator,
                                   outputs.discriminator_weights_delta)
    new_state, generator_loss = intrinsics.federated_map(
        server_update, [state, aggregated.result, aggregated.state])
    totals = aggregation_intrinsics.federated_sum(
        intrinsics.federated_zip([outputs.loss_sum, outputs.num_examples]))
    metrics = intrinsics.federated_zip(collections.OrderedDict(
        discriminator_loss=intrinsics.federated_map(mean_loss, totals),
        generator_loss=generator_loss,
        num_discriminator_train_examples=totals[1],
        non_finite_updates=aggregation_intrinsics.federated_sum(
            outputs.non_finite),
        aggregator=aggregated.measurements))
    return new_state, metrics

  return iterative_process.IterativeProcess(init_fn, next_fn)


def _from_server_type(spec):
  return types.StructType(
      [('generator_weights', spec.generator_weights_type),
       ('discriminator_weights', spec.discriminator_weights_type),
       ('round_num', types.TensorType(np.int32))],
      client_training.FromServer)


def _client_update(spec, loss, optimizer, client_spec, seed, from_server,
                   data):
  return client_training.train_discriminator(
      spec, loss, optimizer, from_server, data, client_spec, seed)


def _mean_loss(loss_sum, n):
  """The mean discriminator loss over the examples of all clients."""
  import jax.numpy as jnp
  return loss_sum / jnp.maximum(n, 1).astype(jnp.float32)
