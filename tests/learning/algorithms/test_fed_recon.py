"""Federated Reconstruction: local weights never leave clients (types and
a distinctive value), one round by hand, FedAvg without local weights,
learning per-client biases, evaluation, misuse."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import federax as fx
from federax.backends.interpreter import intrinsic_impls
from federax.core import transformations
from federax.core import types

F32 = np.float32
models, algorithms = fx.learning.models, fx.learning.algorithms
sgd = fx.learning.optimizers.build_sgdm
# A local variable of a shape and values found nowhere else.
SECRET = (1234.5 + 0.25 * np.arange(7)).astype(F32)


def _predict(global_weights, local_weights, x, training=True):
  del training
  (w,), (bias,) = global_weights.trainable, local_weights.trainable
  return x @ w + jnp.mean(bias)


def _model(local=None, dim=2):
  """`y = x @ w + mean(local)`: w global, the local vector per client."""
  return models.ReconstructionModel(
      global_trainable_variables=(np.zeros(dim, F32),),
      local_trainable_variables=(SECRET if local is None else local,),
      predict_on_batch_fn=_predict,
      input_spec=((F32, [None, dim]), (F32, [None])))


def _clients(biases, n=6, dim=2, seed=0, noise=0.0):
  rng = np.random.default_rng(seed)
  w = np.arange(1.0, dim + 1.0, dtype=F32)
  data = []
  for bias in biases:
    x = rng.normal(size=(n, dim)).astype(F32)
    y = x @ w + bias + noise * rng.normal(size=n)
    data.append((x, y.astype(F32)))
  return data


def _all_types(comp):
  for node in transformations.postorder(comp.building_block):
    stack = [node.type_signature]
    while stack:
      t = stack.pop()
      yield t
      stack.extend(t.children())


def test_only_global_weights_appear_in_the_process_types():
  process = algorithms.build_fed_recon(_model(),
                                       loss_fn=models.mean_squared_error)
  state_t = process.state_type.member
  assert str(state_t.global_model_weights) == ('<trainable=<float32[2]>,'
                                               'non_trainable=<>>')
  assert str(process.next.type_signature.parameter[1]) == (
      '{<float32[2],float32>*}@CLIENTS')
  secret_t = types.TensorType(F32, [7])
  for comp in (process.initialize, process.next):
    assert secret_t not in set(_all_types(comp)), comp


def test_a_distinctive_local_value_never_reaches_the_server(monkeypatch):
  """Every value entering an aggregation, and everything the round returns,
  is free of the local weights (kept by a zero reconstruction step)."""
  seen = []
  for uri in ('federated_aggregate', 'federated_mean',
              'federated_weighted_mean', 'federated_sum', 'federated_min',
              'federated_max', 'federated_secure_sum',
              'federated_secure_sum_bitwidth',
              'federated_secure_modular_sum'):
    impl = intrinsic_impls.IMPLS[uri]

    def spy(ev, sig, arg, impl=impl):
      seen.append(arg)
      return impl(ev, sig, arg)
    monkeypatch.setitem(intrinsic_impls.IMPLS, uri, spy)

  process = algorithms.build_fed_recon(
      _model(), loss_fn=models.mean_squared_error,
      reconstruction_optimizer_fn=sgd(0.0), client_optimizer_fn=sgd(1e-4))
  clients = _clients([1.0, -2.0, 3.0])
  with fx.backends.interpreter.interpreter_context():
    state, metrics = process.next(process.initialize(), clients)
  leaves = [np.asarray(leaf) for leaf in jax.tree_util.tree_leaves(
      (seen, state, metrics)) if hasattr(leaf, 'dtype') or
            isinstance(leaf, (int, float))]
  assert seen and leaves
  update_norm = np.linalg.norm(state.global_model_weights.trainable[0])
  assert update_norm > 0  # The clients' updates did reach the server.
  for leaf in leaves:
    assert leaf.shape != (7,)
    assert not np.isin(leaf.astype(np.float64), SECRET).any(), leaf


def test_one_round_equals_reconstruction_then_training_by_hand():
  recon_lr, client_lr = 0.3, 0.1
  process = algorithms.build_fed_recon(
      _model(local=np.array([0.5], F32)), loss_fn=models.mean_squared_error,
      reconstruction_optimizer_fn=sgd(recon_lr),
      client_optimizer_fn=sgd(client_lr),
      dataset_split_fn=models.build_dataset_split_fn(recon_epochs=2,
                                                     split_dataset=True),
      client_spec=fx.learning.ClientSpec(batch_size=8))
  clients = _clients([2.0, -1.0], n=5)
  state, metrics = process.next(process.initialize(), clients)

  def loss(w, b, x, y):
    return jnp.mean((x @ w + b - y) ** 2)

  deltas, counts = [], []
  for x, y in clients:
    w0, b = np.zeros(2, F32), F32(0.5)
    for _ in range(2):  # Reconstruction: even positions, two epochs.
      b = b - recon_lr * jax.grad(loss, 1)(w0, b, x[0::2], y[0::2])
    w = w0 - client_lr * jax.grad(loss, 0)(w0, b, x[1::2], y[1::2])
    deltas.append(w - w0)
    counts.append(len(y[1::2]))
  expected = np.average(deltas, axis=0, weights=counts)
  np.testing.assert_allclose(state.global_model_weights.trainable[0],
                             expected, rtol=1e-5, atol=1e-6)
  assert int(metrics['client_work']['train']['num_examples']) == 4


def test_without_local_weights_it_is_fed_avg():
  def predict(global_weights, local_weights, x, training=True):
    return x @ global_weights.trainable[0]

  model = models.ReconstructionModel(
      global_trainable_variables=(np.zeros(2, F32),),
      local_trainable_variables=(), predict_on_batch_fn=predict,
      input_spec=((F32, [None, 2]), (F32, [None])))
  assert models.ReconstructionModel.has_only_global_variables(model)
  spec = fx.learning.ClientSpec(batch_size=2, shuffle=False)
  recon = algorithms.build_fed_recon(
      model, loss_fn=models.mean_squared_error, client_optimizer_fn=sgd(0.1),
      dataset_split_fn=fx.learning.reconstruction.simple_dataset_split_fn,
      client_spec=spec)
  fedavg = algorithms.build_weighted_fed_avg(
      models.FunctionalModel(
          initial_weights=((np.zeros(2, F32),), ()),
          predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
          loss_fn=models.mean_squared_error,
          input_spec=((F32, [None, 2]), (F32, [None]))),
      sgd(0.1), client_spec=spec)
  clients = _clients([0.0, 0.0, 0.0], n=5)
  a, b = recon.initialize(), fedavg.initialize()
  for _ in range(2):
    a, _ = recon.next(a, clients)
    b, _ = fedavg.next(b, clients)
  np.testing.assert_allclose(a.global_model_weights.trainable[0],
                             b.global_model_weights.trainable[0], rtol=1e-6)


def test_reconstruction_learns_what_a_global_model_cannot():
  """Clients differ by a large bias: only local biases can fit them."""
  biases = np.linspace(-6.0, 6.0, 8)
  clients = _clients(biases, n=16, dim=3, seed=1, noise=0.1)
  bias_model = lambda: _model(local=np.zeros(1, F32), dim=3)
  split = models.build_dataset_split_fn(recon_epochs=10, post_recon_epochs=3,
                                        split_dataset=True)
  process = algorithms.build_fed_recon(
      bias_model, loss_fn=models.mean_squared_error,
      client_optimizer_fn=sgd(0.1), reconstruction_optimizer_fn=sgd(0.5),
      dataset_split_fn=split, client_spec=fx.learning.ClientSpec(batch_size=4))
  evaluation = fx.learning.reconstruction.build_federated_evaluation(
      bias_model, loss_fn=lambda: models.mean_squared_error,
      reconstruction_optimizer_fn=sgd(0.5), dataset_split_fn=split,
      client_spec=fx.learning.ClientSpec(batch_size=4))
  state = process.initialize()
  losses = []
  for _ in range(6):
    state, metrics = process.next(state, clients)
    losses.append(float(metrics['client_work']['train']['loss']))
  eval_state = evaluation.set_model_weights(
      evaluation.initialize(), process.get_model_weights(state))
  _, eval_metrics = evaluation.next(eval_state, clients)
  recon_loss = float(eval_metrics['client_work']['eval']
                     ['current_round_metrics']['loss'])
  # The best a global model can do: least squares with one shared bias.
  x = np.concatenate([np.c_[c[0], np.ones(len(c[1]))] for c in clients])
  y = np.concatenate([c[1] for c in clients])
  residual = y - x @ np.linalg.lstsq(x, y, rcond=None)[0]
  assert losses[-1] < 0.05 * losses[0], losses
  assert recon_loss < 0.02 * np.mean(residual**2), (recon_loss, losses)
  np.testing.assert_allclose(state.global_model_weights.trainable[0],
                             [1.0, 2.0, 3.0], atol=0.15)


def test_misuse_is_explained():
  loss = models.mean_squared_error
  with pytest.raises(TypeError, match='model_fn: expected an fx.learning'):
    algorithms.build_fed_recon(3, loss_fn=loss)
  with pytest.raises(TypeError, match='loss_fn: expected fn'):
    algorithms.build_fed_recon(_model(), loss_fn=None)
  with pytest.raises(TypeError, match='metrics_fn: expected None or'):
    algorithms.build_fed_recon(_model(), loss_fn=loss, metrics_fn=[1])
  with pytest.raises(TypeError, match='dataset_split_fn: expected a function'):
    algorithms.build_fed_recon(_model(), loss_fn=loss, dataset_split_fn=3)
  with pytest.raises(ValueError, match='unweighted model_aggregator_factory'):
    algorithms.build_fed_recon(
        _model(), loss_fn=loss,
        model_aggregator_factory=fx.aggregators.UnweightedMeanFactory())
  with pytest.raises(TypeError, match='client_optimizer_fn: expected an'):
    algorithms.build_fed_recon(_model(), loss_fn=loss, client_optimizer_fn=1)
  with pytest.raises(ValueError, match='recon_epochs: expected an int'):
    models.build_dataset_split_fn(recon_epochs=0)
  with pytest.raises(TypeError, match='global_trainable_variables'):
    models.ReconstructionModel(
        global_trainable_variables=object(), local_trainable_variables=(),
        predict_on_batch_fn=_predict,
        input_spec=((F32, [None, 2]), (F32, [None])))
