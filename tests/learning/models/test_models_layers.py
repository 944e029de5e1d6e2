"""fx.learning.models.layers: patch convolution and reshape pooling."""

import jax
import numpy as np
import pytest

import federax as fx

layers = fx.learning.models.layers


@pytest.mark.parametrize('kernel_size,cin,cout', [(1, 2, 3), (3, 1, 4),
                                                  (5, 3, 2), ((3, 5), 2, 2)])
def test_conv2d_equals_lax_conv(kernel_size, cin, cout):
  kh, kw = (kernel_size if isinstance(kernel_size, tuple) else
            (kernel_size, kernel_size))
  rng = np.random.default_rng(0)
  x = rng.normal(size=(3, 7, 6, cin)).astype(np.float32)
  kernel = rng.normal(size=(kh, kw, cin, cout)).astype(np.float32)
  bias = rng.normal(size=(cout,)).astype(np.float32)
  expected = jax.lax.conv_general_dilated(
      x, kernel, (1, 1), 'SAME',
      dimension_numbers=('NHWC', 'HWIO', 'NHWC')) + bias
  np.testing.assert_allclose(layers.conv2d(x, kernel, bias), expected,
                             rtol=1e-5, atol=1e-5)


def test_conv2d_gradients_equal_lax_conv_under_vmap():
  rng = np.random.default_rng(1)
  x = rng.normal(size=(4, 2, 6, 6, 2)).astype(np.float32)  # 4 clients
  kernels = rng.normal(size=(4, 3, 3, 2, 3)).astype(np.float32)

  def loss(conv):
    return lambda k, xs: (conv(xs, k) ** 2).sum()

  lax_conv = lambda xs, k: jax.lax.conv_general_dilated(
      xs, k, (1, 1), 'SAME', dimension_numbers=('NHWC', 'HWIO', 'NHWC'))
  ours = jax.vmap(jax.grad(loss(layers.conv2d)))(kernels, x)
  theirs = jax.vmap(jax.grad(loss(lax_conv)))(kernels, x)
  np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4)


def test_max_pool2d():
  x = np.random.default_rng(2).normal(size=(2, 6, 4, 3)).astype(np.float32)
  expected = jax.lax.reduce_window(x, -np.inf, jax.lax.max, (1, 2, 2, 1),
                                   (1, 2, 2, 1), 'VALID')
  np.testing.assert_array_equal(layers.max_pool2d(x), expected)
  y = np.random.default_rng(3).normal(size=(1, 6, 6, 1)).astype(np.float32)
  assert layers.max_pool2d(y, 3).shape == (1, 2, 2, 1)
  assert float(layers.max_pool2d(y, 3)[0, 0, 0, 0]) == y[0, :3, :3, 0].max()


def test_bad_inputs_name_the_argument_and_shapes():
  x = np.zeros((1, 4, 4, 2), np.float32)
  with pytest.raises(ValueError, match=r'kernel: expected odd .* \(2, 2, 2, 1\)'):
    layers.conv2d(x, np.zeros((2, 2, 2, 1), np.float32))
  with pytest.raises(ValueError, match=r'x: expected float32\[B,H,W,3\].*'
                     r'\(1, 4, 4, 2\)'):
    layers.conv2d(x, np.zeros((3, 3, 3, 1), np.float32))
  with pytest.raises(ValueError, match=r'x: expected height and width '
                     r'divisible by size=3, got shape \(1, 4, 4, 2\)'):
    layers.max_pool2d(x, 3)
