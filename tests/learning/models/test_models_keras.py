"""from_keras_model: equals a FunctionalModel, masks padding, updates stats."""

import os
import subprocess
import sys
import types

os.environ.setdefault('KERAS_BACKEND', 'jax')

import jax  # pylint: disable=g-import-not-at-top
from jax import numpy as jnp
import keras
import numpy as np
import pytest

from federax.learning import models
from federax.learning.models import keras_model as keras_model_lib

SPEC = ((np.float32, [None, 4]), (np.int32, [None]))


def _dense_net(regularizer=None):
  keras.utils.set_random_seed(0)
  return keras.Sequential([
      keras.Input((4,)),
      keras.layers.Dense(6, activation='relu',
                         kernel_regularizer=regularizer),
      keras.layers.Dense(3)])


def _data(n, seed=0, size=None):
  rng = np.random.default_rng(seed)
  size = size or n
  x = np.full((size, 4), 50.0, np.float32)
  x[:n] = rng.normal(size=(n, 4))
  y = np.zeros(size, np.int32)
  y[:n] = rng.integers(0, 3, size=n)
  return (x, y), (np.arange(size) < n).astype(np.float32)


def _loss_and_grad(model, weights, batch, mask=None, training=True):
  @jax.jit
  def run(trainable, batch, mask):
    def loss(t):
      out, new_nt = model.forward_pass(
          models.ModelWeights(t, weights.non_trainable), batch,
          training=training, sample_weight=mask)
      return out.loss, (out, new_nt)
    return jax.value_and_grad(loss, has_aux=True)(trainable)
  return run(weights.trainable, batch, mask)


def _functional_twin(weights):
  def predict(model_weights, x, training=True):
    k1, b1, k2, b2 = model_weights.trainable
    return jax.nn.relu(x @ k1 + b1) @ k2 + b2
  return models.FunctionalModel(
      initial_weights=weights, predict_on_batch_fn=predict,
      loss_fn=models.sparse_categorical_crossentropy, input_spec=SPEC)


def test_keras_model_equals_a_functional_model_with_the_same_weights():
  model = models.from_keras_model(
      _dense_net(), keras.losses.SparseCategoricalCrossentropy(
          from_logits=True), SPEC)
  weights = models.ModelWeights.from_model(model)
  assert [w.shape for w in weights.trainable] == [(4, 6), (6,), (6, 3), (3,)]
  twin = _functional_twin(weights)
  batch, mask = _data(5, size=8)
  (loss, (out, _)), grads = _loss_and_grad(model, weights, batch, mask)
  (t_loss, (t_out, _)), t_grads = _loss_and_grad(twin, weights, batch, mask)
  np.testing.assert_allclose(loss, t_loss, rtol=1e-5)
  for g, t in zip(grads, t_grads):
    np.testing.assert_allclose(g, t, rtol=1e-5, atol=1e-7)
  np.testing.assert_allclose(out.predictions, t_out.predictions, rtol=1e-5)
  assert int(out.num_examples) == 5


def test_padded_batch_gives_the_loss_and_gradient_of_the_unpadded_one():
  model = models.from_keras_model(
      _dense_net(), 'sparse_categorical_crossentropy', SPEC)
  weights, (padded, mask) = model.initial_weights, _data(5, size=8)
  real = (padded[0][:5], padded[1][:5])
  (loss, _), grads = _loss_and_grad(model, weights, real)
  (p_loss, _), p_grads = _loss_and_grad(model, weights, padded, mask)
  np.testing.assert_allclose(p_loss, loss, rtol=1e-6)
  for a, b in zip(p_grads, grads):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_regularization_losses_are_added():
  model = models.from_keras_model(
      _dense_net(keras.regularizers.L2(0.1)),
      keras.losses.SparseCategoricalCrossentropy(from_logits=True), SPEC)
  plain = models.from_keras_model(
      _dense_net(), keras.losses.SparseCategoricalCrossentropy(
          from_logits=True), SPEC)
  batch, _ = _data(4)
  out, _ = jax.jit(model.forward_pass)(model.initial_weights, batch)
  plain_out, _ = jax.jit(plain.forward_pass)(model.initial_weights, batch)
  penalty = 0.1 * np.sum(np.square(model.trainable_variables[0]))
  np.testing.assert_allclose(out.loss, plain_out.loss + penalty, rtol=1e-5)


