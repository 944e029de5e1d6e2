"""FedNova (Wang et al., 2020): deltas normalized by the local steps."""

import functools

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


@functools.lru_cache(maxsize=None)
def _fed_nova():
  return algorithms.build_fed_nova(linear_model(), 0.05, client_spec=SPEC)


def _momentum_steps(trainable, x, y, lr, rho, batch_size):
  """Heavy-ball SGD in plain JAX: v = rho v + g; w -= lr v."""
  velocity = jax.tree.map(jnp.zeros_like, trainable)
  for start in range(0, len(y), batch_size):
    g = jax.grad(mse)(trainable, x[start:start + batch_size],
                      y[start:start + batch_size])
    velocity = jax.tree.map(lambda v, d: rho * v + d, velocity, g)
    trainable = jax.tree.map(lambda w, v: w - lr * v, trainable, velocity)
  return trainable


def _fed_nova_round(trainable, data, lr, batch_size, rho=0.0):
  """FedNova in plain JAX: x - tau_eff sum_i p_i d_i / a_i."""
  sizes = np.array([len(y) for _, y in data], np.float32)
  p = sizes / sizes.sum()
  taus = [-(-len(y) // batch_size) for _, y in data]
  # a_i: the sum over steps of the weight heavy-ball gives each gradient.
  a = [sum(sum(rho ** j for j in range(tau - k)) for k in range(tau))
       for tau in taus]
  deltas = [jax.tree.map(jnp.subtract, trainable,
                         _momentum_steps(trainable, x, y, lr, rho,
                                         batch_size)) for x, y in data]
  tau_eff = float(np.dot(p, a))
  direction = jax.tree.map(
      lambda *d: sum(pi * di / ai for pi, di, ai in zip(p, d, a)), *deltas)
  return jax.tree.map(lambda w, d: w - tau_eff * d, trainable,
                      direction), tau_eff


def test_rounds_equal_plain_jax_with_different_local_steps():
  data = regression_data(seed=12)  # 3, 5 and 8 examples: 2, 3 and 4 steps
  (state, history), on_interpreter = on_both_backends(
      lambda: run(_fed_nova(), data, rounds=2))
  assert_allclose((state, history), on_interpreter)
  expected, tau_eff = _fed_nova_round(ZERO, data, 0.05, 2)
  expected, _ = _fed_nova_round(expected, data, 0.05, 2)
  assert_allclose(trainable_of(_fed_nova(), state), expected)
  assert float(history[-1]['finalizer']['effective_steps']) == (
      pytest.approx(tau_eff))  # (3*2 + 5*3 + 8*4) / 16
  assert tau_eff == pytest.approx(53 / 16)
  # FedAvg would differ: it weighs the 4-step client's delta more.
  fed_avg = jax.tree.map(
      lambda *t: sum(n * v for n, v in zip((3, 5, 8), t)) / 16,
      *[sgd_steps(ZERO, x, y, 0.05, 2) for x, y in data])
  first_round, _ = _fed_nova_round(ZERO, data, 0.05, 2)
  assert not np.allclose(fed_avg[0], first_round[0])


def test_local_momentum_normalizes_by_the_solver_weights():
  data = regression_data(seed=13)
  process = algorithms.build_fed_nova(
      linear_model(), 0.05, client_momentum=0.5, client_spec=SPEC,
      server_optimizer_fn=fx.learning.optimizers.build_sgdm(0.5))
  state, history = run(process, data, rounds=1)
  expected, tau_eff = _fed_nova_round(ZERO, data, 0.05, 2, rho=0.5)
  # The server's SGD at 0.5 takes half of the paper's step.
  expected = jax.tree.map(lambda e: 0.5 * e, expected)
  assert_allclose(trainable_of(process, state), expected)
  assert float(history[0]['finalizer']['effective_steps']) == (
      pytest.approx(tau_eff))
  assert sorted(process.get_hparams(state)['client_work']) == [
      'learning_rate', 'momentum']


def test_errors_name_the_argument():
  with pytest.raises(ValueError, match='client_learning_rate: expected a '
                     'finite float > 0, got -1'):
    algorithms.build_fed_nova(linear_model(), -1)
  with pytest.raises(ValueError, match=r'client_momentum: expected a float '
                     r'in \[0, 1\), got 1.0'):
    algorithms.build_fed_nova(linear_model(), 0.1, client_momentum=1.0)
  with pytest.raises(TypeError, match='server_optimizer_fn: expected'):
    algorithms.build_fed_nova(linear_model(), 0.1, server_optimizer_fn=1.0)
