"""The workloads' models as JAX functions, shared by the JAX-based benchmarks
(federax, hand-written JAX, Flower's clients).

`predict(workload, conv=...)` returns `f(trainable, x) -> logits`, where
`trainable` is the workload's list of `(kernel, bias)` pairs. W3's
convolutions come two ways:

- 'patches': one matmul over the 5x5 patches (im2col). Under `vmap` over
  clients, each with its own weights, this is a batched matmul.
- 'lax': `lax.conv_general_dilated`. Under `vmap` over clients with
  per-client weights, XLA turns it into a grouped convolution, which its
  CPU backend runs far slower.
"""

import jax
import jax.numpy as jnp


def _conv_patches(x, kernel):
  """5x5 'SAME' convolution of NHWC `x` with HWIO `kernel`, as a matmul."""
  kh, kw, cin, cout = kernel.shape
  _, height, width, _ = x.shape
  padded = jnp.pad(x, ((0, 0), (kh // 2, kh // 2), (kw // 2, kw // 2), (0, 0)))
  patches = jnp.concatenate(
      [padded[:, i:i + height, j:j + width] for i in range(kh)
       for j in range(kw)], axis=-1)  # [B, H, W, kh * kw * cin]
  return patches @ kernel.reshape(kh * kw * cin, cout)


def _conv_lax(x, kernel):
  return jax.lax.conv_general_dilated(
      x, kernel, (1, 1), 'SAME', dimension_numbers=('NHWC', 'HWIO', 'NHWC'))


def _max_pool(x):
  b, height, width, c = x.shape
  return x.reshape(b, height // 2, 2, width // 2, 2, c).max(axis=(2, 4))


def predict(workload, conv='patches'):
  """`f(trainable, x) -> logits[B, classes]` for `workload`."""
  conv_fn = {'patches': _conv_patches, 'lax': _conv_lax}[conv]

  def dense_stack(layers, h):
    for i, (k, b) in enumerate(layers):
      h = h @ k + b
      if i < len(layers) - 1:
        h = jax.nn.relu(h)
    return h

  def cnn(trainable, x):
    (k1, b1), (k2, b2), *dense = trainable
    h = _max_pool(jax.nn.relu(conv_fn(x, k1) + b1))
    h = _max_pool(jax.nn.relu(conv_fn(h, k2) + b2))
    return dense_stack(dense, h.reshape(h.shape[0], -1))

  if workload.model == 'cnn':
    return cnn
  return dense_stack


def loss(predict_fn, trainable, x, y):
  """Mean sparse softmax cross-entropy of a batch."""
  log_p = jax.nn.log_softmax(predict_fn(trainable, x))
  return -jnp.mean(jnp.take_along_axis(log_p, y[:, None], axis=-1))