def test_batch_norm_statistics_update_only_in_training():
  keras.utils.set_random_seed(0)
  net = keras.Sequential([
      keras.Input((4, 4, 1)), keras.layers.Conv2D(2, 3),
      keras.layers.BatchNormalization(), keras.layers.Flatten(),
      keras.layers.Dropout(0.5), keras.layers.Dense(3)])
  model = models.from_keras_model(
      net, keras.losses.SparseCategoricalCrossentropy(from_logits=True),
      ((np.float32, [None, 4, 4, 1]), (np.int32, [None])))
  weights = model.initial_weights
  assert [w.dtype for w in weights.non_trainable] == [
      jnp.float32, jnp.float32, jnp.uint32]  # moving mean/var, seed state.
  batch = (np.random.default_rng(0).normal(size=(6, 4, 4, 1)).astype(
      np.float32), np.zeros(6, np.int32))
  step = jax.jit(model.forward_pass, static_argnames='training')
  _, trained = step(weights, batch, training=True)
  _, evaluated = step(weights, batch, training=False)
  for before, after in zip(weights.non_trainable, trained):
    assert not np.array_equal(before, after)
  for before, after in zip(weights.non_trainable, evaluated):
    np.testing.assert_array_equal(before, after)
  # Another step from the updated statistics moves them again.
  _, again = step(models.ModelWeights(weights.trainable, trained), batch,
                  training=True)
  assert not np.array_equal(again[0], trained[0])


def _metric_model():
  return models.from_keras_model(
      _dense_net(), keras.losses.SparseCategoricalCrossentropy(
          from_logits=True), SPEC,
      metrics=[keras.metrics.SparseCategoricalAccuracy(),
               lambda: keras.metrics.SparseCategoricalCrossentropy(
                   name='ce', from_logits=True)])


def test_keras_metrics_over_masked_batches_equal_the_concatenated_data():
  model = _metric_model()
  weights = model.initial_weights
  assert set(model.local_variables) == {'sparse_categorical_accuracy', 'ce'}

  @jax.jit
  def update(local, batch, mask):
    out, _ = model.forward_pass(weights, batch, sample_weight=mask)
    return model.update_local_metrics(local, batch, out, mask)

  local = model.local_variables
  xs, ys = [], []
  for i, n in enumerate((3, 6, 1)):
    batch, mask = _data(n, seed=i, size=6)
    local = update(local, batch, mask)
    xs.append(batch[0][:n])
    ys.append(batch[1][:n])
  result = models.finalize_metrics(
      model, model.report_local_unfinalized_metrics(local))
  x, y = np.concatenate(xs), np.concatenate(ys)
  logits = jax.jit(model.predict_on_batch)(weights, x)
  accuracy = keras.metrics.SparseCategoricalAccuracy()
  accuracy.update_state(y, logits)
  np.testing.assert_allclose(result['sparse_categorical_accuracy'],
                             accuracy.result(), rtol=1e-6)
  ce = keras.metrics.SparseCategoricalCrossentropy(from_logits=True)
  ce.update_state(y, logits)
  np.testing.assert_allclose(result['ce'], ce.result(), rtol=1e-5)


def test_keras_unfinalized_metrics_of_two_halves_sum_to_the_whole():
  model = _metric_model()
  weights = model.initial_weights
  (x, y), _ = _data(10, seed=4)

  @jax.jit
  def unfinalized(batch):
    out, _ = model.forward_pass(weights, batch)
    return model.report_local_unfinalized_metrics(
        model.update_local_metrics(model.local_variables, batch, out))

  summed = jax.tree.map(jnp.add, unfinalized((x[:3], y[:3])),
                        unfinalized((x[3:], y[3:])))
  whole = unfinalized((x, y))
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5),
               summed, whole)


def test_vmap_over_clients_and_predict():
  model = models.from_keras_model(
      _dense_net(), keras.losses.SparseCategoricalCrossentropy(
          from_logits=True), SPEC)
  weights = model.initial_weights
  data = [_data(n, seed=n, size=4) for n in (1, 4, 2)]
  batches = jax.tree.map(lambda *a: np.stack(a), *[b for b, _ in data])
  masks = np.stack([m for _, m in data])
  step = jax.jit(lambda b, m: model.forward_pass(weights, b,
                                                 sample_weight=m)[0])
  outs = jax.vmap(step)(batches, masks)
  assert outs.num_examples.tolist() == [1, 4, 2]
  for i, (batch, mask) in enumerate(data):
    np.testing.assert_allclose(outs.loss[i], step(batch, mask).loss,
                               rtol=1e-6)


