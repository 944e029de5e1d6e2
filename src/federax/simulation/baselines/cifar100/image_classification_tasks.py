"""CIFAR-100 image classification (TFF's `baselines.cifar100` task)."""

from __future__ import annotations

import enum

import numpy as np

from federax.simulation.baselines import task_builder
from federax.simulation.baselines.cifar100 import resnet_models

CIFAR_SHAPE = (32, 32, 3)
DEFAULT_CROP_HEIGHT = 24
DEFAULT_CROP_WIDTH = 24
NUM_CLASSES = 100


class ResnetModel(enum.Enum):
  """The models of the task: `model_id` names one."""
  RESNET18 = 'resnet18'
  RESNET34 = 'resnet34'
  RESNET50 = 'resnet50'
  RESNET101 = 'resnet101'
  RESNET152 = 'resnet152'


def build_image_map(crop_shape):
  """`example -> (image, label)`: TFF's image map without distortion.

  The image becomes float32, is cropped centrally to `crop_shape`
  (`tf.image.resize_with_crop_or_pad`) and standardized
  (`tf.image.per_image_standardization`: zero mean, unit variance, the
  deviation at least `1/sqrt(number of values)`); the label is int32.

  Example:
    >>> image_map = build_image_map((24, 24, 3))
    >>> image, label = image_map({'image': np.arange(3072, dtype=np.uint8).reshape(32, 32, 3),
    ...                           'label': np.int64(7)})
    >>> image.shape, image.dtype, label
    ((24, 24, 3), dtype('float32'), np.int32(7))
    >>> round(float(image.mean()), 5), round(float(image.std()), 3)
    (0.0, 1.0)
  """
  height, width = crop_shape[0], crop_shape[1]

  def image_map(example):
    image = np.asarray(example['image'], np.float32)
    top = (image.shape[0] - height) // 2
    left = (image.shape[1] - width) // 2
    image = image[top:top + height, left:left + width]
    floor = 1.0 / np.sqrt(image.size)
    image = (image - image.mean()) / max(float(image.std()), floor)
    return image.astype(np.float32), np.int32(example['label'])

  return image_map


def create_preprocess_fn(crop_shape=CIFAR_SHAPE):
  """`Dataset -> Dataset` of `(image float32[h, w, 3], label int32)`.

  Example:
    >>> from federax.simulation.baselines import synthetic
    >>> data = synthetic.cifar100().preprocess(create_preprocess_fn((24, 24, 3)))
    >>> print(data.element_type_structure)
    <float32[24,24,3],int32>
  """
  crop_shape = tuple(crop_shape)
  if len(crop_shape) != 3:
    raise ValueError(f'create_preprocess_fn: crop_shape: expected (height, '
                     f'width, channels), got {crop_shape!r}.')
  image_map = build_image_map(crop_shape)
  return lambda dataset: dataset.map(image_map)


def _module_fn(model_id, crop_shape, seed):
  try:
    model_enum = ResnetModel(getattr(model_id, 'value', model_id))
  except ValueError:
    raise ValueError(
        f'create_image_classification_task: model_id: expected one of '
        f'{[e.value for e in ResnetModel]}, got {model_id!r}.') from None
  create = getattr(resnet_models, f'create_{model_enum.value}')
  return lambda: create(crop_shape, NUM_CLASSES, seed=seed)


def create_image_classification_task_with_datasets(
    train_client_spec, eval_client_spec, model_id, crop_height: int,
    crop_width: int, train_data, test_data, seed: int = 0):
  """The CIFAR-100 task on given `ClientData` (in the loader's format).

  Example:
    >>> from federax.simulation import baselines
    >>> from federax.simulation.baselines import synthetic
    >>> data = synthetic.cifar100()
    >>> task = create_image_classification_task_with_datasets(
    ...     baselines.ClientSpec(1, 4), None, 'resnet18', 16, 16, data, data)
    >>> print(task.datasets.element_type_structure)
    <float32[16,16,3],int32>
  """
  from federax.learning.models import losses
  from federax.learning.models import metrics
  for name, value in (('crop_height', crop_height),
                      ('crop_width', crop_width)):
    if not isinstance(value, int) or not 1 <= value <= 32:
      raise ValueError(
          f'create_image_classification_task: {name}: expected an int in '
          f'[1, 32] (CIFAR images are 32x32), got {value!r}.')
  crop_shape = (crop_height, crop_width, 3)
  return task_builder.build_task(
      name='create_image_classification_task', train_data=train_data,
      test_data=test_data, example_fn=create_preprocess_fn(crop_shape),
      train_client_spec=train_client_spec, eval_client_spec=eval_client_spec,
      eval_batch_size=64, module_fn=_module_fn(model_id, crop_shape, seed),
      loss_fn=losses.sparse_categorical_crossentropy,
      input_spec=((np.float32, [None, *crop_shape]), (np.int32, [None])),
      metrics_fns=metrics.build_mean_metrics_fns(
          sparse_categorical_accuracy=metrics.sparse_categorical_accuracy),
      seed=seed)


def create_image_classification_task(
    train_client_spec, eval_client_spec=None, model_id='resnet18',
    crop_height: int = DEFAULT_CROP_HEIGHT,
    crop_width: int = DEFAULT_CROP_WIDTH, cache_dir: str | None = None,
    use_synthetic_data: bool = False, seed: int = 0):
  """TFF's `create_image_classification_task`: classify CIFAR-100 images.

  The loss is the sparse categorical cross-entropy over the 100 fine
  labels. Images are cropped centrally to `crop_height` x `crop_width`
  and standardized (`create_preprocess_fn`); the model is a ResNet v2
  with group normalization (`model_id` 'resnet18' ... 'resnet152', see
  `resnet_models`). Train on the 500 train clients, test on the 100 test
  clients (downloaded once into `cache_dir`), or with
  `use_synthetic_data=True` on three small clients of random images.
  `seed` (federax) seeds the initial weights and the clients' shuffling.

  Example:
    >>> import federax as fx
    >>> task = fx.simulation.baselines.cifar100.create_image_classification_task(
    ...     fx.simulation.baselines.ClientSpec(num_epochs=1, batch_size=4),
    ...     use_synthetic_data=True)
    >>> print(task.datasets.element_type_structure)
    <float32[24,24,3],int32>
  """
  if use_synthetic_data:
    from federax.simulation.baselines import synthetic
    train_data = test_data = synthetic.cifar100()
  else:
    from federax.simulation.datasets import cifar100
    train_data, test_data = cifar100.load_data(cache_dir=cache_dir)
  return create_image_classification_task_with_datasets(
      train_client_spec, eval_client_spec, model_id, crop_height, crop_width,
      train_data, test_data, seed)
