"""Models for federated learning (TFF's `tff.learning.models`).

A federax `Model` is pure functions over pytrees (weights, metric state,
batches), so learning algorithms run it under `jax.jit`, `jax.vmap` (one
model per client) and `jax.grad`. Make one with `FunctionalModel` (plain
JAX functions), `from_keras_model` (Keras 3, JAX backend) or
`from_flax_module` (flax NNX). `losses` and `metrics` hold loss and metric
building blocks that ignore padding (the common ones are also here:
`mean_squared_error`, `sparse_categorical_crossentropy`, `weighted_mean`,
`build_mean_metrics_fns`, `sparse_categorical_accuracy`); `layers` holds a
convolution and pooling that vectorize well over clients. See
docs/learning_models.md.
"""

from federax.learning.models import layers
from federax.learning.models import losses
from federax.learning.models import metrics
from federax.learning.models.flax_model import from_flax_module
from federax.learning.models.functional import FunctionalModel
from federax.learning.models.input_spec import batch_type, example_type
from federax.learning.models.keras_model import from_keras_model
from federax.learning.models.losses import (mean_squared_error,
                                            sparse_categorical_crossentropy,
                                            weighted_mean)
from federax.learning.models.model import (BatchOutput, Model, as_model,
                                           finalize_metrics)
from federax.learning.models.metrics import (build_mean_metrics_fns,
                                             sparse_categorical_accuracy)
from federax.learning.models.model_weights import ModelWeights
from federax.learning.models.weights_io import (load_model_weights,
                                                save_model_weights)

# Reconstruction models (global and local variables).
from federax.learning.models.reconstruction_model import (  # noqa: E402
    ReconstructionBatchOutput, ReconstructionModel)
from federax.learning.models.reconstruction_split import (  # noqa: E402
    DatasetSplit, build_dataset_split_fn)
