"""CIFAR-100 image classification: TFF's crops, ResNets and group norm."""

import jax
import numpy as np
import pytest

import federax as fx
from federax.simulation import baselines
from federax.simulation.baselines.cifar100 import resnet_models

import baselines_testing


def test_images_are_cropped_centrally_and_standardized():
  image = np.random.default_rng(0).integers(0, 256, (32, 32, 3)).astype(
      np.uint8)
  x, y = baselines.cifar100.build_image_map((24, 20, 3))(
      {'image': image, 'label': np.int64(42), 'coarse_label': np.int64(8)})
  crop = image[4:28, 6:26].astype(np.float64)
  np.testing.assert_allclose(x, (crop - crop.mean()) / crop.std(), atol=1e-5)
  assert (x.dtype, y.dtype, int(y)) == (np.float32, np.int32, 42)
  flat, _ = baselines.cifar100.build_image_map((8, 8, 3))(
      {'image': np.full((32, 32, 3), 9, np.uint8), 'label': 1})
  np.testing.assert_array_equal(flat, 0.0)  # std floor: 1/sqrt(n), no NaN


def test_resnet18_has_group_norm_and_tffs_weights():
  from flax import nnx
  model = resnet_models.create_resnet18((24, 24, 3), 100)
  params = jax.tree_util.tree_leaves(nnx.state(model, nnx.Param))
  assert sum(p.size for p in params) == 11_227_812
  assert not jax.tree_util.tree_leaves(nnx.state(model, nnx.BatchStat))
  assert isinstance(model.initial_norm, nnx.GroupNorm)
  assert model.initial_norm.num_groups == 2
  batch_norm = resnet_models.create_resnet(
      (8, 8, 3), 10, 'bottleneck', [1], initial_filters=4,
      norm_layer='batch_norm')
  assert jax.tree_util.tree_leaves(nnx.state(batch_norm, nnx.BatchStat))
  with pytest.raises(ValueError, match='norm_layer'):
    resnet_models.create_resnet((8, 8, 3), 10, norm_layer='layer_norm')


def _tiny_resnet18(input_shape, num_classes, norm_layer='group_norm', seed=0):
  return resnet_models.create_resnet(
      input_shape, num_classes, 'basic', [1, 1], initial_filters=4,
      norm_layer=norm_layer, seed=seed)


def test_task_trains_one_round(monkeypatch):
  # ResNet-18 itself takes minutes to compile for CPUs; the task's wiring
  # is the same with a two-block ResNet of the same kind.
  monkeypatch.setattr(resnet_models, 'create_resnet18', _tiny_resnet18)
  task = baselines.cifar100.create_image_classification_task(
      baselines.ClientSpec(num_epochs=1, batch_size=2), crop_height=16,
      crop_width=16, use_synthetic_data=True)
  example = baselines_testing.check_spec(task)
  assert str(example) == '<float32[16,16,3],int32>'
  assert task.model_fn().non_trainable_variables == {}
  _, _, train = baselines_testing.one_round(task)
  assert 0 <= float(train['sparse_categorical_accuracy']) <= 1


def test_task_arguments_are_checked():
  spec = baselines.ClientSpec(1, 2)
  with pytest.raises(ValueError, match='crop_height'):
    baselines.cifar100.create_image_classification_task(
        spec, crop_height=33, use_synthetic_data=True)
  with pytest.raises(ValueError, match='model_id'):
    baselines.cifar100.create_image_classification_task(
        spec, model_id='resnet19', use_synthetic_data=True)
