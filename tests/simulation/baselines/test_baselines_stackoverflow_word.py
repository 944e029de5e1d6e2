"""Stack Overflow next-word prediction and TFF's published vocabularies."""

import hashlib
import io
import json
import tarfile

import numpy as np
import pytest

import federax as fx
from federax.simulation import baselines
from federax.simulation.baselines.stackoverflow import vocab
from federax.simulation.baselines.stackoverflow import (
    word_prediction_preprocessing as preprocessing)

import baselines_testing
from simulation_http import FileServer

so = baselines.stackoverflow


def test_posts_become_padded_shifted_word_ids():
  special = so.get_special_tokens(3, num_out_of_vocab_buckets=2)
  assert special == (0, [4, 5], 6, 7) and (
      special.get_number_of_special_tokens() == 5)
  fn = preprocessing.create_preprocess_fn(['a', 'b', 'c'], sequence_length=4,
                                          num_out_of_vocab_buckets=2)
  data = fx.simulation.datasets.Dataset.from_examples(
      [{'tokens': b'c zz a'}, {'tokens': b'a b c a b'}])
  (x1, y1), (x2, y2) = list(fn(data))
  oov = x1[2]
  assert oov in (4, 5)
  assert (x1.tolist(), y1.tolist()) == ([6, 3, oov, 1], [3, oov, 1, 7])
  assert (x2.tolist(), y2.tolist()) == ([6, 1, 2, 3], [1, 2, 3, 1])  # cut
  short = list(preprocessing.create_preprocess_fn(['a'], 5)(
      fx.simulation.datasets.Dataset.from_examples([{'tokens': b'a'}])))
  assert short[0][1].tolist() == [1, 4, 0, 0, 0]   # a, eos, padding


def _tar_bz2(name, text):
  buffer = io.BytesIO()
  with tarfile.open(fileobj=buffer, mode='w:bz2') as tar:
    info = tarfile.TarInfo(name)
    info.size = len(text)
    tar.addfile(info, io.BytesIO(text))
  return buffer.getvalue()


def test_published_counts_download_once(tmp_path, monkeypatch):
  files = {
      'stackoverflow.word_count.tar.bz2': _tar_bz2(
          'stackoverflow.word_count', b'the 9\nto 7\nin 5\n'),
      'stackoverflow.tag_count.tar.bz2': _tar_bz2(
          'stackoverflow.tag_count', json.dumps({'c': 1, 'java': 8}).encode()),
  }
  monkeypatch.setattr(vocab, '_SHA256', {
      name[:-len('.tar.bz2')]: hashlib.sha256(data).hexdigest()
      for name, data in files.items()})
  cache = str(tmp_path / 'cache')
  with FileServer(files) as server:
    monkeypatch.setenv('FEDERAX_DATASETS_URL', server.url)
    assert list(so.load_word_counts(cache, vocab_size=2).items()) == [
        ('the', 9), ('to', 7)]
    assert list(so.load_word_counts(cache)) == ['the', 'to', 'in']
    assert list(so.load_tag_counts(cache).items()) == [('java', 8), ('c', 1)]
  assert sorted(r[0] for r in server.requests) == sorted(files)


def test_a_bad_checksum_is_an_error(tmp_path, monkeypatch):
  files = {'stackoverflow.tag_count.tar.bz2': _tar_bz2(
      'stackoverflow.tag_count', b'{}')}
  with FileServer(files) as server:
    monkeypatch.setenv('FEDERAX_DATASETS_URL', server.url)
    with pytest.raises(ValueError, match='SHA-256'):
      so.load_tag_counts(str(tmp_path))


def test_without_published_counts_the_vocabulary_is_counted(tmp_path,
                                                           monkeypatch):
  train = baselines.synthetic.stackoverflow()
  with FileServer({}) as server:
    monkeypatch.setenv('FEDERAX_DATASETS_URL', server.url)
    with pytest.warns(UserWarning, match='Counting words over 1000'):
      counts = vocab.counts_for_task('word', None, train, str(tmp_path), 'f')
  assert counts == so.counts_from_client_data(train)
  # Counts are users with a post holding the word, not occurrences.
  assert counts['a'] == 3 and counts['sql'] == 1


def test_task_trains_one_round_with_tffs_metrics():
  task = so.create_word_prediction_task(
      baselines.ClientSpec(num_epochs=1, batch_size=2),
      use_synthetic_data=True, vocab_size=20)
  example = baselines_testing.check_spec(task)
  assert str(example) == '<int32[20],int32[20]>'
  assert task.datasets.validation_data is not None
  assert task.eval_client_spec.batch_size == 64
  model = task.model_fn()
  assert model.trainable_variables['embedding']['embedding'].shape == (24, 96)
  assert model.trainable_variables['lstms']['0']['kernel'].shape == (96, 2680)
  _, _, train = baselines_testing.one_round(task)
  assert sorted(train) == [
      'accuracy', 'accuracy_without_out_of_vocab',
      'accuracy_without_out_of_vocab_or_end_of_sentence', 'loss',
      'num_batches', 'num_examples', 'num_tokens']
  assert int(train['num_tokens']) > int(train['num_examples'])


def test_word_task_arguments_are_checked():
  with pytest.raises(ValueError, match='vocab_size'):
    so.create_word_prediction_task(baselines.ClientSpec(1, 2), vocab_size=0,
                                   use_synthetic_data=True)
  with pytest.raises(TypeError, match='word_counts'):
    so.create_word_prediction_task(baselines.ClientSpec(1, 2),
                                   use_synthetic_data=True, word_counts=5)
