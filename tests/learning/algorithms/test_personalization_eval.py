"""Personalization evaluation: types, fine-tuning against plain JAX,
sampling of per-client metrics, means, TFF's builders, misuse."""

from __future__ import annotations

import collections

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import federax as fx

F32 = np.float32
algorithms = fx.learning.algorithms


def _model():
  """`y = w * x` in one dimension, squared error."""
  return fx.learning.models.FunctionalModel(
      initial_weights=((np.zeros(1, F32),), ()),
      predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
      loss_fn=fx.learning.models.mean_squared_error,
      input_spec=((F32, [None, 1]), (F32, [None])))


def _clients(slopes, n_train=(4, 6, 5), n_test=(3, 2, 4), seed=0):
  """Client k's labels are `slopes[k] * x`; ragged train and test splits."""
  rng = np.random.default_rng(seed)
  clients = []
  for k, slope in enumerate(slopes):
    splits = {}
    for split, n in (('train_data', n_train[k]), ('test_data', n_test[k])):
      x = rng.normal(size=(n, 1)).astype(F32)
      splits[split] = (x, (slope * x[:, 0]).astype(F32))
    clients.append(splits)
  return clients


def _label_mean(model, weights, data):
  """A strategy-like function: the mean label (identifies a client)."""
  del model, weights
  total = data.reduce(F32(0.0), lambda acc, e: acc + e[1])
  return {'label_mean': total / data.length.astype(F32)}


def _weights(model, value=0.0):
  return fx.learning.models.ModelWeights((np.full(1, value, F32),), ())


def test_type_signature_is_tffs():
  evaluation = algorithms.build_personalization_eval_computation(
      _model(), {'sgd': algorithms.build_finetune_eval_fn(
          fx.learning.optimizers.build_sgdm(0.1))},
      algorithms.build_evaluate_fn(), max_num_clients=3)
  params = evaluation.type_signature.parameter
  assert str(params[0]) == '<trainable=<float32[1]>,non_trainable=<>>@SERVER'
  assert str(params[1]) == ('{<train_data=<float32[1],float32>*,'
                            'test_data=<float32[1],float32>*>}@CLIENTS')
  result = evaluation.type_signature.result.member
  assert result.names() == ('baseline_metrics', 'sgd', 'num_samples', 'mean')
  assert str(result.sgd.loss) == 'float32[3]'
  assert str(result.mean.sgd.num_examples) == 'float32'


def test_finetuning_equals_sgd_by_hand():
  lr, epochs = 0.1, 3
  spec = fx.learning.ClientSpec(num_epochs=epochs, batch_size=2,
                                shuffle=False)
  evaluation = algorithms.build_personalization_eval_computation(
      _model(), {'sgd': algorithms.build_finetune_eval_fn(
          fx.learning.optimizers.build_sgdm(lr), spec, eval_batch_size=3)},
      algorithms.build_evaluate_fn(2), max_num_clients=1)
  clients = _clients([2.0])
  metrics = evaluation(_weights(_model(), 0.5), clients)

  (x, y), (tx, ty) = clients[0]['train_data'], clients[0]['test_data']
  loss = lambda w, x, y: jnp.mean((x[:, 0] * w - y) ** 2)
  w = F32(0.5)
  for _ in range(epochs):
    for start in range(0, len(y), 2):
      w = w - lr * jax.grad(loss)(w, x[start:start + 2], y[start:start + 2])
  assert int(metrics['num_samples']) == 1
  np.testing.assert_allclose(metrics['sgd']['loss'],
                             [loss(w, tx, ty)], rtol=1e-5)
  np.testing.assert_allclose(metrics['baseline_metrics']['loss'],
                             [loss(F32(0.5), tx, ty)], rtol=1e-5)
  assert metrics['sgd']['num_examples'].tolist() == [3]
  assert float(metrics['mean']['sgd']['loss']) == pytest.approx(
      float(loss(w, tx, ty)), rel=1e-5)


