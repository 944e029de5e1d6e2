"""The built-in models of `federax train`: linear, mlp and cnn classifiers.

Each is an `fx.learning.models.FunctionalModel` over plain JAX functions,
its weights a tuple of He-initialized `(kernel, bias)` layers, its input
`(x[batch, *input_shape] float32, y[batch] int32)`, its loss sparse
categorical cross-entropy and its metric accuracy.

- `linear`: multinomial logistic regression (FedProx's synthetic model);
- `mlp`: one hidden layer of 128 units (two of 200 for 28x28 images, as
  TFF's EMNIST `2nn`);
- `cnn` (images only): two 3x3 convolutions with relu and 2x2 max pooling,
  then a dense hidden layer, written with `fx.learning.models.layers`
  (convolutions as one matmul over patches, fast under `vmap` on CPU).

Example:
  >>> model = build_model('cnn', (8, 8), 10, seed=0)
  >>> [kernel.shape for kernel, _ in model.initial_weights.trainable]
  [(3, 3, 1, 16), (3, 3, 16, 32), (128, 64), (64, 10)]
"""

from __future__ import annotations

import jax
import numpy as np

from federax.learning.models import layers

MODELS = ('linear', 'mlp', 'cnn')


def _layer(rng, kernel_shape):
  """He-initialized `(kernel, bias)`; the fan-in is all but the last axis."""
  fan_in = int(np.prod(kernel_shape[:-1]))
  kernel = rng.normal(0.0, np.sqrt(2.0 / fan_in), kernel_shape)
  return kernel.astype(np.float32), np.zeros(kernel_shape[-1], np.float32)


def _dense_stack(layers, h):
  """Dense layers with relu between them (none after the last)."""
  for i, (kernel, bias) in enumerate(layers):
    h = h @ kernel + bias
    if i < len(layers) - 1:
      h = jax.nn.relu(h)
  return h


def _dense_predict(model_weights, x, training=True):
  del training
  layers, _ = model_weights
  return _dense_stack(layers, x.reshape(x.shape[0], -1))


def _cnn_predict(model_weights, x, training=True):
  del training
  (conv1, conv2, *dense), _ = model_weights
  h = layers.max_pool2d(jax.nn.relu(layers.conv2d(x[..., None], *conv1)))
  h = layers.max_pool2d(jax.nn.relu(layers.conv2d(h, *conv2)))
  return _dense_stack(dense, h.reshape(h.shape[0], -1))


def build_model(name: str, input_shape: tuple, num_classes: int,
                seed: int = 0):
  """The `FunctionalModel` `name` for inputs of `input_shape`."""
  from federax.learning import models
  rng = np.random.default_rng([seed, 3])
  features = int(np.prod(input_shape))
  if name == 'linear':
    layers, predict = (_layer(rng, (features, num_classes)),), _dense_predict
  elif name == 'mlp':
    hidden = (200, 200) if features >= 784 else (128,)
    sizes = (features, *hidden, num_classes)
    layers = tuple(_layer(rng, (a, b)) for a, b in zip(sizes, sizes[1:]))
    predict = _dense_predict
  elif name == 'cnn':
    if len(input_shape) != 2 or any(d % 4 for d in input_shape):
      raise ValueError(f'--model cnn: expected square images with sides '
                       f'divisible by 4, got examples of shape '
                       f'{input_shape}; use --model mlp.')
    small = features <= 64
    c1, c2, hidden = (16, 32, 64) if small else (32, 64, 128)
    flat = (input_shape[0] // 4) * (input_shape[1] // 4) * c2
    layers = (_layer(rng, (3, 3, 1, c1)), _layer(rng, (3, 3, c1, c2)),
              _layer(rng, (flat, hidden)), _layer(rng, (hidden, num_classes)))
    predict = _cnn_predict
  else:
    raise ValueError(f'--model: expected one of {", ".join(MODELS)}, got '
                     f'{name!r}.')
  return models.FunctionalModel(
      initial_weights=(layers, ()), predict_on_batch_fn=predict,
      loss_fn=models.sparse_categorical_crossentropy,
      metrics_fns=models.build_mean_metrics_fns(
          accuracy=models.sparse_categorical_accuracy),
      input_spec=((np.float32, [None, *input_shape]), (np.int32, [None])))
