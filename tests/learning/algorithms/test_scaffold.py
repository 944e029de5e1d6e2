"""SCAFFOLD with control variates computed every round at the server model."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import federax as fx
from algorithm_testing import (assert_allclose, linear_model, mse,
                               on_both_backends, regression_data, run,
                               sgd_steps, trainable_of, union)

algorithms = fx.learning.algorithms
ZERO = (np.zeros(2, np.float32), np.zeros((), np.float32))


@functools.lru_cache(maxsize=None)
def _scaffold(client_lr=0.05):
  """SCAFFOLD with batches of 2 in order (shared: compiled once)."""
  return algorithms.build_scaffold(
      linear_model(), client_lr,
      client_spec=fx.learning.ClientSpec(batch_size=2, shuffle=False))


def test_one_full_batch_step_is_fed_sgd():
  data = regression_data(seed=7)
  # One local step on a batch holding all of a client's data: every client
  # moves by client_lr * c, so the round is a FedSGD step of size
  # client_lr * server_lr.
  scaffold = algorithms.build_scaffold(
      linear_model(), 0.2, server_learning_rate=0.5,
      client_spec=fx.learning.ClientSpec(batch_size=8))
  fed_sgd = algorithms.build_fed_sgd(
      linear_model(), fx.learning.optimizers.build_sgdm(0.1))
  scaffold_state, scaffold_metrics = run(scaffold, data, rounds=3)
  sgd_state, sgd_metrics = run(fed_sgd, data, rounds=3)
  assert_allclose(trainable_of(scaffold, scaffold_state),
                  trainable_of(fed_sgd, sgd_state))
  assert_allclose(scaffold_metrics[-1]['client_work']['train'],
                  sgd_metrics[-1]['client_work']['train'])


def _scaffold_round(trainable, data, lr, batch_size, server_lr=1.0):
  controls = [jax.grad(mse)(trainable, x, y) for x, y in data]
  sizes = [len(y) for _, y in data]
  c = jax.tree.map(lambda *v: sum(n * g for n, g in zip(sizes, v)) /
                   sum(sizes), *controls)
  deltas = []
  for (x, y), c_i in zip(data, controls):
    correction = jax.tree.map(jnp.subtract, c, c_i)
    trained = sgd_steps(trainable, x, y, lr, batch_size, correction)
    deltas.append(jax.tree.map(jnp.subtract, trained, trainable))
  mean = jax.tree.map(lambda *v: sum(n * d for n, d in zip(sizes, v)) /
                      sum(sizes), *deltas)
  return jax.tree.map(lambda w, d: w + server_lr * d, trainable, mean)


def test_several_local_steps_match_a_hand_written_round_on_both_backends():
  data = regression_data(seed=8)
  (state, metrics), on_interpreter = on_both_backends(
      lambda: run(_scaffold(), data, rounds=2))
  assert_allclose((state, metrics), on_interpreter)
  expected = _scaffold_round(_scaffold_round(ZERO, data, 0.05, 2), data,
                             0.05, 2)
  assert_allclose(trainable_of(_scaffold(), state), expected)
  train = metrics[-1]['client_work']['train']
  assert int(train['num_examples']) == 16
  assert int(train['num_batches']) == 2 + 3 + 4
  assert int(state.client_work['round_num']) == 2


def _fed_avg_round(trainable, data, lr, batch_size):
  sizes = [len(y) for _, y in data]
  trained = [sgd_steps(trainable, x, y, lr, batch_size) for x, y in data]
  return jax.tree.map(lambda *v: sum(n * t for n, t in zip(sizes, v)) /
                      sum(sizes), *trained)


def test_trains_on_non_iid_clients_at_least_as_well_as_fed_avg():
  # Clients whose inputs and targets drift apart: FedAvg's local steps pull
  # each client towards its own optimum; SCAFFOLD's corrections do not.
  data = regression_data(seed=9, shift=1.0)
  x, y = union(data)
  state, history = run(_scaffold(), data, rounds=15)
  losses = [float(m['client_work']['train']['loss']) for m in history]
  assert losses[-1] < 0.5 * losses[0]
  scaffold_loss = float(mse(trainable_of(_scaffold(), state), x, y))
  fed_avg = ZERO
  for _ in range(15):
    fed_avg = _fed_avg_round(fed_avg, data, 0.05, 2)
  assert scaffold_loss <= float(mse(fed_avg, x, y)) * (1 + 1e-4)


def test_hparams_are_the_client_learning_rate():
  process = _scaffold()
  state = process.initialize()
  hparams = process.get_hparams(state)
  assert float(hparams['client_work']['learning_rate']) == pytest.approx(0.05)
  assert float(hparams['finalizer']['learning_rate']) == 1.0
  hparams['client_work']['learning_rate'] = np.float32(0.5)
  state = process.set_hparams(state, hparams)
  assert float(process.get_hparams(state)['client_work'][
      'learning_rate']) == 0.5


def test_errors_name_the_argument():
  with pytest.raises(ValueError, match='client_learning_rate: expected a '
                     'finite float > 0, got -0.1'):
    algorithms.build_scaffold(linear_model(), -0.1)
  with pytest.raises(ValueError, match='server_learning_rate: expected a '
                     'finite float > 0, got 0'):
    algorithms.build_scaffold(linear_model(), 0.1, 0)
  with pytest.raises(TypeError, match='client_learning_rate: expected a '
                     'float > 0, got str'):
    algorithms.build_scaffold(linear_model(), '0.1')
  with pytest.raises(TypeError, match='model_distributor: expected'):
    algorithms.build_scaffold(linear_model(), 0.1, model_distributor=1)
