"""FedEval: the model's metrics over every client's examples."""

import functools

import jax
import numpy as np
import pytest

import federax as fx
from algorithm_testing import assert_allclose, linear_model, on_both_backends

models = fx.learning.models
SIZES = (3, 5, 8)


def _predict(weights, x, training=True):
  del training
  (w, b), _ = weights
  return x @ w + b


def _classifier():
  return models.FunctionalModel(
      initial_weights=((np.zeros((2, 3), np.float32),
                        np.zeros(3, np.float32)), ()),
      predict_on_batch_fn=_predict,
      loss_fn=models.sparse_categorical_crossentropy,
      metrics_fns=models.build_mean_metrics_fns(
          accuracy=models.sparse_categorical_accuracy),
      input_spec=((np.float32, [None, 2]), (np.int32, [None])))


@functools.lru_cache(maxsize=None)
def _fed_eval():
  return fx.learning.algorithms.build_fed_eval(
      _classifier(), client_spec=fx.learning.ClientSpec(batch_size=2))


def _data(seed):
  rng = np.random.default_rng(seed)
  return [(rng.normal(size=(n, 2)).astype(np.float32),
           rng.integers(0, 3, size=n).astype(np.int32)) for n in SIZES]


def _weights(seed=0):
  rng = np.random.default_rng(seed)
  return models.ModelWeights(
      trainable=(rng.normal(size=(2, 3)).astype(np.float32),
                 rng.normal(size=3).astype(np.float32)), non_trainable=())


def _by_hand(weights, *rounds):
  """Loss and accuracy over every example of every round, in plain JAX."""
  x = np.concatenate([x for data in rounds for x, _ in data])
  y = np.concatenate([y for data in rounds for _, y in data])
  (w, b), _ = weights
  logits = x @ w + b
  log_p = jax.nn.log_softmax(logits, axis=-1)
  loss = -np.mean(np.take_along_axis(np.asarray(log_p), y[:, None], 1))
  accuracy = np.mean(np.argmax(logits, axis=-1) == y)
  return loss, accuracy, len(y)


def _evaluate(weights, *rounds):
  process = _fed_eval()
  state = process.set_model_weights(process.initialize(), weights)
  history = []
  for data in rounds:
    state, metrics = process.next(state, data)
    history.append(metrics)
  return state, history


def test_metrics_equal_a_hand_computation_and_accumulate():
  weights, first, second = _weights(), _data(1), _data(2)
  (state, history), on_interpreter = on_both_backends(
      lambda: _evaluate(weights, first, second))
  assert_allclose((state, history), on_interpreter)
  for metrics, rounds in ((history[0], [first]),
                          (history[1], [second])):
    current = metrics['client_work']['eval']['current_round_metrics']
    loss, accuracy, n = _by_hand(weights, *rounds)
    assert float(current['loss']) == pytest.approx(loss, rel=1e-5)
    assert float(current['accuracy']) == pytest.approx(accuracy, rel=1e-6)
    assert int(current['num_examples']) == n
    assert int(current['num_batches']) == 2 + 3 + 4
  total = history[1]['client_work']['eval']['total_rounds_metrics']
  loss, accuracy, n = _by_hand(weights, first, second)
  assert float(total['loss']) == pytest.approx(loss, rel=1e-5)
  assert float(total['accuracy']) == pytest.approx(accuracy, rel=1e-6)
  assert (int(total['num_examples']), int(total['num_batches'])) == (32, 18)
  first_total = history[0]['client_work']['eval']['total_rounds_metrics']
  assert_allclose(first_total,
                  history[0]['client_work']['eval']['current_round_metrics'])
  # The weights are evaluated, never changed.
  assert_allclose(_fed_eval().get_model_weights(state), weights)


def test_metrics_structure_is_tff_s():
  process = _fed_eval()
  metrics_type = process.next.type_signature.result.metrics.member
  assert str(metrics_type.client_work) == (
      '<eval=<current_round_metrics=<accuracy=float32,loss=float32,'
      'num_examples=int32,num_batches=int32>,total_rounds_metrics=<'
      'accuracy=float32,loss=float32,num_examples=int32,num_batches=int32>>>')
  assert str(metrics_type.finalizer) == '<>'


def test_evaluates_the_initial_weights_by_default():
  process = fx.learning.algorithms.build_fed_eval(linear_model())
  x = np.ones((4, 2), np.float32)
  _, metrics = process.next(process.initialize(),
                            [(x, np.full(4, 2.0, np.float32))])
  current = metrics['client_work']['eval']['current_round_metrics']
  assert float(current['loss']) == 4.0  # Zero weights predict 0.


def test_errors_name_the_argument():
  with pytest.raises(TypeError, match='model_fn: expected a federax Model'):
    fx.learning.algorithms.build_fed_eval(3)
  with pytest.raises(TypeError, match='metrics_aggregator: expected a '
                     'function'):
    fx.learning.algorithms.build_fed_eval(linear_model(),
                                          metrics_aggregator=3)
  with pytest.raises(TypeError, match='client_spec: expected'):
    fx.learning.algorithms.build_fed_eval(linear_model(), client_spec=2)
