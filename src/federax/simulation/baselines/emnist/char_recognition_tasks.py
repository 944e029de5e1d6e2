"""EMNIST character recognition (TFF's `baselines.emnist` task)."""

from __future__ import annotations

import enum

import numpy as np

from federax.simulation.baselines import task_builder
from federax.simulation.baselines.emnist import emnist_models


class CharacterRecognitionModel(enum.Enum):
  """The models of the task: `model_id` names one."""
  CNN_DROPOUT = 'cnn_dropout'
  CNN = 'cnn'
  TWO_LAYER_DNN = '2nn'


def _to_example(element):
  return (element['pixels'][..., None], element['label'])


def create_preprocess_fn():
  """`Dataset -> Dataset`: `{'label', 'pixels'}` to `(pixels[28, 28, 1],
  label)`, as TFF's character recognition preprocessing (unbatched).

  Example:
    >>> from federax.simulation.baselines import synthetic
    >>> data = synthetic.emnist().preprocess(create_preprocess_fn())
    >>> print(data.element_type_structure)
    <float32[28,28,1],int32>
  """
  return lambda dataset: dataset.map(_to_example)


def _module_fn(model_id, only_digits, seed):
  try:
    model_enum = CharacterRecognitionModel(model_id)
  except ValueError:
    raise ValueError(
        f'create_character_recognition_task: model_id: expected one of '
        f'{[e.value for e in CharacterRecognitionModel]}, got '
        f'{model_id!r}.') from None
  if model_enum is CharacterRecognitionModel.CNN_DROPOUT:
    return lambda: emnist_models.create_conv_dropout_model(only_digits, seed)
  if model_enum is CharacterRecognitionModel.CNN:
    return lambda: emnist_models.create_original_fedavg_cnn_model(
        only_digits, seed)
  return lambda: emnist_models.create_two_hidden_layer_model(
      only_digits, seed=seed)


def create_character_recognition_task_from_datasets(
    train_client_spec, eval_client_spec, model_id, only_digits: bool,
    train_data, test_data, seed: int = 0):
  """The EMNIST task on given `ClientData` (in the loader's format).

  Example:
    >>> from federax.simulation import baselines
    >>> from federax.simulation.baselines import synthetic
    >>> data = synthetic.emnist(only_digits=True)
    >>> task = create_character_recognition_task_from_datasets(
    ...     baselines.ClientSpec(1, 8), None, '2nn', True, data, data)
    >>> print(task.datasets.element_type_structure)
    <float32[28,28,1],int32>
  """
  from federax.learning.models import losses
  from federax.learning.models import metrics
  module_fn = _module_fn(model_id, only_digits, seed)
  return task_builder.build_task(
      name='create_character_recognition_task', train_data=train_data,
      test_data=test_data, example_fn=create_preprocess_fn(),
      train_client_spec=train_client_spec, eval_client_spec=eval_client_spec,
      eval_batch_size=64, module_fn=module_fn,
      loss_fn=losses.sparse_categorical_crossentropy,
      input_spec=((np.float32, [None, 28, 28, 1]), (np.int32, [None])),
      metrics_fns=metrics.build_mean_metrics_fns(
          sparse_categorical_accuracy=metrics.sparse_categorical_accuracy),
      seed=seed)


def create_character_recognition_task(
    train_client_spec, eval_client_spec=None, model_id='cnn_dropout',
    only_digits: bool = False, cache_dir: str | None = None,
    use_synthetic_data: bool = False, seed: int = 0):
  """TFF's `create_character_recognition_task`: classify EMNIST characters.

  The loss is the sparse categorical cross-entropy over 10 digits
  (`only_digits=True`) or 62 characters. `model_id`: `'cnn_dropout'` (two
  3x3 convolutions, max pooling, dropout, dense 128; TFF's default),
  `'cnn'` (McMahan et al.'s CNN, no dropout) or `'2nn'` (two dense layers
  of 200). Train on Federated EMNIST's train split, test on its test split
  (downloaded once into `cache_dir`); `use_synthetic_data=True` uses three
  small clients of random pixels for both instead. Examples are
  `(pixels float32[28, 28, 1], label int32)`; `task.client_spec` and
  `task.eval_client_spec` (batch 64 unless given) batch them. `seed`
  (federax) seeds the initial weights and the clients' shuffling.

  Example:
    >>> import federax as fx
    >>> task = fx.simulation.baselines.emnist.create_character_recognition_task(
    ...     fx.simulation.baselines.ClientSpec(num_epochs=1, batch_size=10),
    ...     model_id='2nn', only_digits=True, use_synthetic_data=True)
    >>> print(fx.learning.models.batch_type(task.model_fn()))
    <float32[?,28,28,1],int32[?]>
  """
  if use_synthetic_data:
    from federax.simulation.baselines import synthetic
    train_data = test_data = synthetic.emnist(only_digits)
  else:
    from federax.simulation.datasets import emnist
    train_data, test_data = emnist.load_data(only_digits=only_digits,
                                             cache_dir=cache_dir)
  return create_character_recognition_task_from_datasets(
      train_client_spec, eval_client_spec, model_id, only_digits, train_data,
      test_data, seed)
