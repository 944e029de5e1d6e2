"""TFF's ResNet v2 models for CIFAR-100, as flax NNX modules.

As TFF's `resnet_models` (He et al. 2016, "Identity mappings"): a 7x7
convolution with stride 2, normalization, ReLU and a 3x3 max pool with
stride 2; then stages of basic (two 3x3 convolutions) or bottleneck (1x1,
3x3, 1x1) residual blocks, filters doubling from stage to stage, each
block pre-activated (normalization, ReLU, convolution) and added to a
shortcut (a 1x1 convolution and normalization when the channels change);
a final normalization and ReLU, global average pooling and a dense layer.
As in TFF, the stages do not downsample (every block has stride 1), and
normalization is group normalization (2 groups, epsilon 1e-3) unless
`norm_layer='batch_norm'`. Convolutions have no bias and start He normal;
the dense layer starts normal(0.01). The model returns logits (TFF's ends
in a softmax). TFF's L2 kernel regularization (1e-4) is not part of the
loss: add weight decay to the client optimizer for it.
"""

from __future__ import annotations

import enum
import functools

from federax.simulation.baselines import layers


class ResidualBlock(enum.Enum):
  """The kind of residual block."""
  basic = 'basic'
  bottleneck = 'bottleneck'


class NormLayer(enum.Enum):
  """The normalization layer."""
  group_norm = 'group_norm'
  batch_norm = 'batch_norm'


@functools.cache
def _resnet_class():
  import jax.numpy as jnp
  from federax.learning.models import flax_model
  nnx = flax_model.import_flax_nnx()

  def conv(n_in, n_out, size, init, strides=1):
    return nnx.Conv(n_in, n_out, (size, size), strides=(strides, strides),
                    padding='SAME', use_bias=False,
                    kernel_init=init.he_normal(), rngs=nnx.Rngs(0))

  def norm(n, norm_layer, init):
    if norm_layer is NormLayer.group_norm:
      return nnx.GroupNorm(n, num_groups=2, epsilon=1e-3,
                           scale_init=init.ones(), bias_init=init.zeros(),
                           rngs=nnx.Rngs(0))
    return nnx.BatchNorm(n, momentum=0.997, epsilon=1e-5,
                         scale_init=init.ones(), bias_init=init.zeros(),
                         rngs=nnx.Rngs(0))

  class Block(nnx.Module):
    """One residual block (basic or bottleneck), stride 1."""

    def __init__(self, n_in, filters, bottleneck, normalize_first,
                 norm_layer, init):
      sizes = (1, 3, 1) if bottleneck else (3, 3)
      widths = (filters, filters, 4 * filters) if bottleneck else (
          filters, filters)
      self.normalize_first = normalize_first
      self.norms = nnx.List([
          norm(c, norm_layer, init) for c in
          ((n_in,) if normalize_first else ()) + widths[:-1]])
      self.convs = nnx.List([
          conv(c_in, c_out, k, init) for c_in, c_out, k in
          zip((n_in,) + widths[:-1], widths, sizes)])
      self.n_out = widths[-1]
      if n_in != widths[-1]:
        self.shortcut_conv = conv(n_in, widths[-1], 1, init)
        self.shortcut_norm = norm(widths[-1], norm_layer, init)
      else:
        self.shortcut_conv = self.shortcut_norm = None

    def __call__(self, x):
      norms = list(self.norms)
      y = x
      for i, c in enumerate(self.convs):
        if i > 0 or self.normalize_first:
          y = nnx.relu(norms.pop(0)(y))
        y = c(y)
      shortcut = x
      if self.shortcut_conv is not None:
        shortcut = self.shortcut_norm(self.shortcut_conv(x))
      return shortcut + y

  class ResNet(nnx.Module):
    """A ResNet v2 (see the module docstring)."""

    def __init__(self, input_shape, num_classes, residual_block, repetitions,
                 initial_filters, initial_strides, initial_kernel_size,
                 initial_max_pooling, norm_layer, init):
      self.initial_conv = nnx.Conv(
          input_shape[-1], initial_filters, tuple(initial_kernel_size),
          strides=tuple(initial_strides), padding='SAME', use_bias=False,
          kernel_init=init.he_normal(), rngs=nnx.Rngs(0))
      self.initial_norm = norm(initial_filters, norm_layer, init)
      self.initial_strides = tuple(initial_strides)
      self.initial_max_pooling = initial_max_pooling
      blocks, channels, filters = [], initial_filters, initial_filters
      bottleneck = residual_block is ResidualBlock.bottleneck
      for stage, count in enumerate(repetitions):
        for i in range(count):
          block = Block(channels, filters, bottleneck,
                        not (stage == 0 and i == 0), norm_layer, init)
          blocks.append(block)
          channels = block.n_out
        filters *= 2
      self.blocks = nnx.List(blocks)
      self.final_norm = norm(channels, norm_layer, init)
      self.dense = nnx.Linear(channels, num_classes,
                              kernel_init=init.normal(0.01),
                              bias_init=init.zeros(), rngs=nnx.Rngs(0))

    def __call__(self, x):
      x = nnx.relu(self.initial_norm(self.initial_conv(x)))
      if self.initial_max_pooling:
        x = nnx.max_pool(x, (3, 3), strides=self.initial_strides,
                         padding='SAME')
      for block in self.blocks:
        x = block(x)
      x = nnx.relu(self.final_norm(x))
      return self.dense(jnp.mean(x, axis=(1, 2)))

  return ResNet


