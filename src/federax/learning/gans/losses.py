"""GAN losses: what the discriminator and the generator minimize.

A `GanLoss` is a pair of pure functions. `discriminator_loss(
discriminator_fn, weights, real, fake, mask, key)` is the discriminator's
loss on a batch of real examples (`mask` marks the real ones among the
padding: padded examples must not count) and as many generated ones;
`generator_loss(discriminator_fn, weights, fake)` is the generator's loss
on generated examples. `discriminator_fn(weights, examples)` returns one
logit (score) per example.
"""

from __future__ import annotations

from typing import Callable, NamedTuple


class GanLoss(NamedTuple):
  """The discriminator's and the generator's losses (see the module doc)."""
  discriminator_loss: Callable
  generator_loss: Callable


def _scores(discriminator_fn, weights, examples):
  import jax.numpy as jnp
  scores = jnp.asarray(discriminator_fn(weights, examples), jnp.float32)
  return scores.reshape(scores.shape[0])


def _masked_mean(values, mask):
  import jax.numpy as jnp
  mask = jnp.asarray(mask, jnp.float32)
  return jnp.sum(values * mask) / jnp.maximum(jnp.sum(mask), 1.0)


def nonsaturating() -> GanLoss:
  """The standard GAN loss, non-saturating for the generator.

  The discriminator minimizes `-log D(x) - log(1 - D(G(z)))` (binary cross
  entropy with real examples labelled 1 and generated ones 0, `D` the
  sigmoid of the logit); the generator minimizes `-log D(G(z))`
  (Goodfellow et al., 2014).

  Example:
    >>> import numpy as np
    >>> from federax.learning import gans
    >>> loss = gans.nonsaturating()
    >>> d = lambda w, x: x.sum(axis=1) * w
    >>> real, fake = np.ones((2, 1), np.float32), np.zeros((2, 1), np.float32)
    >>> round(float(loss.discriminator_loss(d, 0.0, real, fake,
    ...                                     np.ones(2), None)), 4)  # 2 log 2
    1.3863
    >>> round(float(loss.generator_loss(d, 0.0, fake)), 4)
    0.6931
  """
  import jax

  def discriminator_loss(discriminator_fn, weights, real, fake, mask, key):
    del key
    real_scores = _scores(discriminator_fn, weights, real)
    fake_scores = _scores(discriminator_fn, weights, fake)
    per_example = (jax.nn.softplus(-real_scores) +
                   jax.nn.softplus(fake_scores))
    return _masked_mean(per_example, mask)

  def generator_loss(discriminator_fn, weights, fake):
    return jax.numpy.mean(jax.nn.softplus(
        -_scores(discriminator_fn, weights, fake)))

  return GanLoss(discriminator_loss, generator_loss)


def wasserstein(gradient_penalty: float = 10.0) -> GanLoss:
  """The Wasserstein GAN loss with a gradient penalty (WGAN-GP).

  The discriminator (critic) minimizes `D(G(z)) - D(x)` plus
  `gradient_penalty * (||grad D(x_hat)|| - 1)^2` at random interpolates
  `x_hat` of real and generated examples (Gulrajani et al., 2017; the loss
  of TFF's federated GAN research code); the generator minimizes
  `-D(G(z))`. `gradient_penalty=0` gives the plain Wasserstein loss.

  Example:
    >>> import jax, numpy as np
    >>> from federax.learning import gans
    >>> loss = gans.wasserstein(gradient_penalty=1.0)
    >>> d = lambda w, x: x.sum(axis=1) * w     # gradient norm |w|
    >>> real, fake = np.ones((2, 1), np.float32), np.zeros((2, 1), np.float32)
    >>> key = jax.random.key(0)
    >>> float(loss.discriminator_loss(d, 3.0, real, fake, np.ones(2), key))
    1.0
  """
  import jax
  import jax.numpy as jnp
  if isinstance(gradient_penalty, bool) or not isinstance(
      gradient_penalty, (int, float)) or gradient_penalty < 0:
    raise ValueError(f'wasserstein: gradient_penalty: expected a float >= '
                     f'0, got {gradient_penalty!r}.')
  penalty = float(gradient_penalty)

  def discriminator_loss(discriminator_fn, weights, real, fake, mask, key):
    real_scores = _scores(discriminator_fn, weights, real)
    fake_scores = _scores(discriminator_fn, weights, fake)
    loss = _masked_mean(fake_scores - real_scores, mask)
    if penalty == 0.0:
      return loss
    shape = (real.shape[0],) + (1,) * (real.ndim - 1)
    eps = jax.random.uniform(key, shape, jnp.float32)
    mixed = eps * real + (1.0 - eps) * fake

    def score_sum(x):
      return jnp.sum(_scores(discriminator_fn, weights, x))

    grads = jax.grad(score_sum)(mixed).reshape(real.shape[0], -1)
    norms = jnp.sqrt(jnp.sum(grads ** 2, axis=1) + 1e-12)
    return loss + penalty * _masked_mean((norms - 1.0) ** 2, mask)

  def generator_loss(discriminator_fn, weights, fake):
    return -jnp.mean(_scores(discriminator_fn, weights, fake))

  return GanLoss(discriminator_loss, generator_loss)
