"""FedDyn (Acar et al., 2021), the clients' linear terms in a server table."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import federax as fx
from algorithm_testing import (assert_allclose, linear_model, mse,
                               on_both_backends, regression_data,
                               sgd_steps, trainable_of, union)

algorithms = fx.learning.algorithms
ZERO = (np.zeros(2, np.float32), np.zeros((), np.float32))
SPEC = fx.learning.ClientSpec(batch_size=2, shuffle=False)
NUM_CLIENTS, ALPHA, LR = 5, 0.1, 0.05
# The ids of the 3 participants of each round (partial participation).
COHORTS = ((0, 1, 2), (4, 0, 3), (2, 1, 0))


def _fed_dyn(data, cohorts, alpha=ALPHA, lr=LR):
  """Algorithm 1 of the paper in plain JAX; returns (model, linear terms)."""
  zeros = jax.tree.map(jnp.zeros_like, ZERO)
  linear = [zeros] * NUM_CLIENTS
  h, x = zeros, ZERO
  for ids in cohorts:
    trained = []
    for k, (features, labels) in zip(ids, data):
      y = x
      for start in range(0, len(labels), 2):
        g = jax.grad(mse)(y, features[start:start + 2],
                          labels[start:start + 2])
        g = jax.tree.map(lambda g, l, y, x: g - l + alpha * (y - x), g,
                         linear[k], y, x)
        y = jax.tree.map(lambda y, g: y - lr * g, y, g)
      trained.append(y)
      linear[k] = jax.tree.map(lambda l, y, x: l - alpha * (y - x),
                               linear[k], y, x)
    h = jax.tree.map(lambda h, x, *ys: h - alpha / NUM_CLIENTS * sum(
        y - x for y in ys), h, x, *trained)
    x = jax.tree.map(lambda h, *ys: sum(ys) / len(ys) - h / alpha, h,
                     *trained)
  return x, linear


@functools.lru_cache(maxsize=None)
def _process():
  return algorithms.build_fed_dyn(
      linear_model(), fx.learning.optimizers.build_sgdm(LR), ALPHA,
      NUM_CLIENTS, client_spec=SPEC)


def _run(process, data, cohorts):
  state = process.initialize()
  for ids in cohorts:
    state, metrics = process.next(state, [
        {'client_id': np.int32(k), 'data': d} for k, d in zip(ids, data)])
  return state, metrics


def test_rounds_equal_the_paper_in_plain_jax_on_both_backends():
  data = regression_data(seed=18, shift=1.0)
  process = _process()
  (state, metrics), on_interpreter = on_both_backends(
      lambda: _run(process, data, COHORTS))
  assert_allclose((state, metrics), on_interpreter)
  expected, linear = _fed_dyn(data, COHORTS)
  assert_allclose(trainable_of(process, state), expected)
  table = state.client_work['linear_terms']
  assert_allclose(table, jax.tree.map(lambda *rows: np.stack(rows), *linear))
  assert not np.any(table[0][3] == 0)  # client 3 took part once
  assert int(state.client_work['round_num']) == 3
  assert int(metrics['client_work']['train']['num_examples']) == 16


def test_full_participation_reaches_the_global_optimum():
  # FedDyn's fixed point is the minimizer of the sum of the clients' mean
  # losses, despite non-IID clients and several local (full-batch) steps;
  # FedAvg's drifts towards the clients' own optima.
  data = regression_data(seed=19, sizes=(4, 4, 4), shift=0.5)
  x, y = union(data)
  optimum = np.linalg.lstsq(np.c_[x, np.ones(len(y))], y, rcond=None)[0]
  process = algorithms.build_fed_dyn(
      linear_model(), fx.learning.optimizers.build_sgdm(0.1), 1.0, 3,
      client_spec=fx.learning.ClientSpec(batch_size=4, num_epochs=3,
                                         shuffle=False))
  state, _ = _run(process, data, [(0, 1, 2)] * 30)
  w, b = trainable_of(process, state)
  np.testing.assert_allclose(np.r_[w, b], optimum, atol=1e-3)
  fed_avg = ZERO
  for _ in range(30):
    fed_avg = jax.tree.map(
        lambda *t: sum(t) / 3,
        *[sgd_steps(sgd_steps(sgd_steps(fed_avg, *d, 0.1, 4), *d, 0.1, 4),
                    *d, 0.1, 4) for d in data])
  assert np.abs(np.r_[fed_avg[0], fed_avg[1]] - optimum).max() > 1e-2


def test_errors_name_the_argument():
  sgd = fx.learning.optimizers.build_sgdm(0.1)
  with pytest.raises(ValueError, match='alpha: expected a finite float > 0, '
                     'got 0'):
    algorithms.build_fed_dyn(linear_model(), sgd, 0, 10)
  with pytest.raises(ValueError, match=r'num_clients: expected an int >= 1 '
                     r'\(the population size'):
    algorithms.build_fed_dyn(linear_model(), sgd, 0.1, 0)
  with pytest.raises(TypeError, match='client_optimizer_fn: expected'):
    algorithms.build_fed_dyn(linear_model(), 0.1, 0.1, 10)
  data = regression_data(seed=20)
  with pytest.raises(ValueError, match='client key is outside'):
    _process().next(_process().initialize(), [
        {'client_id': np.int32(k), 'data': d} for k, d in zip((0, 5, 1),
                                                               data)])
