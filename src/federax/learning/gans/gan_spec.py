"""`GanSpec`: a generator and a discriminator as pure JAX functions."""

from __future__ import annotations

import dataclasses
import numbers
from typing import Any, Callable

import numpy as np

from federax.core import type_conversions
from federax.core import types


def _shape(value, name: str) -> tuple[int, ...]:
  if isinstance(value, numbers.Integral) and not isinstance(value, bool):
    value = (value,)
  if not isinstance(value, (tuple, list)) or not all(
      isinstance(d, numbers.Integral) and not isinstance(d, bool) and d > 0
      for d in value):
    raise TypeError(f'GanSpec: {name}: expected a tuple of positive ints '
                    f'(the shape of one example, without the batch axis), '
                    f'got {value!r}.')
  return tuple(int(d) for d in value)


def _tensor(dtype, shape) -> str:
  return str(types.TensorType(np.dtype(dtype), list(shape)))


@dataclasses.dataclass(frozen=True, eq=False)
class GanSpec:
  """The two networks of a GAN and the shapes they work on.

  - `generator_fn(generator_weights, noise)`: maps a batch of noise
    `float32[B, *noise_shape]` to a batch of generated examples
    `float32[B, *data_shape]`;
  - `discriminator_fn(discriminator_weights, examples)`: maps a batch of
    examples to one logit each, `float32[B]` (or `[B, 1]`);
  - `initial_generator_weights`, `initial_discriminator_weights`: pytrees
    of arrays (tuples, lists, dicts) the functions take;
  - `noise_shape`, `data_shape`: the shapes of one noise vector and of one
    real example (`data_dtype`, float32 by default).

  Both functions are pure (TFF's research code takes Keras models; here
  they are plain JAX). The spec checks them once on a batch of two, so a
  shape mistake is an error here rather than deep inside a round.

  Example:
    >>> import numpy as np
    >>> from federax.learning import gans
    >>> spec = gans.GanSpec(
    ...     generator_fn=lambda w, z: z @ w,
    ...     discriminator_fn=lambda w, x: x @ w,
    ...     initial_generator_weights=np.zeros((2, 3), np.float32),
    ...     initial_discriminator_weights=np.zeros(3, np.float32),
    ...     noise_shape=(2,), data_shape=(3,))
    >>> print(spec.generator_weights_type, spec.data_type)
    float32[2,3] float32[3]
    >>> gans.GanSpec(lambda w, z: z, lambda w, x: x @ w,
    ...              np.zeros(()), np.zeros(3, np.float32), (2,), (3,))
    Traceback (most recent call last):
    ...
    ValueError: GanSpec: generator_fn: expected generated examples float32[2,3] (a batch of 2 of data_shape (3,)) for noise float32[2,2], got float32[2,2]. Make the generator output data_shape.
  """
  generator_fn: Callable
  discriminator_fn: Callable
  initial_generator_weights: Any
  initial_discriminator_weights: Any
  noise_shape: tuple
  data_shape: tuple
  data_dtype: Any = np.float32

  def __post_init__(self):
    for name in ('generator_fn', 'discriminator_fn'):
      if not callable(getattr(self, name)):
        raise TypeError(f'GanSpec: {name}: expected a function (weights, '
                        f'batch) -> batch, got '
                        f'{type(getattr(self, name)).__name__}.')
    object.__setattr__(self, 'noise_shape',
                       _shape(self.noise_shape, 'noise_shape'))
    object.__setattr__(self, 'data_shape',
                       _shape(self.data_shape, 'data_shape'))
    for name in ('initial_generator_weights', 'initial_discriminator_weights'):
      try:
        type_conversions.infer_type(getattr(self, name))
      except (TypeError, ValueError) as e:
        raise TypeError(f'GanSpec: {name}: expected a pytree of arrays '
                        f'(tuples, lists, dicts of numpy arrays), got '
                        f'{type(getattr(self, name)).__name__}: {e}') from None
    self._check_shapes()

  def _check_shapes(self):
    import jax
    noise = jax.ShapeDtypeStruct((2,) + self.noise_shape, np.float32)
    fake = jax.eval_shape(self.generator_fn, self.initial_generator_weights,
                          noise)
    want = (2,) + self.data_shape
    if not hasattr(fake, 'shape') or tuple(fake.shape) != want:
      got = (_tensor(fake.dtype, fake.shape) if hasattr(fake, 'shape')
             else type(fake).__name__)
      raise ValueError(
          f'GanSpec: generator_fn: expected generated examples '
          f'{_tensor(np.float32, want)} (a batch of 2 of data_shape '
          f'{self.data_shape}) for noise {_tensor(np.float32, noise.shape)},'
          f' got {got}. Make the generator output data_shape.')
    real = jax.ShapeDtypeStruct(want, np.dtype(self.data_dtype))
    scores = jax.eval_shape(self.discriminator_fn,
                            self.initial_discriminator_weights, real)
    if not hasattr(scores, 'shape') or tuple(scores.shape) not in ((2,),
                                                                   (2, 1)):
      got = (_tensor(scores.dtype, scores.shape) if hasattr(scores, 'shape')
             else type(scores).__name__)
      raise ValueError(
          f'GanSpec: discriminator_fn: expected one logit per example, '
          f'float32[2] for a batch of 2, got {got}. Return logits of shape '
          f'[batch] or [batch, 1].')

  @property
  def generator_weights_type(self) -> types.Type:
    return type_conversions.infer_type(self.initial_generator_weights)

  @property
  def discriminator_weights_type(self) -> types.Type:
    return type_conversions.infer_type(self.initial_discriminator_weights)

  @property
  def data_type(self) -> types.TensorType:
    """The type of one real example (the client data is a sequence)."""
    return types.TensorType(np.dtype(self.data_dtype), list(self.data_shape))
