"""CIFAR-100 baseline tasks (TFF's `tff.simulation.baselines.cifar100`).

`create_image_classification_task` with the ResNets of `resnet_models`.
See docs/simulation.md.
"""

from federax.simulation.baselines.cifar100.image_classification_tasks import (
    DEFAULT_CROP_HEIGHT, DEFAULT_CROP_WIDTH, ResnetModel, build_image_map,
    create_image_classification_task,
    create_image_classification_task_with_datasets, create_preprocess_fn)
from federax.simulation.baselines.cifar100.resnet_models import (
    NormLayer, ResidualBlock, create_resnet, create_resnet18, create_resnet34,
    create_resnet50, create_resnet101, create_resnet152)
