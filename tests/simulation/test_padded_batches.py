"""Padded batches are the batches a learning process trains on.

A process batches each client's examples itself (`fx.learning.ClientSpec`:
padded batches with a mask), so client datasets are passed unbatched; a
pipeline of `shuffle`/`take`/`map` runs before. `Dataset.padded_batch`
makes the very batches and masks the process trains on.
"""

import functools

import jax
import jax.numpy as jnp
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


def _sgd_on_padded_batches(ds, batch_size):
  """Local SGD by hand on `ds.padded_batch`: masked mean loss per batch."""
  w = jnp.zeros(2, jnp.float32)

  def loss(w, x, y, mask):
    return jnp.sum(mask * (x @ w - y) ** 2) / jnp.sum(mask)

  for (x, y), mask in ds.padded_batch(batch_size):
    w = w - LR * jax.grad(loss)(w, x, y, mask)
  return np.asarray(w)


@pytest.mark.parametrize('backend', ['jax', 'interpreter'])
def test_padded_batches_are_the_process_batches(backend):
  x, y = _client_data()['c2']  # 7 examples: batches of 3, 3 and 1 + 2 pad.
  ds = datasets.Dataset.from_tensor_slices((x, y))
  context = {'jax': fx.backends.jax.create_jax_context,
             'interpreter':
                 fx.backends.interpreter.create_interpreter_context}[backend]
  process = _process(batch_size=3, shuffle=False)
  with fx.framework.install_context(context()):
    state = process.next(process.initialize(), [ds]).state
  np.testing.assert_allclose(_weights(process, state),
                             _sgd_on_padded_batches(ds, 3), rtol=1e-5)


def test_sampled_round_with_stragglers():
  cd = datasets.ClientData.from_arrays(_client_data())
  sample = fx.simulation.build_uniform_sampling_fn(cd.client_ids,
                                                   random_seed=0, size=3)
  stragglers = fx.simulation.build_straggler_fn(
      dropout_rate=0.4, partial_rate=0.5, random_seed=0)
  process = _process(batch_size=3, shuffle=False)
  state = process.initialize()
  for round_num in range(1):
    ids = sample(round_num)
    out = stragglers(round_num, ids, [cd.create_dataset_for_client(c)
                                      for c in ids])
    state, metrics = process.next(state, out.datasets)
    assert int(metrics['client_work']['train']['num_examples']) == sum(
        len(d) for d in out.datasets)
