"""Convolution and pooling written to vectorize well over clients.

The vectorized backend trains every client of a chunk at once under
`jax.vmap`, each client with its own weights. A convolution whose kernel
differs per client then becomes a grouped convolution, which XLA runs
well on GPUs but several times slower on CPUs than a batched matrix
product. `conv2d` computes the same 'SAME', stride-1 convolution as one
matmul over the kernel's patches (im2col), which vmaps into a batched
matmul; `max_pool2d` pools with a reshape, whose gradient is cheaper than
`lax.reduce_window`'s. Both take NHWC inputs, as Keras and flax do.
"""

from __future__ import annotations

from federax.core import jax_support


def conv2d(x, kernel, bias=None):
  """'SAME' stride-1 2-D convolution of NHWC `x` with an HWIO `kernel`.

  Equals `lax.conv_general_dilated(x, kernel, (1, 1), 'SAME',
  dimension_numbers=('NHWC', 'HWIO', 'NHWC'))` (plus `bias`) for odd
  kernel sizes, computed as one matrix product over the patches.

  Example:
    >>> import jax, numpy as np
    >>> from federax.learning.models import layers
    >>> x = np.random.default_rng(0).random((2, 6, 6, 3), np.float32)
    >>> k = np.random.default_rng(1).random((3, 3, 3, 4), np.float32)
    >>> expected = jax.lax.conv_general_dilated(
    ...     x, k, (1, 1), 'SAME', dimension_numbers=('NHWC', 'HWIO', 'NHWC'))
    >>> bool(np.allclose(layers.conv2d(x, k), expected, atol=1e-5))
    True
  """
  jnp = jax_support.jnp()
  kh, kw, cin, cout = kernel.shape
  if kh % 2 == 0 or kw % 2 == 0:
    raise ValueError(f'conv2d: kernel: expected odd height and width (HWIO), '
                     f'got shape {tuple(kernel.shape)}; pad the input and use '
                     f'lax.conv_general_dilated for even kernels.')
  if x.ndim != 4 or x.shape[-1] != cin:
    raise ValueError(f'conv2d: x: expected float32[B,H,W,{cin}] (NHWC, '
                     f'channels matching the kernel), got shape '
                     f'{tuple(x.shape)}.')
  height, width = x.shape[1], x.shape[2]
  padded = jnp.pad(x, ((0, 0), (kh // 2, kh // 2), (kw // 2, kw // 2),
                       (0, 0)))
  patches = jnp.concatenate(
      [padded[:, i:i + height, j:j + width] for i in range(kh)
       for j in range(kw)], axis=-1)  # [B, H, W, kh * kw * cin], HWI order.
  out = patches @ kernel.reshape(kh * kw * cin, cout)
  return out if bias is None else out + bias


def max_pool2d(x, size: int = 2):
  """`size` x `size` max pooling of NHWC `x` with stride `size`.

  Example:
    >>> import numpy as np
    >>> from federax.learning.models import layers
    >>> x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    >>> np.asarray(layers.max_pool2d(x))[0, :, :, 0]
    array([[ 5.,  7.],
           [13., 15.]], dtype=float32)
  """
  b, height, width, c = x.shape
  if height % size or width % size:
    raise ValueError(f'max_pool2d: x: expected height and width divisible by '
                     f'size={size}, got shape {tuple(x.shape)}; crop or pad '
                     f'the input first.')
  return x.reshape(b, height // size, size, width // size, size,
                   c).max(axis=(2, 4))
