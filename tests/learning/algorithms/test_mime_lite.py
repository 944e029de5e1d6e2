"""Mime Lite: FedAvg with a frozen, server-updated base optimizer state."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import federax as fx
from algorithm_testing import (assert_allclose, linear_model, mse,
                               on_both_backends, regression_data, run,
                               sgd_steps, trainable_of)

sgdm = fx.learning.optimizers.build_sgdm
algorithms = fx.learning.algorithms


def test_sgd_without_momentum_is_fed_avg():
  data = regression_data(seed=4)
  spec = fx.learning.ClientSpec(batch_size=2)  # Shuffled, as FedAvg does.
  mime = algorithms.build_weighted_mime_lite(linear_model(), sgdm(0.05),
                                             client_spec=spec)
  fed_avg = algorithms.build_weighted_fed_avg(linear_model(), sgdm(0.05),
                                              client_spec=spec)
  mime_state, mime_metrics = run(mime, data, rounds=3)
  avg_state, avg_metrics = run(fed_avg, data, rounds=3)
  assert_allclose(trainable_of(mime, mime_state),
                  trainable_of(fed_avg, avg_state))
  assert_allclose(mime_metrics[-1]['client_work']['train'],
                  avg_metrics[-1]['client_work']['train'])


def _mean(values, weights):
  total = sum(weights)
  return jax.tree.map(
      lambda *v: sum(w * x for w, x in zip(weights, v)) / total, *values)


def _mime_round(trainable, trace, data, lr, momentum, batch_size, weighted):
  """One Mime Lite round by hand: clients use `trace` frozen."""
  frozen = jax.tree.map(lambda t: momentum * t, trace)
  deltas, gradients = [], []
  for x, y in data:
    trained = sgd_steps(trainable, x, y, lr, batch_size, correction=frozen)
    deltas.append(jax.tree.map(jnp.subtract, trainable, trained))
    gradients.append(jax.grad(mse)(trainable, x, y))
  weights = [len(y) if weighted else 1 for _, y in data]
  # The server's momentum step on the mean full gradient.
  new_trace = jax.tree.map(lambda g, t: g + momentum * t,
                           _mean(gradients, weights), trace)
  new_trainable = jax.tree.map(jnp.subtract, trainable,
                               _mean(deltas, weights))
  return new_trainable, new_trace


@pytest.mark.parametrize('weighted', [True, False])
def test_momentum_matches_hand_written_rounds(weighted):
  data = regression_data(seed=5)
  lr, momentum = 0.05, 0.9
  build = (algorithms.build_weighted_mime_lite if weighted else
           algorithms.build_unweighted_mime_lite)
  process = build(linear_model(), sgdm(lr, momentum=momentum),
                  client_spec=fx.learning.ClientSpec(batch_size=2,
                                                     shuffle=False))
  if weighted:  # The reference interpreter agrees with the JAX backend.
    (state, metrics), on_interpreter = on_both_backends(
        lambda: run(process, data, rounds=2))
    assert_allclose((state, metrics), on_interpreter)
  else:
    state, _ = run(process, data, rounds=2)
  trainable = (np.zeros(2, np.float32), np.zeros((), np.float32))
  trace = jax.tree.map(np.zeros_like, trainable)
  for _ in range(2):
    trainable, trace = _mime_round(trainable, trace, data, lr, momentum, 2,
                                   weighted)
  assert_allclose(trainable_of(process, state), trainable)
  opt_state = state.client_work['optimizer_state']
  assert_allclose(opt_state.inner_state[0].trace, trace)
  assert int(opt_state.count) == 2  # One server step per round.
  # The frozen momentum matters: plain local SGD (FedAvg) ends elsewhere.
  fed_avg = (np.zeros(2, np.float32), np.zeros((), np.float32))
  for _ in range(2):
    fed_avg, _ = _mime_round(fed_avg, trace, data, lr, 0.0, 2, weighted)
  assert not np.allclose(fed_avg[0], trainable[0], rtol=1e-3)


def test_hparams_are_the_base_optimizer_s():
  process = algorithms.build_weighted_mime_lite(
      linear_model(), sgdm(0.05, momentum=0.9))
  state = process.initialize()
  hparams = process.get_hparams(state)
  assert sorted(hparams['client_work']) == ['learning_rate', 'momentum']
  hparams['client_work']['learning_rate'] = np.float32(0.5)
  state = process.set_hparams(state, hparams)
  assert float(process.get_hparams(state)['client_work'][
      'learning_rate']) == 0.5


def test_errors_name_the_argument():
  with pytest.raises(TypeError, match='base_optimizer: expected an optax'):
    algorithms.build_weighted_mime_lite(linear_model(), 0.1)
  with pytest.raises(TypeError, match='server_optimizer: expected an optax'):
    algorithms.build_unweighted_mime_lite(linear_model(), sgdm(0.1), 'sgd')
  with pytest.raises(TypeError, match='full_gradient_aggregator: expected an '
                     'aggregation factory'):
    algorithms.build_weighted_mime_lite(linear_model(), sgdm(0.1),
                                        full_gradient_aggregator=sgdm(1.0))
  with pytest.raises(TypeError, match='client_weighting: expected'):
    algorithms.build_weighted_mime_lite(linear_model(), sgdm(0.1),
                                        client_weighting='examples')
  with pytest.raises(ValueError, match='learning_rate: expected a number'):
    algorithms.build_weighted_mime_lite(linear_model(), sgdm(-1.0))
