"""EMNIST character recognition: TFF's models, preprocessing and data."""

import lzma

import jax
import numpy as np
import pytest

import federax as fx
from federax.simulation import baselines
from federax.simulation.baselines.emnist import emnist_models
from federax.simulation.datasets import sql_utils

import baselines_testing
from simulation_http import FileServer


def _count(module):
  from flax import nnx
  return sum(np.size(p) for p in jax.tree_util.tree_leaves(
      nnx.state(module, nnx.Param)))


@pytest.mark.parametrize('create, digits, letters', [
    (emnist_models.create_conv_dropout_model, 1_199_882, 1_206_590),
    (emnist_models.create_original_fedavg_cnn_model, 1_663_370, 1_690_046),
    (emnist_models.create_two_hidden_layer_model, 199_210, 209_662),
])
def test_models_have_tffs_number_of_weights(create, digits, letters):
  assert _count(create(only_digits=True)) == digits
  assert _count(create(only_digits=False)) == letters


def test_dropout_is_on_in_training_only():
  model = fx.learning.models.from_flax_module(
      emnist_models.create_conv_dropout_model(), lambda *a, **k: 0.0,
      input_spec=((np.float32, [None, 28, 28, 1]), (np.int32, [None])))
  x = np.random.default_rng(0).uniform(size=(4, 28, 28, 1)).astype(np.float32)
  predict = jax.jit(model.predict_on_batch, static_argnums=2)
  weights = model.initial_weights
  train_a, train_b = predict(weights, x, True), predict(weights, x, True)
  np.testing.assert_array_equal(train_a, train_b)   # a key from the batch
  assert not np.allclose(train_a, predict(weights, x, False))
  assert not np.allclose(predict(weights, x[::-1], True)[::-1], train_a)


def _emnist_file(tmp_path):
  path = str(tmp_path / 'emnist.sqlite')
  rng = np.random.default_rng(0)
  for i, split in enumerate(['digits_only_train', 'digits_only_test']):
    sql_utils.save_to_sql_client_data(
        ['f0001_00', 'f0002_14', 'f0003_27'],
        lambda c: [{'label': np.int64(k % 10),
                    'pixels': rng.uniform(size=(28, 28)).astype(np.float32)}
                   for k in range(int(c[-1]) + 3)],
        path, split_name=split, append=i > 0)
  return lzma.compress(open(path, 'rb').read())


def test_task_on_published_format_trains_one_round(tmp_path, monkeypatch):
  files = {'emnist_all.sqlite.lzma': _emnist_file(tmp_path)}
  with FileServer(files) as server:
    monkeypatch.setenv('FEDERAX_DATASETS_URL', server.url)
    task = baselines.emnist.create_character_recognition_task(
        baselines.ClientSpec(num_epochs=2, batch_size=4), model_id='2nn',
        only_digits=True, cache_dir=str(tmp_path / 'cache'))
  assert [r[0] for r in server.requests] == ['emnist_all.sqlite.lzma']
  example = baselines_testing.check_spec(task)
  assert str(example) == '<float32[28,28,1],int32>'
  assert task.client_spec == fx.learning.ClientSpec(num_epochs=2,
                                                   batch_size=4)
  assert task.eval_client_spec.batch_size == 64 and (
      not task.eval_client_spec.shuffle)
  assert task.datasets.train_data.client_ids == (
      'f0001_00', 'f0002_14', 'f0003_27')
  x, y = next(iter(task.datasets.preprocessed_train_data
                   .create_dataset_for_client('f0003_27')))
  assert x.shape == (28, 28, 1) and y.dtype == np.int32
  _, _, train = baselines_testing.one_round(task)
  assert int(train['num_examples']) == 2 * (3 + 7 + 10)
  assert 0 <= float(train['sparse_categorical_accuracy']) <= 1


def test_synthetic_task_and_model_ids():
  task = baselines.emnist.create_character_recognition_task(
      baselines.ClientSpec(1, 8, max_elements=12), model_id='cnn',
      only_digits=False, use_synthetic_data=True, seed=3)
  assert task.client_spec.max_elements == 2 and task.client_spec.seed == 3
  baselines_testing.check_spec(task)
  logits = jax.eval_shape(task.model_fn().predict_on_batch,
                          task.model_fn().initial_weights,
                          np.zeros((2, 28, 28, 1), np.float32))
  assert logits.shape == (2, 62)
  with pytest.raises(ValueError, match="model_id.*'resnet'"):
    baselines.emnist.create_character_recognition_task(
        baselines.ClientSpec(1, 8), model_id='resnet',
        use_synthetic_data=True)
  with pytest.raises(TypeError, match='train_client_spec'):
    baselines.emnist.create_character_recognition_task(
        None, use_synthetic_data=True)
