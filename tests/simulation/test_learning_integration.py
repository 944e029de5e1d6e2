"""Datasets and ClientData feed learning processes on every backend.

A process batches each client's examples itself (`fx.learning.ClientSpec`:
padded batches with a mask), so client datasets are passed unbatched; a
pipeline of `shuffle`/`take`/`map` runs before. `Dataset.padded_batch`
makes the very batches and masks the process trains on.
"""

import functools

import numpy as np
import pytest

import federax as fx

datasets = fx.simulation.datasets
LR = 0.1


def _model():
  return fx.learning.models.FunctionalModel(
      initial_weights=((np.zeros(2, np.float32),), ()),
      predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
      loss_fn=fx.learning.models.mean_squared_error,
      input_spec=((np.float32, [None, 2]), (np.float32, [None])))


def _client_data():
  rng = np.random.default_rng(0)
  clients = {}
  for i, n in enumerate((5, 3, 7)):
    x = rng.normal(size=(n, 2)).astype(np.float32)
    clients[f'c{i}'] = (x, (x @ np.array([1.0, -2.0]) + i).astype(np.float32))
  return clients


@functools.cache
def _process(batch_size=2, shuffle=True):
  return fx.learning.algorithms.build_weighted_fed_avg(
      _model(), client_optimizer_fn=fx.learning.optimizers.build_sgdm(LR),
      client_spec=fx.learning.ClientSpec(batch_size=batch_size,
                                         shuffle=shuffle))


def _weights(process, state):
  return np.asarray(process.get_model_weights(state).trainable[0])


def test_client_datasets_train_like_their_arrays():
  arrays = _client_data()
  cd = datasets.ClientData.from_arrays(arrays)
  process = _process()
  state = process.initialize()
  from_datasets = process.next(
      state, [cd.create_dataset_for_client(c) for c in cd.client_ids])
  from_arrays = process.next(state, [arrays[c] for c in cd.client_ids])
  np.testing.assert_array_equal(_weights(process, from_datasets.state),
                                _weights(process, from_arrays.state))
  assert int(from_datasets.metrics['client_work']['train'][
      'num_examples']) == 15


def test_a_preprocessing_pipeline_feeds_the_process():
  cd = datasets.ClientData.from_arrays(_client_data()).preprocess(
      lambda ds: ds.shuffle(10, seed=1).take(6).map(
          lambda e: (e[0] * 2, e[1])))
  client_datasets = [cd.create_dataset_for_client(c) for c in cd.client_ids]
  by_hand = []
  for ds in client_datasets:
    examples = list(ds)
    by_hand.append((np.stack([e[0] for e in examples]),
                    np.stack([e[1] for e in examples])))
  process = _process()
  state = process.initialize()
  got = process.next(state, client_datasets)
  want = process.next(state, by_hand)
  np.testing.assert_array_equal(_weights(process, got.state),
                                _weights(process, want.state))
  assert int(got.metrics['client_work']['train']['num_examples']) == 14
