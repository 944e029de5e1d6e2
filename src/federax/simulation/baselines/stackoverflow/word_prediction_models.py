"""TFF's Stack Overflow next-word model as a flax NNX module.

An embedding of `embedding_size`, `num_lstm_layers` LSTMs of `lstm_size`
each followed by a dense projection back to `embedding_size`, and logits
over the vocabulary: a dense layer, or with `shared_embedding=True` the
transposed input embedding (TFF's `create_recurrent_model`). As for
Shakespeare, padding only follows the last word, so TFF's input mask
changes nothing at real positions and is left out.
"""

from __future__ import annotations

import functools

from federax.simulation.baselines import layers


@functools.cache
def _model_class():
  from federax.learning.models import flax_model
  nnx = flax_model.import_flax_nnx()

  class WordRNN(nnx.Module):
    """`[B, T]` word ids to `[B, T, vocab_size]` logits."""

    def __init__(self, vocab_size, embedding_size, num_lstm_layers,
                 lstm_size, shared_embedding, init):
      def dense(n_in, n_out):
        return nnx.Linear(n_in, n_out, kernel_init=init.glorot_uniform(),
                          bias_init=init.zeros(), rngs=nnx.Rngs(0))

      self.embedding = nnx.Embed(vocab_size, embedding_size,
                                 embedding_init=init.uniform(0.05),
                                 rngs=nnx.Rngs(0))
      self.lstms = nnx.List([
          layers.lstm(embedding_size, lstm_size, init)
          for _ in range(num_lstm_layers)])
      self.projections = nnx.List([
          dense(lstm_size, embedding_size) for _ in range(num_lstm_layers)])
      self.shared_embedding = shared_embedding
      self.output = None if shared_embedding else dense(embedding_size,
                                                        vocab_size)

    def __call__(self, x):
      h = self.embedding(x)
      for lstm, projection in zip(self.lstms, self.projections):
        h = projection(lstm(h))
      if self.shared_embedding:
        return self.embedding.attend(h)
      return self.output(h)

  return WordRNN


def create_recurrent_model(vocab_size: int, embedding_size: int = 96,
                           num_lstm_layers: int = 1, lstm_size: int = 670,
                           shared_embedding: bool = False, seed: int = 0):
  """The next-word model with TFF's defaults (embedding 96, one LSTM 670).

  Example:
    >>> import jax, numpy as np
    >>> model = create_recurrent_model(vocab_size=50, lstm_size=8)
    >>> jax.eval_shape(model, np.zeros((2, 20), np.int32)).shape
    (2, 20, 50)
  """
  for name, value in (('vocab_size', vocab_size),
                      ('embedding_size', embedding_size),
                      ('num_lstm_layers', num_lstm_layers),
                      ('lstm_size', lstm_size)):
    if not isinstance(value, int) or value < 1:
      raise ValueError(f'create_recurrent_model: {name}: expected an int >= '
                       f'1, got {value!r}.')
  return _model_class()(vocab_size, embedding_size, num_lstm_layers,
                        lstm_size, bool(shared_embedding),
                        layers.NumpyInit(seed))
