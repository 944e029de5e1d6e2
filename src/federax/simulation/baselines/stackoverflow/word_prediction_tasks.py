"""Stack Overflow next-word prediction (TFF's `baselines.stackoverflow`)."""

from __future__ import annotations

import numpy as np

from federax.simulation.baselines import task_builder
from federax.simulation.baselines import task_metrics
from federax.simulation.baselines.stackoverflow import vocab as vocab_lib
from federax.simulation.baselines.stackoverflow import word_prediction_models
from federax.simulation.baselines.stackoverflow import (
    word_prediction_preprocessing as preprocessing)

_NAME = 'create_word_prediction_task'


def create_word_prediction_task_from_datasets(
    train_client_spec, eval_client_spec, sequence_length: int, vocab,
    num_out_of_vocab_buckets: int, train_data, test_data, validation_data,
    seed: int = 0):
  """The next-word task on given data and vocabulary (a list of words).

  Example:
    >>> from federax.simulation import baselines
    >>> from federax.simulation.baselines import synthetic
    >>> data = synthetic.stackoverflow()
    >>> task = create_word_prediction_task_from_datasets(
    ...     baselines.ClientSpec(1, 4), None, 8, ['how', 'to'], 1, data, data,
    ...     data)
    >>> print(task.datasets.element_type_structure)
    <int32[8],int32[8]>
  """
  vocab = list(vocab)
  special = preprocessing.get_special_tokens(len(vocab),
                                             num_out_of_vocab_buckets)
  pad, oov, eos = (special.padding, special.out_of_vocab,
                   special.end_of_sentence)
  extended_vocab_size = len(vocab) + special.get_number_of_special_tokens()
  return task_builder.build_task(
      name=_NAME, train_data=train_data, test_data=test_data,
      validation_data=validation_data,
      example_fn=preprocessing.create_preprocess_fn(
          vocab, sequence_length, num_out_of_vocab_buckets),
      train_client_spec=train_client_spec, eval_client_spec=eval_client_spec,
      eval_batch_size=64,
      module_fn=lambda: word_prediction_models.create_recurrent_model(
          extended_vocab_size, seed=seed),
      loss_fn=task_metrics.build_masked_sequence_loss([pad]),
      input_spec=((np.int32, [None, sequence_length]),
                  (np.int32, [None, sequence_length])),
      metrics_fns=task_metrics.build_token_metrics_fns({
          'accuracy': [pad],
          'accuracy_without_out_of_vocab': [pad] + oov,
          'accuracy_without_out_of_vocab_or_end_of_sentence':
              [pad, eos] + oov}),
      seed=seed)


def create_word_prediction_task(
    train_client_spec, eval_client_spec=None,
    sequence_length: int = preprocessing.DEFAULT_SEQUENCE_LENGTH,
    vocab_size: int = preprocessing.DEFAULT_WORD_VOCAB_SIZE,
    num_out_of_vocab_buckets: int = 1, cache_dir: str | None = None,
    use_synthetic_data: bool = False, word_counts=None, seed: int = 0):
  """TFF's `create_word_prediction_task`: predict the next word of a post.

  Each post becomes `sequence_length` word ids `(x, y)`
  (`word_prediction_preprocessing`) over the `vocab_size` most frequent
  words; the model is an embedding, an LSTM of 670 and projections
  (`word_prediction_models`). The loss is the cross-entropy over
  non-padding positions; metrics are `num_tokens`, `accuracy` and the
  accuracy without out-of-vocabulary (and end-of-sentence) targets, as
  TFF's. Data: Stack Overflow's train, held-out (validation) and test
  splits (a large download into `cache_dir`), or three small clients with
  `use_synthetic_data=True`.

  The vocabulary (federax: `word_counts`, a dict word -> count, most
  frequent first) defaults to TFF's published word counts, downloaded once;
  when they cannot be had (offline with nothing cached) it is counted over
  1,000 training clients, with a warning. With synthetic data it is the
  synthetic posts' words. `seed` (federax) seeds the initial weights and
  the shuffling.

  Example:
    >>> import federax as fx
    >>> task = fx.simulation.baselines.stackoverflow.create_word_prediction_task(
    ...     fx.simulation.baselines.ClientSpec(num_epochs=1, batch_size=4),
    ...     use_synthetic_data=True)
    >>> print(task.datasets.element_type_structure)
    <int32[20],int32[20]>
  """
  for name, value in (('sequence_length', sequence_length),
                      ('vocab_size', vocab_size),
                      ('num_out_of_vocab_buckets', num_out_of_vocab_buckets)):
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
      raise ValueError(f'{_NAME}: {name}: expected an int >= 1, got '
                       f'{value!r}.')
  if use_synthetic_data:
    from federax.simulation.baselines import synthetic
    train = validation = test = synthetic.stackoverflow()
    if word_counts is None:
      word_counts = synthetic.stackoverflow_word_counts()
  else:
    from federax.simulation.datasets import stackoverflow
    train, validation, test = stackoverflow.load_data(cache_dir=cache_dir)
  word_counts = vocab_lib.counts_for_task('word', word_counts, train,
                                          cache_dir, _NAME)
  vocab = list(word_counts)[:vocab_size]
  return create_word_prediction_task_from_datasets(
      train_client_spec, eval_client_spec, sequence_length, vocab,
      num_out_of_vocab_buckets, train, test, validation, seed)
