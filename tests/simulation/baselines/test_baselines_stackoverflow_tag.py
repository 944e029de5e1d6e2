"""Stack Overflow tag prediction: bags of words, multi-label metrics."""

import numpy as np
import pytest

import federax as fx
from federax.simulation import baselines
from federax.simulation.baselines import task_metrics
from federax.simulation.baselines.stackoverflow import tag_prediction_tasks

import baselines_testing


def test_posts_become_bags_of_words_and_tag_vectors():
  fn = tag_prediction_tasks.create_preprocess_fn(['b', 'a'], ['t1', 't2'])
  data = fx.simulation.datasets.Dataset.from_examples([
      {'tokens': b'a a  x', 'title': b'b', 'tags': b't2|t9|t1'},
      {'tokens': b'', 'title': b'', 'tags': b'zz'}])
  (x1, y1), (x2, y2) = list(fn(data))
  assert x1.tolist() == [0.25, 0.5] and y1.tolist() == [1.0, 1.0]
  assert x2.tolist() == [0.0, 0.0] and y2.tolist() == [0.0, 0.0]  # no NaN


def test_loss_precision_and_recall_at_5():
  rng = np.random.default_rng(0)
  logits = rng.normal(size=(4, 8)).astype(np.float32)
  labels = (rng.uniform(size=(4, 8)) < 0.4).astype(np.float32)
  mask = np.array([1, 1, 1, 0], np.float32)
  p = 1 / (1 + np.exp(-logits.astype(np.float64)))
  bce = -(labels * np.log(p) + (1 - labels) * np.log(1 - p)).mean(-1)
  np.testing.assert_allclose(
      task_metrics.binary_crossentropy(logits, labels, mask), bce[:3].mean(),
      rtol=1e-5)
  init, update, finalize = task_metrics.build_multilabel_metrics_fns(5)
  out = fx.learning.models.BatchOutput(loss=0.0, predictions=logits,
                                       num_examples=3)
  result = finalize(update(init(), labels, out, mask))
  predicted = (p > 0.5)[:3]
  truth = labels[:3] > 0
  top5 = np.argsort(-logits, axis=-1)[:3, :5]
  in_top5 = np.zeros_like(predicted)
  np.put_along_axis(in_top5, top5, True, axis=-1)
  np.testing.assert_allclose(result['precision'],
                             (predicted & truth).sum() / predicted.sum())
  np.testing.assert_allclose(result['recall_at_5'],
                             (predicted & in_top5 & truth).sum() / truth.sum())


def test_task_trains_one_round():
  task = baselines.stackoverflow.create_tag_prediction_task(
      baselines.ClientSpec(num_epochs=2, batch_size=2),
      word_vocab_size=30, tag_vocab_size=5, use_synthetic_data=True)
  example = baselines_testing.check_spec(task)
  assert str(example) == '<float32[30],float32[5]>'
  assert task.eval_client_spec.batch_size == 100
  _, _, train = baselines_testing.one_round(task, learning_rate=0.5)
  assert sorted(train) == ['loss', 'num_batches', 'num_examples',
                           'precision', 'recall_at_5']


def test_given_vocabularies_are_used():
  task = baselines.stackoverflow.create_tag_prediction_task(
      baselines.ClientSpec(1, 2), use_synthetic_data=True,
      word_counts={'sql': 1, 'java': 1}, tag_counts=['sql'])
  assert str(task.datasets.element_type_structure) == (
      '<float32[2],float32[1]>')
  with pytest.raises(ValueError, match='tag_vocab_size'):
    baselines.stackoverflow.create_tag_prediction_task(
        baselines.ClientSpec(1, 2), tag_vocab_size=0, use_synthetic_data=True)
