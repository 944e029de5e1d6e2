"""Ready personalization strategies: evaluate, or fine-tune then evaluate.

`build_personalization_eval_computation` takes a `baseline_evaluate_fn(
model, weights, test_data)` and strategies `fn(model, weights, train_data,
test_data)`, pure JAX functions of one client's data (`fx.Sequence`s of
examples) returning a dict of metrics. These builders make the common
ones: evaluation, and fine-tuning with an optimizer (as `ClientSpec` says)
followed by evaluation.
"""

from __future__ import annotations

import collections

from federax.learning import client_spec as client_spec_lib
from federax.learning import local_training
from federax.learning import metrics as metrics_lib
from federax.learning.optimizers import hparams as opt_hparams


def _check_batch_size(batch_size, who: str) -> int:
  if not isinstance(batch_size, int) or isinstance(batch_size, bool) or (
      batch_size < 1):
    raise ValueError(f'{who}: eval_batch_size: expected an int >= 1, got '
                     f'{batch_size!r}.')
  return batch_size


def evaluate_metrics(model, weights, data, batch_size: int
                     ) -> collections.OrderedDict:
  """The finalized metrics of `weights` on a client's `data`.

  The model's own metrics, `loss` (the mean over examples) and
  `num_examples`, computed with `training=False` in batches of
  `batch_size` (the result does not depend on it).

  Example:
    >>> import jax, numpy as np, federax as fx
    >>> from federax.learning.algorithms import personalization_strategies
    >>> model = fx.learning.models.FunctionalModel(
    ...     initial_weights=((np.ones(2, np.float32),), ()),
    ...     predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...     loss_fn=fx.learning.models.mean_squared_error,
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> @fx.jax_computation(fx.SequenceType(
    ...     fx.learning.models.example_type(model)))
    ... def evaluate(data):
    ...   return personalization_strategies.evaluate_metrics(
    ...       model, model.initial_weights, data, batch_size=2)
    >>> x = np.ones((3, 2), np.float32)
    >>> metrics = evaluate((x, np.zeros(3, np.float32)))
    >>> float(metrics['loss']), int(metrics['num_examples'])
    (4.0, 3)
  """
  result = local_training.evaluate(model, weights, data, batch_size)
  finalized = metrics_lib.finalizers_of(model)(
      metrics_lib.unfinalized_metrics(model, result))
  del finalized['num_batches']
  return finalized


def build_evaluate_fn(eval_batch_size: int = 64):
  """A `baseline_evaluate_fn`: the model's metrics on the test data.

  Returns `fn(model, weights, test_data) -> metrics` (see
  `evaluate_metrics`).

  Example:
    >>> import federax as fx
    >>> evaluate_fn = fx.learning.algorithms.build_evaluate_fn(32)
    >>> callable(evaluate_fn)
    True
  """
  batch_size = _check_batch_size(eval_batch_size, 'build_evaluate_fn')

  def evaluate_fn(model, weights, test_data):
    return evaluate_metrics(model, weights, test_data, batch_size)

  return evaluate_fn


def build_finetune_eval_fn(optimizer, client_spec=None,
                           eval_batch_size: int = 64):
  """A personalization strategy: fine-tune on the train data, then evaluate.

  Returns `fn(model, weights, train_data, test_data) -> metrics`: trains
  `weights` with `optimizer` (an optax `GradientTransformation`, or a
  function with no argument returning one) over the client's train data
  as `client_spec` says (epochs, batch size, seeded shuffling, a cap on
  steps), then evaluates the fine-tuned weights on the test data (see
  `evaluate_metrics`). Each client shuffles with a key from the spec's
  seed and its own data, so results are deterministic.

  Example:
    >>> import federax as fx
    >>> finetune = fx.learning.algorithms.build_finetune_eval_fn(
    ...     fx.learning.optimizers.build_sgdm(0.1),
    ...     fx.learning.ClientSpec(num_epochs=3, batch_size=8))
    >>> callable(finetune)
    True
  """
  optimizer = opt_hparams.as_optimizer(optimizer, 'build_finetune_eval_fn: '
                                       'optimizer')
  spec = client_spec_lib.check(client_spec)
  batch_size = _check_batch_size(eval_batch_size, 'build_finetune_eval_fn')

  def finetune_eval_fn(model, weights, train_data, test_data):
    stacked, length, _ = local_training.batching.examples(train_data)
    key = local_training.client_key(spec.seed, 0, stacked, length)
    trained = local_training.train(model, optimizer, weights, train_data,
                                   spec, key)
    return evaluate_metrics(model, trained.weights, test_data, batch_size)

  return finetune_eval_fn