def _positive_ints(value, length, name):
  if (not isinstance(value, (tuple, list)) or len(value) != length or
      not all(isinstance(v, int) and v > 0 for v in value)):
    raise ValueError(f'create_resnet: {name}: expected {length} positive '
                     f'ints, got {value!r}.')


def create_resnet(input_shape, num_classes: int = 10,
                  residual_block='bottleneck', repetitions=None,
                  initial_filters: int = 64, initial_strides=(2, 2),
                  initial_kernel_size=(7, 7), initial_max_pooling=True,
                  norm_layer='group_norm', seed: int = 0):
  """A ResNet v2 with TFF's arguments (`repetitions` default: ResNet-50's).

  Example:
    >>> import jax, numpy as np
    >>> model = create_resnet((8, 8, 3), num_classes=5, residual_block='basic',
    ...                       repetitions=[1], initial_filters=4)
    >>> jax.eval_shape(model, np.zeros((2, 8, 8, 3), np.float32)).shape
    (2, 5)
  """
  _positive_ints(tuple(input_shape), 3, 'input_shape')
  repetitions = list(repetitions or [3, 4, 6, 3])
  _positive_ints(repetitions, len(repetitions), 'repetitions')
  _positive_ints(tuple(initial_strides), 2, 'initial_strides')
  _positive_ints(tuple(initial_kernel_size), 2, 'initial_kernel_size')
  if not isinstance(num_classes, int) or num_classes < 1:
    raise ValueError(f'create_resnet: num_classes: expected an int >= 1, got '
                     f'{num_classes!r}.')
  if not isinstance(initial_filters, int) or initial_filters < 1:
    raise ValueError(f'create_resnet: initial_filters: expected an int >= 1, '
                     f'got {initial_filters!r}.')
  try:
    residual_block = ResidualBlock(getattr(residual_block, 'value',
                                           residual_block))
    norm_layer = NormLayer(getattr(norm_layer, 'value', norm_layer))
  except ValueError as e:
    raise ValueError(f'create_resnet: {e}; residual_block is basic or '
                     f'bottleneck, norm_layer group_norm or batch_norm.'
                     ) from None
  return _resnet_class()(
      tuple(input_shape), num_classes, residual_block, repetitions,
      initial_filters, tuple(initial_strides), tuple(initial_kernel_size),
      initial_max_pooling, norm_layer, layers.NumpyInit(seed))


ARCHITECTURES = {
    'resnet18': ('basic', (2, 2, 2, 2)),
    'resnet34': ('basic', (3, 4, 6, 3)),
    'resnet50': ('bottleneck', (3, 4, 6, 3)),
    'resnet101': ('bottleneck', (3, 4, 23, 3)),
    'resnet152': ('bottleneck', (3, 8, 36, 3)),
}


def _create(model_id, input_shape, num_classes, norm_layer, seed):
  block, repetitions = ARCHITECTURES[model_id]
  return create_resnet(input_shape, num_classes, block, repetitions,
                       norm_layer=norm_layer, seed=seed)


def create_resnet18(input_shape, num_classes: int, norm_layer='group_norm',
                    seed: int = 0):
  """ResNet-18: basic blocks, repetitions [2, 2, 2, 2] (11.2M weights for
  100 classes).

  Example:
    >>> import jax, numpy as np
    >>> model = create_resnet18((24, 24, 3), 100)
    >>> jax.eval_shape(model, np.zeros((1, 24, 24, 3), np.float32)).shape
    (1, 100)
  """
  return _create('resnet18', input_shape, num_classes, norm_layer, seed)


def create_resnet34(input_shape, num_classes: int, norm_layer='group_norm',
                    seed: int = 0):
  """ResNet-34: basic blocks.

  Example:
    >>> ARCHITECTURES['resnet34']
    ('basic', (3, 4, 6, 3))
  """
  return _create('resnet34', input_shape, num_classes, norm_layer, seed)


def create_resnet50(input_shape, num_classes: int, norm_layer='group_norm',
                    seed: int = 0):
  """ResNet-50: bottleneck blocks.

  Example:
    >>> ARCHITECTURES['resnet50']
    ('bottleneck', (3, 4, 6, 3))
  """
  return _create('resnet50', input_shape, num_classes, norm_layer, seed)


def create_resnet101(input_shape, num_classes: int, norm_layer='group_norm',
                     seed: int = 0):
  """ResNet-101: bottleneck blocks.

  Example:
    >>> ARCHITECTURES['resnet101']
    ('bottleneck', (3, 4, 23, 3))
  """
  return _create('resnet101', input_shape, num_classes, norm_layer, seed)


def create_resnet152(input_shape, num_classes: int, norm_layer='group_norm',
                     seed: int = 0):
  """ResNet-152: bottleneck blocks.

  Example:
    >>> ARCHITECTURES['resnet152']
    ('bottleneck', (3, 8, 36, 3))
  """
  return _create('resnet152', input_shape, num_classes, norm_layer, seed)