def test_multi_output_losses_with_weights_and_sum_reduction():
  inputs = keras.Input((4,))
  net = keras.Model(inputs, [keras.layers.Dense(3)(inputs),
                             keras.layers.Dense(1)(inputs)])
  model = models.from_keras_model(
      net, [keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            keras.losses.MeanSquaredError(reduction='sum')],
      ((np.float32, [None, 4]), ((np.int32, [None]), (np.float32, [None]))),
      loss_weights=[1.0, 0.5])
  (x, y), mask = _data(3, size=5)
  z = np.arange(5, dtype=np.float32)
  out, _ = jax.jit(model.forward_pass)(model.initial_weights, (x, (y, z)),
                                       sample_weight=mask)
  logits, value = out.predictions
  ce = models.sparse_categorical_crossentropy(logits, y, mask)
  sse = np.sum(((np.asarray(value)[:, 0] - z) ** 2)[:3])
  np.testing.assert_allclose(out.loss, ce + 0.5 * sse, rtol=1e-5)


def test_assign_weights_to_a_keras_model():
  model = models.from_keras_model(
      _dense_net(), keras.losses.SparseCategoricalCrossentropy(
          from_logits=True), SPEC)
  new = jax.tree.map(lambda w: w + 1.0, model.initial_weights)
  new.assign_weights_to(model)  # A federax Keras model: its Keras model.
  np.testing.assert_array_equal(model.keras_model.trainable_variables[1],
                                new.trainable[1])
  with pytest.raises(ValueError, match='the model has 4 trainable variables, '
                     'the weights have 1'):
    models.ModelWeights([np.ones(1)], []).assign_weights_to(model.keras_model)


def test_errors():
  loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
  with pytest.raises(TypeError, match=r'from_keras_model\(keras_model\): '
                     r'expected a keras.Model, got function'):
    models.from_keras_model(lambda x: x, loss, SPEC)
  with pytest.raises(ValueError, match='the model is not built'):
    models.from_keras_model(keras.Sequential([keras.layers.Dense(1)]), loss,
                            SPEC)
  with pytest.raises(TypeError, match=r'from_keras_model\(loss\): expected a '
                     r'Keras loss'):
    models.from_keras_model(_dense_net(), 3, SPEC)
  with pytest.raises(TypeError, match=r'metrics\[0\]\): expected a '
                     r'keras.metrics.Metric'):
    models.from_keras_model(_dense_net(), loss, SPEC, metrics=['accuracy'])
  with pytest.raises(ValueError, match="duplicate metric names \\['acc'\\]"):
    models.from_keras_model(_dense_net(), loss, SPEC, metrics=[
        keras.metrics.Accuracy(name='acc'), keras.metrics.Mean(name='acc')])
  with pytest.raises(ValueError, match='one weight per loss'):
    models.from_keras_model(_dense_net(), [loss, loss], SPEC,
                            loss_weights=[1.0])
  with pytest.raises(ValueError, match='given with a single loss'):
    models.from_keras_model(_dense_net(), loss, SPEC, loss_weights=[1.0])
  with pytest.raises(TypeError, match='leading batch dimension'):
    models.from_keras_model(_dense_net(), loss, ((np.float32, [None, 4]),
                                                 np.int32))
  scalar = models.from_keras_model(
      _dense_net(), lambda y_true, y_pred: jnp.mean(y_pred), SPEC)
  with pytest.raises(ValueError, match='the loss returned a scalar; federax '
                     'needs one loss per example'):
    scalar.forward_pass(scalar.initial_weights, _data(2)[0])


def test_missing_keras_says_how_to_install(monkeypatch):
  monkeypatch.setitem(sys.modules, 'keras', None)
  with pytest.raises(ModuleNotFoundError,
                     match=r'pip install federax\[keras\]'):
    keras_model_lib.import_keras()


def test_keras_imported_with_another_backend(monkeypatch):
  fake = types.SimpleNamespace(
      __version__='3.15.0',
      backend=types.SimpleNamespace(backend=lambda: 'torch'))
  monkeypatch.setitem(sys.modules, 'keras', fake)
  with pytest.raises(ValueError, match="imported with the 'torch' backend.*"
                     "Set KERAS_BACKEND=jax before importing keras"):
    keras_model_lib.import_keras()
  fake.__version__ = '2.15.0'
  with pytest.raises(ImportError, match='needs Keras 3, found keras 2.15.0'):
    keras_model_lib.import_keras()


def test_wrong_backend_in_a_fresh_process():
  code = ('import os; os.environ["KERAS_BACKEND"] = "torch"\n'
          'from federax.learning import models\n'
          'try:\n'
          '  models.from_keras_model(None, None, None)\n'
          'except ValueError as e:\n'
          '  print(e)\n')
  result = subprocess.run([sys.executable, '-c', code], capture_output=True,
                          text=True, check=True)
  assert "KERAS_BACKEND is 'torch'" in result.stdout
  assert 'Set KERAS_BACKEND=jax before importing keras' in result.stdout
