"""q-FedAvg (Li et al., 2020): q-FFL's fair resource allocation."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import federax as fx
from algorithm_testing import (assert_allclose, linear_model, mse,
                               on_both_backends, regression_data, run,
                               sgd_steps, trainable_of)

algorithms = fx.learning.algorithms
ZERO = (np.zeros(2, np.float32), np.zeros((), np.float32))
SPEC = fx.learning.ClientSpec(batch_size=2, shuffle=False)


def _q_fed_avg_round(trainable, data, q, lr, batch_size):
  """The paper's q-FedAvg step in plain JAX, L = 1 / lr."""
  lipschitz = 1.0 / lr
  deltas, hs = [], []
  for x, y in data:
    loss = mse(trainable, x, y) + 1e-10
    dw = jax.tree.map(lambda w, t: lipschitz * (w - t), trainable,
                      sgd_steps(trainable, x, y, lr, batch_size))
    deltas.append(jax.tree.map(lambda d: loss ** q * d, dw))
    squared = sum(jnp.sum(d ** 2) for d in jax.tree.leaves(dw))
    hs.append(q * loss ** (q - 1) * squared + lipschitz * loss ** q)
  return jax.tree.map(lambda w, *d: w - sum(d) / sum(hs), trainable, *deltas)


def test_rounds_equal_plain_jax_on_both_backends():
  data = regression_data(seed=14, shift=0.5)
  process = algorithms.build_q_fed_avg(linear_model(), 2.0, 0.05,
                                       client_spec=SPEC)
  (state, history), on_interpreter = on_both_backends(
      lambda: run(process, data, rounds=2))
  assert_allclose((state, history), on_interpreter)
  expected = _q_fed_avg_round(_q_fed_avg_round(ZERO, data, 2.0, 0.05, 2),
                              data, 2.0, 0.05, 2)
  assert_allclose(trainable_of(process, state), expected, rtol=1e-5,
                  atol=1e-5)
  assert int(history[-1]['client_work']['train']['num_examples']) == 16


def test_q_zero_is_unweighted_fed_avg():
  data = regression_data(seed=15)
  q_fed_avg = algorithms.build_q_fed_avg(linear_model(), 0.0, 0.05,
                                         client_spec=SPEC)
  fed_avg = algorithms.build_unweighted_fed_avg(
      linear_model(), fx.learning.optimizers.build_sgdm(0.05),
      client_spec=SPEC)
  q_state, _ = run(q_fed_avg, data, rounds=2)
  avg_state, _ = run(fed_avg, data, rounds=2)
  assert_allclose(trainable_of(q_fed_avg, q_state),
                  trainable_of(fed_avg, avg_state), atol=1e-5)


def test_errors_name_the_argument():
  with pytest.raises(ValueError, match=r'q: expected a finite float >= 0 '
                     r"\(0 is FedAvg's objective\), got -0.5"):
    algorithms.build_q_fed_avg(linear_model(), -0.5, 0.1)
  with pytest.raises(TypeError, match='q: expected a float >= 0, got str'):
    algorithms.build_q_fed_avg(linear_model(), '1', 0.1)
  with pytest.raises(ValueError, match='lipschitz_constant: expected a '
                     'finite float > 0'):
    algorithms.build_q_fed_avg(linear_model(), 1.0, 0.1,
                               lipschitz_constant=0.0)
  with pytest.raises(TypeError, match='model_aggregator: expected a weighted '
                     'aggregation factory'):
    algorithms.build_q_fed_avg(
        linear_model(), 1.0, 0.1,
        model_aggregator=fx.aggregators.UnweightedMeanFactory())
