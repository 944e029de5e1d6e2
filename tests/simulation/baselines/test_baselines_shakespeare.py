"""Shakespeare next-character prediction: TFF's ids, sequences and masks."""

import jax
import numpy as np

import federax as fx
from federax.simulation import baselines
from federax.simulation.baselines import task_metrics
from federax.simulation.baselines.shakespeare import (
    char_prediction_preprocessing as preprocessing)

import baselines_testing


def test_snippets_become_shifted_id_sequences():
  assert baselines.shakespeare.VOCAB_LENGTH == 90
  pad, oov, bos, eos = preprocessing.get_special_tokens()
  vocab = preprocessing.CHAR_VOCAB
  snippet = b'To be\xe2'                     # a non-vocabulary byte
  ids = [bos] + [vocab.index(chr(c)) + 1 for c in b'To be'] + [oov, eos]
  data = fx.simulation.datasets.Dataset.from_examples(
      [{'snippets': snippet}, {'snippets': b''}])
  examples = list(preprocessing.create_preprocess_fn(4)(data))
  rows = [ids[:5], ids[5:] + [pad] * 2, [bos, eos, 0, 0, 0]]  # 8 ids, 5 a row
  assert [(x.tolist(), y.tolist()) for x, y in examples] == [
      (r[:-1], r[1:]) for r in rows]
  assert all(x.dtype == np.int32 for x, _ in examples)


def test_loss_and_accuracy_ignore_padding():
  rng = np.random.default_rng(0)
  logits = rng.normal(size=(3, 4, 6)).astype(np.float32)
  labels = np.array([[1, 2, 0, 0], [3, 3, 3, 5], [2, 0, 0, 0]], np.int32)
  row_mask = np.array([1.0, 1.0, 0.0], np.float32)   # the last row: padding
  log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
  real = (labels != 0) & (row_mask[:, None] > 0)
  nll = -np.take_along_axis(log_p, labels[..., None], -1)[..., 0]
  loss = task_metrics.build_masked_sequence_loss([0])(logits, labels,
                                                       row_mask)
  np.testing.assert_allclose(loss, nll[real].mean(), rtol=1e-5)
  init, update, finalize = task_metrics.build_token_metrics_fns(
      {'accuracy': [0]})
  output = fx.learning.models.BatchOutput(loss=loss, predictions=logits,
                                          num_examples=2)
  result = finalize(update(init(), labels, output, row_mask))
  hits = (logits.argmax(-1) == labels)[real]
  assert int(result['num_tokens']) == real.sum() == 6
  np.testing.assert_allclose(result['accuracy'], hits.mean(), rtol=1e-6)


def test_task_trains_one_round():
  task = baselines.shakespeare.create_character_prediction_task(
      baselines.ClientSpec(num_epochs=1, batch_size=4), sequence_length=10,
      use_synthetic_data=True)
  example = baselines_testing.check_spec(task)
  assert str(example) == '<int32[10],int32[10]>'
  model = task.model_fn()
  assert jax.eval_shape(model.predict_on_batch, model.initial_weights,
                        np.zeros((2, 10), np.int32)).shape == (2, 10, 90)
  _, _, train = baselines_testing.one_round(task)
  assert sorted(train) == ['accuracy', 'loss', 'num_batches', 'num_examples',
                           'num_tokens']
  assert 0 < int(train['num_tokens']) < 10 * int(train['num_examples'])
