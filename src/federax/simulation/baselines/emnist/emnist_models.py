"""TFF's EMNIST character recognition models as flax NNX modules.

Each takes `[B, 28, 28, 1]` pixels and returns `[B, 10]` (digits) or
`[B, 62]` logits; kernels start Glorot uniform and biases zero, as in TFF's
Keras models. TFF's models end in a softmax; these return logits and the
task's loss applies the softmax (the same model, a stabler loss).
"""

from __future__ import annotations

import functools

from federax.simulation.baselines import layers

@functools.cache
def _modules():
  import jax
  from federax.learning.models import flax_model
  nnx = flax_model.import_flax_nnx()

  def dense(n_in, n_out, init):
    return nnx.Linear(n_in, n_out, kernel_init=init.glorot_uniform(),
                      bias_init=init.zeros(), rngs=nnx.Rngs(0))

  def conv(n_in, n_out, size, padding, init):
    return nnx.Conv(n_in, n_out, (size, size), padding=padding,
                    kernel_init=init.glorot_uniform(), bias_init=init.zeros(),
                    rngs=nnx.Rngs(0))

  class ConvDropout(nnx.Module):
    """conv3x3(32), conv3x3(64), maxpool, dropout .25, dense 128, dropout .5."""

    def __init__(self, num_classes, init):
      self.conv1 = conv(1, 32, 3, 'VALID', init)
      self.conv2 = conv(32, 64, 3, 'VALID', init)
      self.dropout1 = nnx.Dropout(0.25)
      self.dense1 = dense(12 * 12 * 64, 128, init)
      self.dropout2 = nnx.Dropout(0.5)
      self.dense2 = dense(128, num_classes, init)

    def __call__(self, x):
      key = layers.data_key(x)
      x = nnx.relu(self.conv2(nnx.relu(self.conv1(x))))
      x = nnx.max_pool(x, (2, 2), strides=(2, 2))
      x = self.dropout1(x, rngs=jax.random.fold_in(key, 1))
      x = nnx.relu(self.dense1(x.reshape(x.shape[0], -1)))
      x = self.dropout2(x, rngs=jax.random.fold_in(key, 2))
      return self.dense2(x)

  class OriginalFedAvgCNN(nnx.Module):
    """McMahan et al.'s CNN: conv5x5(32), pool, conv5x5(64), pool, dense 512."""

    def __init__(self, num_classes, init):
      self.conv1 = conv(1, 32, 5, 'SAME', init)
      self.conv2 = conv(32, 64, 5, 'SAME', init)
      self.dense1 = dense(7 * 7 * 64, 512, init)
      self.dense2 = dense(512, num_classes, init)

    def __call__(self, x):
      x = nnx.max_pool(nnx.relu(self.conv1(x)), (2, 2), strides=(2, 2),
                       padding='SAME')
      x = nnx.max_pool(nnx.relu(self.conv2(x)), (2, 2), strides=(2, 2),
                       padding='SAME')
      x = nnx.relu(self.dense1(x.reshape(x.shape[0], -1)))
      return self.dense2(x)

  class TwoHiddenLayer(nnx.Module):
    """784 -> hidden -> hidden -> classes, ReLU."""

    def __init__(self, num_classes, hidden_units, init):
      self.dense1 = dense(784, hidden_units, init)
      self.dense2 = dense(hidden_units, hidden_units, init)
      self.dense3 = dense(hidden_units, num_classes, init)

    def __call__(self, x):
      x = nnx.relu(self.dense1(x.reshape(x.shape[0], -1)))
      return self.dense3(nnx.relu(self.dense2(x)))

  return nnx, ConvDropout, OriginalFedAvgCNN, TwoHiddenLayer


def create_conv_dropout_model(only_digits: bool = True, seed: int = 0):
  """TFF's `create_conv_dropout_model` (1,199,882 weights for digits).

  Dropout masks come from a key derived from the batch
  (`baselines.layers.data_key`); `seed` seeds the initial weights.

  Example:
    >>> import numpy as np
    >>> import jax
    >>> model = create_conv_dropout_model()
    >>> jax.eval_shape(model, np.zeros((2, 28, 28, 1), np.float32)).shape
    (2, 10)
  """
  _, cls, _, _ = _modules()
  return cls(10 if only_digits else 62, layers.NumpyInit(seed))


def create_original_fedavg_cnn_model(only_digits: bool = True, seed: int = 0):
  """The CNN of McMahan et al. 2017 (1,663,370 weights for digits).

  Example:
    >>> import jax, numpy as np
    >>> jax.eval_shape(create_original_fedavg_cnn_model(only_digits=False),
    ...                np.zeros((1, 28, 28, 1), np.float32)).shape
    (1, 62)
  """
  _, _, cls, _ = _modules()
  return cls(10 if only_digits else 62, layers.NumpyInit(seed))


def create_two_hidden_layer_model(only_digits: bool = True,
                                  hidden_units: int = 200, seed: int = 0):
  """Two dense hidden layers of `hidden_units` (199,210 weights for digits).

  Example:
    >>> import jax, numpy as np
    >>> jax.eval_shape(create_two_hidden_layer_model(hidden_units=8),
    ...                np.zeros((3, 28, 28, 1), np.float32)).shape
    (3, 10)
  """
  if not isinstance(hidden_units, int) or hidden_units < 1:
    raise ValueError(f'create_two_hidden_layer_model: hidden_units: expected '
                     f'an int >= 1, got {hidden_units!r}.')
  _, _, _, cls = _modules()
  return cls(10 if only_digits else 62, hidden_units, layers.NumpyInit(seed))
