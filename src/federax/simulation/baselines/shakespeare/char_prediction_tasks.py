"""Shakespeare next-character prediction (TFF's `baselines.shakespeare`)."""

from __future__ import annotations

import numpy as np

from federax.simulation.baselines import task_builder
from federax.simulation.baselines import task_metrics
from federax.simulation.baselines.shakespeare import char_prediction_models
from federax.simulation.baselines.shakespeare import (
    char_prediction_preprocessing as preprocessing)

# The characters plus padding, out-of-vocabulary, begin and end ids.
VOCAB_LENGTH = len(preprocessing.CHAR_VOCAB) + 4
DEFAULT_SEQUENCE_LENGTH = preprocessing.DEFAULT_SEQUENCE_LENGTH


def create_character_prediction_task_from_datasets(
    train_client_spec, eval_client_spec, sequence_length: int, train_data,
    test_data, seed: int = 0):
  """The Shakespeare task on given `ClientData` (`{'snippets': bytes}`).

  Example:
    >>> from federax.simulation import baselines
    >>> from federax.simulation.baselines import synthetic
    >>> data = synthetic.shakespeare()
    >>> task = create_character_prediction_task_from_datasets(
    ...     baselines.ClientSpec(1, 4), None, 10, data, data)
    >>> print(task.datasets.element_type_structure)
    <int32[10],int32[10]>
  """
  if not isinstance(sequence_length, int) or sequence_length < 1:
    raise ValueError(f'create_character_prediction_task: sequence_length: '
                     f'expected an int >= 1, got {sequence_length!r}.')
  pad, _, _, _ = preprocessing.get_special_tokens()
  return task_builder.build_task(
      name='create_character_prediction_task', train_data=train_data,
      test_data=test_data,
      example_fn=preprocessing.create_preprocess_fn(sequence_length),
      train_client_spec=train_client_spec, eval_client_spec=eval_client_spec,
      eval_batch_size=32,
      module_fn=lambda: char_prediction_models.create_recurrent_model(
          VOCAB_LENGTH, sequence_length, seed=seed),
      loss_fn=task_metrics.build_masked_sequence_loss([pad]),
      input_spec=((np.int32, [None, sequence_length]),
                  (np.int32, [None, sequence_length])),
      metrics_fns=task_metrics.build_token_metrics_fns({'accuracy': [pad]}),
      seed=seed)


def create_character_prediction_task(
    train_client_spec, eval_client_spec=None,
    sequence_length: int = DEFAULT_SEQUENCE_LENGTH,
    cache_dir: str | None = None, use_synthetic_data: bool = False,
    seed: int = 0):
  """TFF's `create_character_prediction_task`: predict the next character.

  Clients are characters of Shakespeare's plays; each snippet becomes
  sequences of `sequence_length` character ids `(x, y)`, y shifted by one
  (`char_prediction_preprocessing`), and the model (embedding, two LSTMs
  of 256, dense; `char_prediction_models`) predicts a logit per id for
  every position. The loss is the cross-entropy over non-padding
  positions; metrics are `accuracy` (padding excluded) and `num_tokens`.
  `task.client_spec` batches sequences (TFF's `max_elements` counts
  snippets; federax's counts sequences). Train and test on the dataset's
  splits (downloaded once into `cache_dir`), or on three small clients of
  famous lines with `use_synthetic_data=True`. `seed` (federax) seeds the
  initial weights and the shuffling.

  Example:
    >>> import federax as fx
    >>> task = fx.simulation.baselines.shakespeare.create_character_prediction_task(
    ...     fx.simulation.baselines.ClientSpec(num_epochs=1, batch_size=4),
    ...     use_synthetic_data=True)
    >>> print(fx.learning.models.batch_type(task.model_fn()))
    <int32[?,80],int32[?,80]>
  """
  if use_synthetic_data:
    from federax.simulation.baselines import synthetic
    train_data = test_data = synthetic.shakespeare()
  else:
    from federax.simulation.datasets import shakespeare
    train_data, test_data = shakespeare.load_data(cache_dir=cache_dir)
  return create_character_prediction_task_from_datasets(
      train_client_spec, eval_client_spec, sequence_length, train_data,
      test_data, seed)
