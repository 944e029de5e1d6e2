"""BaselineTask, BaselineTaskDatasets and ClientSpec: TFF's semantics."""

import numpy as np
import pytest

import federax as fx
from federax.simulation import baselines

datasets = fx.simulation.datasets


def _client_data(n=(3, 2)):
  return datasets.ClientData.from_arrays({
      f'c{i}': {'v': np.full((k, 2), i, np.float32),
                'k': np.arange(k, dtype=np.int32)} for i, k in enumerate(n)})


def _to_example(ds):
  return ds.map(lambda e: {'x': e['v'], 'y': e['k'].astype(np.float32)})


def _model():
  return fx.learning.models.FunctionalModel(
      initial_weights=((np.zeros(2, np.float32),), ()),
      predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
      loss_fn=fx.learning.models.mean_squared_error,
      input_spec={'x': (np.float32, [None, 2]), 'y': (np.float32, [None])})


def test_client_spec_becomes_a_learning_client_spec():
  spec = baselines.ClientSpec(num_epochs=3, batch_size=8, max_elements=20)
  learning = spec.to_learning_client_spec(seed=5)
  assert (learning.num_epochs, learning.batch_size, learning.max_elements,
          learning.shuffle, learning.seed) == (3, 8, 3, True, 5)
  assert not baselines.ClientSpec(1, 4, shuffle_buffer_size=1
                                  ).to_learning_client_spec().shuffle
  assert baselines.ClientSpec(1, 4, shuffle_buffer_size=7
                              ).to_learning_client_spec().shuffle


@pytest.mark.parametrize('kwargs, name', [
    (dict(num_epochs=0, batch_size=1), 'num_epochs'),
    (dict(num_epochs=1, batch_size=-2), 'batch_size'),
    (dict(num_epochs=1, batch_size=2, max_elements=0), 'max_elements'),
    (dict(num_epochs=1, batch_size=2, shuffle_buffer_size=1.5),
     'shuffle_buffer_size'),
])
def test_client_spec_rejects_bad_values(kwargs, name):
  with pytest.raises(ValueError, match=name):
    baselines.ClientSpec(**kwargs)


def test_datasets_types_sampling_and_centralized_test_data():
  train = _client_data()
  task_datasets = baselines.BaselineTaskDatasets(
      train_data=train, test_data=_client_data((1, 4)),
      train_preprocess_fn=_to_example, eval_preprocess_fn=_to_example,
      train_client_spec=baselines.ClientSpec(2, 5))
  assert str(task_datasets.element_type_structure) == '<x=float32[2],y=float32>'
  assert task_datasets.train_client_spec.num_epochs == 2
  assert task_datasets.eval_client_spec.batch_size == 64   # TFF's default
  # TFF's sample for a seed: np.random.RandomState(seed).choice(ids, n).
  want = np.random.RandomState(3).choice(train.client_ids, 2, replace=True)
  got = task_datasets.sample_train_clients(2, replace=True, random_seed=3)
  assert [len(d) for d in got] == [
      train.num_examples_for_client(c) for c in want]
  assert set(next(iter(got[0]))) == {'x', 'y'}
  test = task_datasets.get_centralized_test_data()
  assert sum(1 for _ in test) == 5 and set(next(iter(test))) == {'x', 'y'}
  assert task_datasets.get_centralized_validation_data() is None
  with pytest.raises(ValueError, match='num_clients'):
    task_datasets.sample_train_clients(3)


def test_datasets_summary_and_errors():
  lines = []
  baselines.BaselineTaskDatasets(
      _client_data(), datasets.Dataset.from_tensor_slices(np.arange(3)),
      validation_data=datasets.Dataset.from_tensor_slices(np.arange(2)),
      train_preprocess_fn=_to_example).summary(print_fn=lines.append)
  assert [v.strip() for v in lines[2].split('|')] == [
      'Train', 'Federated', '2', '']
  assert len(set(map(len, lines[:6]))) == 1  # a table of aligned columns
  assert lines[3].startswith('Test       |Centralized  |N/A')
  assert lines[4].startswith('Validation |Centralized')
  assert lines[-2:] == ['Train Preprocess Function: True',
                        'Eval Preprocess Function: False']
  with pytest.raises(ValueError, match='validation_data'):
    baselines.BaselineTaskDatasets(
        _client_data(), _client_data(),
        validation_data=datasets.Dataset.from_tensor_slices(np.arange(2)))
  with pytest.raises(TypeError, match='train_data'):
    baselines.BaselineTaskDatasets([1, 2], _client_data())
  with pytest.raises(TypeError, match='train_preprocess_fn'):
    baselines.BaselineTaskDatasets(_client_data(), _client_data(),
                                   train_preprocess_fn=3)
  with pytest.raises(TypeError, match='train_client_spec'):
    baselines.BaselineTaskDatasets(_client_data(), _client_data(),
                                   train_client_spec=(1, 2))


def test_task_checks_model_against_data():
  task_datasets = baselines.BaselineTaskDatasets(
      _client_data(), _client_data(), train_preprocess_fn=_to_example,
      train_client_spec=fx.learning.ClientSpec(batch_size=2, seed=4))
  task = baselines.BaselineTask(task_datasets, _model)
  assert task.client_spec == fx.learning.ClientSpec(batch_size=2, seed=4)
  assert task.datasets is task_datasets
  unconverted = baselines.BaselineTaskDatasets(_client_data(), _client_data())
  with pytest.raises(ValueError, match=r'<k=int32,v=float32\[2\]>.*'
                     r'<x=float32\[2\],y=float32>'):
    baselines.BaselineTask(unconverted, _model)
  with pytest.raises(TypeError, match='model_fn'):
    baselines.BaselineTask(task_datasets, lambda: 'not a model')
  with pytest.raises(TypeError, match='datasets'):
    baselines.BaselineTask(_client_data(), _model)


def test_a_task_trains_with_its_client_spec():
  task = baselines.BaselineTask(
      baselines.BaselineTaskDatasets(
          _client_data(), _client_data(), train_preprocess_fn=_to_example,
          train_client_spec=baselines.ClientSpec(2, 2)), _model)
  process = fx.learning.algorithms.build_weighted_fed_avg(
      task.model_fn, fx.learning.optimizers.build_sgdm(0.1),
      client_spec=task.client_spec)
  state, metrics = process.next(
      process.initialize(), task.datasets.sample_train_clients(2,
                                                               random_seed=0))
  assert int(metrics['client_work']['train']['num_examples']) == 10  # 2 epochs
