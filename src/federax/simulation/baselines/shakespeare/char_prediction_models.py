"""TFF's Shakespeare next-character model as a flax NNX module.

An 8-dimensional embedding of the character ids, two LSTM layers of 256
units returning every step, and a dense layer to one logit per vocabulary
id, as in McMahan et al. 2017 and TFF's `create_recurrent_model`. TFF
masks padded inputs in the LSTM (`mask_zero=True`); padding only ever
follows a snippet's last character, so with a forward LSTM the outputs at
real positions are the same without that mask, and the task's loss and
metrics ignore the padded positions.
"""

from __future__ import annotations

import functools

from federax.simulation.baselines import layers


@functools.cache
def _model_class():
  from federax.learning.models import flax_model
  nnx = flax_model.import_flax_nnx()

  class CharRNN(nnx.Module):
    """Embedding, LSTM layers and a dense output, `[B, T] -> [B, T, V]`."""

    def __init__(self, vocab_size, embedding_size, units, num_layers, init):
      self.embedding = nnx.Embed(vocab_size, embedding_size,
                                 embedding_init=init.uniform(0.05),
                                 rngs=nnx.Rngs(0))
      sizes = [embedding_size] + [units] * num_layers
      self.lstms = nnx.List([
          layers.lstm(n_in, n_out, init, kernel_init=init.he_normal())
          for n_in, n_out in zip(sizes[:-1], sizes[1:])])
      self.dense = nnx.Linear(units, vocab_size,
                              kernel_init=init.glorot_uniform(),
                              bias_init=init.zeros(), rngs=nnx.Rngs(0))

    def __call__(self, x):
      h = self.embedding(x)
      for lstm in self.lstms:
        h = lstm(h)
      return self.dense(h)

  return CharRNN


def create_recurrent_model(vocab_size: int, sequence_length: int = 80,
                           units: int = 256, num_layers: int = 2,
                           seed: int = 0):
  """Embedding 8, `num_layers` LSTMs of `units`, dense `vocab_size` logits.

  `sequence_length` is checked (TFF's argument); the model takes any
  length. `units` and `num_layers` are federax additions (TFF: 256, 2).

  Example:
    >>> import jax, numpy as np
    >>> model = create_recurrent_model(vocab_size=90, units=16)
    >>> jax.eval_shape(model, np.zeros((2, 80), np.int32)).shape
    (2, 80, 90)
  """
  for name, value in (('vocab_size', vocab_size),
                      ('sequence_length', sequence_length), ('units', units),
                      ('num_layers', num_layers)):
    if not isinstance(value, int) or value < 1:
      raise ValueError(f'create_recurrent_model: {name}: expected an int >= '
                       f'1, got {value!r}.')
  return _model_class()(vocab_size, 8, units, num_layers,
                        layers.NumpyInit(seed))
