"""A Keras model and the same FunctionalModel train to the same weights."""

import os

os.environ.setdefault('KERAS_BACKEND', 'jax')

import jax  # pylint: disable=g-import-not-at-top
import numpy as np
import pytest

import federax as fx
from tests.learning.algorithms import fedavg_testing as t

keras = pytest.importorskip('keras')


def keras_model():
  keras.utils.set_random_seed(0)
  net = keras.Sequential([keras.Input((t.DIM,)),
                          keras.layers.Dense(t.CLASSES)])
  return fx.learning.models.from_keras_model(
      net, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
      input_spec=((np.float32, [None, t.DIM]), (np.int32, [None])),
      metrics=[keras.metrics.SparseCategoricalAccuracy()])


def functional_model(kernel, bias):
  return fx.learning.models.FunctionalModel(
      initial_weights=((kernel, bias), ()), predict_on_batch_fn=t.predict,
      loss_fn=fx.learning.models.sparse_categorical_crossentropy,
      input_spec=((np.float32, [None, t.DIM]), (np.int32, [None])))


def test_keras_and_functional_models_give_the_same_weights_after_rounds():
  from_keras = keras_model()
  kernel, bias = (np.asarray(v) for v in from_keras.trainable_variables)
  spec = fx.learning.ClientSpec(batch_size=4, num_epochs=2)
  processes = [fx.learning.algorithms.build_weighted_fed_avg(
      model, fx.learning.optimizers.build_sgdm(0.2, momentum=0.5),
      client_spec=spec) for model in (from_keras,
                                      functional_model(kernel, bias))]
  data = t.clients([7, 10, 3])
  results = []
  for process in processes:
    state = process.initialize()
    for _ in range(2):
      state, metrics = process.next(state, data)
    results.append((process.get_model_weights(state), metrics))
  (keras_weights, keras_metrics), (weights, metrics) = results
  for a, b in zip(jax.tree.leaves(keras_weights.trainable),
                  jax.tree.leaves(weights.trainable)):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
  keras_train = keras_metrics['client_work']['train']
  train = metrics['client_work']['train']
  np.testing.assert_allclose(keras_train['loss'], train['loss'], rtol=1e-5)
  assert int(keras_train['num_examples']) == int(train['num_examples']) == 40
  assert 0.0 <= float(keras_train['sparse_categorical_accuracy']) <= 1.0