def test_sampled_rows_belong_to_one_client_and_means_cover_all():
  slopes = [1.0, 2.0, 3.0, 4.0, 5.0]
  clients = _clients(slopes, n_train=(3,) * 5, n_test=(2, 3, 4, 2, 3))
  evaluation = algorithms.build_personalization_eval_computation(
      _model(),
      {'train_mean': lambda model, w, train, test: _label_mean(model, w,
                                                               train),
       'test_mean': lambda model, w, train, test: _label_mean(model, w,
                                                              test)},
      _label_mean, max_num_clients=3, seed=4)
  metrics = evaluation(_weights(_model()), clients)
  assert int(metrics['num_samples']) == 3
  sampled = metrics['test_mean']['label_mean']
  np.testing.assert_array_equal(sampled,
                                metrics['baseline_metrics']['label_mean'])
  by_client = [float(np.mean(c['test_data'][1])) for c in clients]
  # Three different clients, each one of the five.
  which = [int(np.argmin(np.abs(np.array(by_client) - v))) for v in sampled]
  assert len(set(which)) == 3
  np.testing.assert_allclose(sampled, np.array(by_client)[which], rtol=1e-5)
  assert float(metrics['mean']['test_mean']['label_mean']) == pytest.approx(
      np.mean(by_client), rel=1e-5)
  with fx.backends.interpreter.interpreter_context():
    again = evaluation(_weights(_model()), clients)
  np.testing.assert_allclose(again['test_mean']['label_mean'], sampled,
                             rtol=1e-6)


def test_tff_style_builders_and_fewer_clients_than_the_sample():
  evaluation = algorithms.build_personalization_eval_computation(
      _model, collections.OrderedDict(
          same=lambda: (lambda model, w, train, test: {
              'loss': algorithms.personalization_strategies
              .evaluate_metrics(model, w, test, 4)['loss']})),
      algorithms.build_evaluate_fn(), max_num_clients=10)
  metrics = evaluation(_weights(_model(), 1.0), _clients([1.0, 3.0]))
  assert int(metrics['num_samples']) == 2
  assert metrics['same']['loss'].shape == (10,)
  np.testing.assert_allclose(metrics['same']['loss'],
                             metrics['baseline_metrics']['loss'])
  assert metrics['same']['loss'][:2].min() == 0.0  # The slope-1 client.


def test_misuse_is_explained():
  build = algorithms.build_personalization_eval_computation
  baseline = algorithms.build_evaluate_fn()
  with pytest.raises(ValueError, match="'baseline_metrics' names a part"):
    build(_model(), {'baseline_metrics': baseline}, baseline)
  with pytest.raises(TypeError, match='expected a dict of strategy name'):
    build(_model(), [baseline], baseline)
  with pytest.raises(TypeError, match='expected str strategy names'):
    build(_model(), {1: baseline}, baseline)
  with pytest.raises(TypeError, match=r"personalize_fn_dict\['a'\]"):
    build(_model(), {'a': 3}, baseline)
  with pytest.raises(TypeError, match='baseline_evaluate_fn: expected'):
    build(_model(), {}, None)
  with pytest.raises(ValueError, match='max_num_clients: expected a positive'):
    build(_model(), {}, baseline, max_num_clients=0)
  with pytest.raises(TypeError, match='max_num_clients: expected a positive'):
    build(_model(), {}, baseline, max_num_clients=2.0)
  with pytest.raises(TypeError, match="the metrics of 'scalar'"):
    build(_model(), {'scalar': lambda m, w, train, test: F32(1.0)}, baseline)
  with pytest.raises(ValueError, match='eval_batch_size: expected an int'):
    algorithms.build_evaluate_fn(0)
  with pytest.raises(TypeError, match='optimizer: expected an optax'):
    algorithms.build_finetune_eval_fn(0.1)
