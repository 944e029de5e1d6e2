"""Stack Overflow tag prediction (TFF's `baselines.stackoverflow` task).

A post is a bag of words: the frequency of each vocabulary word among the
words of its `tokens` and `title` (out-of-vocabulary words count in the
total, as in TFF); its label marks the vocabulary tags of its `tags`
('|'-separated). The model is multi-label logistic regression: one dense
layer to a logit per tag.
"""

from __future__ import annotations

import functools

import numpy as np

from federax.simulation.baselines import task_builder
from federax.simulation.baselines import task_metrics
from federax.simulation.baselines.stackoverflow import vocab as vocab_lib
from federax.simulation.baselines.stackoverflow import (
    word_prediction_preprocessing as word_preprocessing)

_NAME = 'create_tag_prediction_task'


def build_to_ids_fn(word_vocab, tag_vocab):
  """`example -> (words float32[W], tags float32[T])`.

  Example:
    >>> to_ids = build_to_ids_fn(['a', 'b'], ['x', 'y'])
    >>> words, tags = to_ids(
    ...     {'tokens': b'a b a', 'title': b'c', 'tags': b'y|z'})
    >>> words.tolist(), tags.tolist()
    ([0.5, 0.25], [0.0, 1.0])
  """
  words = {w.encode() if isinstance(w, str) else bytes(w): i
           for i, w in enumerate(word_vocab)}
  tags = {t.encode() if isinstance(t, str) else bytes(t): i
          for i, t in enumerate(tag_vocab)}

  def to_ids(example):
    text = bytes(example['tokens']) + b' ' + bytes(example['title'])
    x = np.zeros(len(words), np.float32)
    tokens = text.split()
    for token in tokens:
      i = words.get(token)
      if i is not None:
        x[i] += 1.0
    if tokens:
      x /= len(tokens)
    y = np.zeros(len(tags), np.float32)
    for tag in bytes(example['tags']).split(b'|'):
      i = tags.get(tag)
      if i is not None:
        y[i] += 1.0
    return x, y

  return to_ids


def create_preprocess_fn(word_vocab, tag_vocab):
  """`Dataset -> Dataset` of `(bag of words, tags)` float32 vectors.

  Example:
    >>> from federax.simulation.baselines import synthetic
    >>> data = synthetic.stackoverflow().preprocess(
    ...     create_preprocess_fn(['how', 'to', 'java'], ['java', 'python']))
    >>> print(data.element_type_structure)
    <float32[3],float32[2]>
  """
  if not word_vocab or not tag_vocab:
    raise ValueError('create_preprocess_fn: word_vocab and tag_vocab: '
                     'expected at least one entry each, got '
                     f'{len(word_vocab)} words and {len(tag_vocab)} tags.')
  to_ids = build_to_ids_fn(word_vocab, tag_vocab)
  return lambda dataset: dataset.map(to_ids)


@functools.cache
def _logistic_regression_class():
  from federax.learning.models import flax_model
  nnx = flax_model.import_flax_nnx()

  class LogisticRegression(nnx.Module):
    """One dense layer: a logit per tag."""

    def __init__(self, input_size, output_size, init):
      self.dense = nnx.Linear(input_size, output_size,
                              kernel_init=init.glorot_uniform(),
                              bias_init=init.zeros(), rngs=nnx.Rngs(0))

    def __call__(self, x):
      return self.dense(x)

  return LogisticRegression


def create_logistic_regression_model(input_size: int, output_size: int,
                                     seed: int = 0):
  """Dense `input_size -> output_size` logits (TFF: sigmoid outputs).

  Example:
    >>> import jax, numpy as np
    >>> jax.eval_shape(create_logistic_regression_model(4, 3),
    ...                np.ones((2, 4), np.float32)).shape
    (2, 3)
  """
  from federax.simulation.baselines import layers
  return _logistic_regression_class()(input_size, output_size,
                                      layers.NumpyInit(seed))


def create_tag_prediction_task(
    train_client_spec, eval_client_spec=None,
    word_vocab_size: int = word_preprocessing.DEFAULT_WORD_VOCAB_SIZE,
    tag_vocab_size: int = word_preprocessing.DEFAULT_TAG_VOCAB_SIZE,
    use_synthetic_data: bool = False, cache_dir: str | None = None,
    word_counts=None, tag_counts=None, seed: int = 0):
  """TFF's `create_tag_prediction_task`: predict a post's tags.

  Bag-of-words inputs over the `word_vocab_size` most frequent words,
  labels over the `tag_vocab_size` most frequent tags. The loss is the
  sigmoid cross-entropy, the mean over tags and examples (TFF sums over
  the batch: scale learning rates by the batch size to compare);
  metrics are `precision` and `recall_at_5`. Evaluation batches hold 100
  posts. Data and vocabularies as for `create_word_prediction_task`
  (`cache_dir`, `word_counts` and `tag_counts` are federax additions;
  TFF also downloads the real vocabularies for synthetic data, federax
  uses the synthetic posts').

  Example:
    >>> import federax as fx
    >>> task = fx.simulation.baselines.stackoverflow.create_tag_prediction_task(
    ...     fx.simulation.baselines.ClientSpec(num_epochs=1, batch_size=4),
    ...     use_synthetic_data=True)
    >>> print(task.datasets.element_type_structure)
    <float32[46],float32[8]>
  """
  for name, value in (('word_vocab_size', word_vocab_size),
                      ('tag_vocab_size', tag_vocab_size)):
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
      raise ValueError(f'{_NAME}: {name}: expected an int >= 1, got '
                       f'{value!r}.')
  if use_synthetic_data:
    from federax.simulation.baselines import synthetic
    train = validation = test = synthetic.stackoverflow()
    if word_counts is None:
      word_counts = synthetic.stackoverflow_word_counts()
    if tag_counts is None:
      tag_counts = synthetic.stackoverflow_tag_counts()
  else:
    from federax.simulation.datasets import stackoverflow
    train, validation, test = stackoverflow.load_data(cache_dir=cache_dir)
  word_vocab = list(vocab_lib.counts_for_task(
      'word', word_counts, train, cache_dir, _NAME))[:word_vocab_size]
  tag_vocab = list(vocab_lib.counts_for_task(
      'tag', tag_counts, train, cache_dir, _NAME))[:tag_vocab_size]
  return task_builder.build_task(
      name=_NAME, train_data=train, test_data=test,
      validation_data=validation,
      example_fn=create_preprocess_fn(word_vocab, tag_vocab),
      train_client_spec=train_client_spec, eval_client_spec=eval_client_spec,
      eval_batch_size=100,
      module_fn=lambda: create_logistic_regression_model(
          len(word_vocab), len(tag_vocab), seed),
      loss_fn=task_metrics.binary_crossentropy,
      input_spec=((np.float32, [None, len(word_vocab)]),
                  (np.float32, [None, len(tag_vocab)])),
      metrics_fns=task_metrics.build_multilabel_metrics_fns(top_k=5),
      seed=seed)
