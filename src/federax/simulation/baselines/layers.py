"""Flax NNX building blocks of the baseline models.

`NumpyInit(seed)` gives Keras' initializers drawn with numpy, so building
a model compiles nothing (JAX's random initializers compile a program
per layer shape). `lstm(...)` is Keras' LSTM (gates i, f, c, o; a
forget-gate bias of 1; an orthogonal recurrent kernel) as an NNX module that returns the whole
sequence, written as one `lax.scan`. `data_key(x)` is the PRNG key of a
batch's dropout: federax models take no random key, so dropout draws its
masks from a key derived from the batch itself; each round's seeded
shuffling gives new batches and so new masks, and a round stays a pure
function of its inputs. flax is imported when a layer is built.
"""

from __future__ import annotations

import contextlib
import functools

import numpy as np


def data_key(x, salt: int = 0):
  """A PRNG key derived from the values of `x` (and `salt`).

  Example:
    >>> import numpy as np, jax
    >>> a = data_key(np.ones((2, 3), np.float32))
    >>> b = data_key(np.zeros((2, 3), np.float32))
    >>> bool((jax.random.key_data(a) != jax.random.key_data(b)).any())
    True
  """
  import jax
  import jax.numpy as jnp
  x = jnp.asarray(x)
  bits = jax.lax.bitcast_convert_type(x.astype(jnp.float32),
                                      jnp.uint32).reshape(-1)
  weights = jnp.arange(1, bits.shape[0] + 1, dtype=jnp.uint32) * jnp.uint32(
      2654435761)
  digest = jnp.sum(bits * weights, dtype=jnp.uint32)
  return jax.random.fold_in(jax.random.key(salt), digest)


def _one_blas_thread():
  """Runs numpy's LAPACK on one thread (with threadpoolctl, if installed):
  a multi-threaded QR on a busy machine can be many times slower."""
  try:
    import threadpoolctl
  except ImportError:
    return contextlib.nullcontext()
  return threadpoolctl.threadpool_limits(1, 'blas')


class NumpyInit:
  """Keras' weight initializers drawn with numpy from one seeded generator.

  Each method returns an initializer `fn(key, shape, dtype)` for flax
  layers that ignores `key`: initial weights come from `seed` and the
  order layers are built in, and building a model compiles nothing.

  Example:
    >>> init = NumpyInit(0)
    >>> kernel = init.glorot_uniform()(None, (3, 4))
    >>> kernel.dtype, bool(abs(kernel).max() <= (6 / 7) ** 0.5)
    (dtype('float32'), True)
  """

  def __init__(self, seed: int):
    self.rng = np.random.default_rng(seed)

  @staticmethod
  def _fans(shape):
    receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return shape[-2] * receptive, shape[-1] * receptive

  def _make(self, draw):
    return lambda key, shape, dtype=np.float32: np.asarray(
        draw(tuple(shape)), np.float32)

  def glorot_uniform(self):
    """Uniform in +-sqrt(6 / (fan_in + fan_out)) (Keras' default)."""
    def draw(shape):
      fan_in, fan_out = self._fans(shape)
      limit = np.sqrt(6.0 / (fan_in + fan_out))
      return self.rng.uniform(-limit, limit, shape)
    return self._make(draw)

  def he_normal(self):
    """Normal with std sqrt(2 / fan_in), truncated at two std (Keras')."""
    def draw(shape):
      std = np.sqrt(2.0 / self._fans(shape)[0]) / 0.87962566103423978
      values = self.rng.standard_normal(shape)
      bad = np.abs(values) > 2
      while bad.any():
        values[bad] = self.rng.standard_normal(int(bad.sum()))
        bad = np.abs(values) > 2
      return values * std
    return self._make(draw)

  def orthogonal(self):
    """A (semi-)orthogonal matrix (Keras' recurrent kernel default)."""
    def draw(shape):
      rows, cols = int(np.prod(shape[:-1])), shape[-1]
      a = self.rng.standard_normal((max(rows, cols), min(rows, cols)))
      with _one_blas_thread():
        q, r = np.linalg.qr(a)
      q = q * np.sign(np.diag(r))
      return (q.T if rows < cols else q).reshape(shape)
    return self._make(draw)

  def normal(self, stddev: float):
    """Normal with standard deviation `stddev`."""
    return self._make(lambda shape: self.rng.normal(0.0, stddev, shape))

  def uniform(self, limit: float):
    """Uniform in +-`limit` (Keras' embeddings: 0.05)."""
    return self._make(lambda shape: self.rng.uniform(-limit, limit, shape))

  def zeros(self):
    """Zeros."""
    return self._make(np.zeros)

  def ones(self):
    """Ones."""
    return self._make(np.ones)


@functools.cache
def _lstm_class():
  import jax
  import jax.numpy as jnp
  from federax.learning.models import flax_model
  nnx = flax_model.import_flax_nnx()

  class LSTM(nnx.Module):
    """Keras' LSTM, `return_sequences=True`: `[B, T, in] -> [B, T, units]`."""

    def __init__(self, in_features, units, init: NumpyInit, kernel_init):
      self.units = units
      self.kernel = nnx.Param(kernel_init(None, (in_features, 4 * units)))
      self.recurrent_kernel = nnx.Param(init.orthogonal()(
          None, (units, 4 * units)))
      bias = np.zeros(4 * units, np.float32)
      bias[units:2 * units] = 1.0  # Keras' unit_forget_bias.
      self.bias = nnx.Param(bias)

    def __call__(self, x):
      inputs = jnp.einsum('bti,ij->tbj', x, self.kernel[...]) + self.bias[...]
      recurrent = self.recurrent_kernel[...]
      zeros = jnp.zeros((x.shape[0], self.units), inputs.dtype)

      def step(carry, z):
        h, c = carry
        z = z + h @ recurrent
        i, f, g, o = jnp.split(z, 4, axis=-1)
        c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
        h = jax.nn.sigmoid(o) * jnp.tanh(c)
        return (h, c), h

      _, hs = jax.lax.scan(step, (zeros, zeros), inputs)
      return jnp.swapaxes(hs, 0, 1)

  return LSTM


def lstm(in_features: int, units: int, init: NumpyInit, kernel_init=None):
  """A Keras-style LSTM layer returning every step's output.

  `kernel_init` defaults to Glorot uniform (Keras' default); the
  recurrent kernel is orthogonal and the forget gate's bias 1.

  Example:
    >>> import jax, numpy as np
    >>> layer = lstm(3, 4, NumpyInit(0))
    >>> jax.eval_shape(layer, np.ones((2, 5, 3), np.float32)).shape
    (2, 5, 4)
  """
  return _lstm_class()(in_features, units, init,
                       kernel_init or init.glorot_uniform())
