"""FedAvgM (Hsu et al., 2019): FedAvg with a heavy-ball server step."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import federax as fx
from algorithm_testing import (assert_allclose, linear_model, regression_data,
                               run, sgd_steps, trainable_of)

algorithms = fx.learning.algorithms
ZERO = (np.zeros(2, np.float32), np.zeros((), np.float32))


def _fed_avg_m(trainable, velocity, data, lr, batch_size, server_lr,
               momentum):
  """One FedAvgM round in plain JAX: v = beta v + mean delta; w -= eta v."""
  sizes = [len(y) for _, y in data]
  deltas = [jax.tree.map(jnp.subtract, trainable,
                         sgd_steps(trainable, x, y, lr, batch_size))
            for x, y in data]
  mean = jax.tree.map(lambda *d: sum(n * v for n, v in zip(sizes, d)) /
                      sum(sizes), *deltas)
  velocity = jax.tree.map(lambda v, d: momentum * v + d, velocity, mean)
  return jax.tree.map(lambda w, v: w - server_lr * v, trainable,
                      velocity), velocity


def test_rounds_equal_plain_jax_server_momentum():
  data = regression_data(seed=11)
  process = algorithms.build_fed_avg_with_server_momentum(
      linear_model(), fx.learning.optimizers.build_sgdm(0.05),
      server_learning_rate=0.7, server_momentum=0.8,
      client_spec=fx.learning.ClientSpec(batch_size=2, shuffle=False))
  state, history = run(process, data, rounds=3)
  trainable, velocity = ZERO, ZERO
  for _ in range(3):
    trainable, velocity = _fed_avg_m(trainable, velocity, data, 0.05, 2,
                                     0.7, 0.8)
  assert_allclose(trainable_of(process, state), trainable)
  hparams = process.get_hparams(state)['finalizer']
  assert float(hparams['momentum']) == pytest.approx(0.8)
  assert float(hparams['learning_rate']) == pytest.approx(0.7)
  assert int(history[-1]['client_work']['train']['num_examples']) == 16


def test_errors_name_the_argument():
  model, sgd = linear_model(), fx.learning.optimizers.build_sgdm(0.1)
  build = algorithms.build_fed_avg_with_server_momentum
  with pytest.raises(ValueError, match=r'server_momentum: expected a float '
                     r'in \[0, 1\), got 1.5'):
    build(model, sgd, server_momentum=1.5)
  with pytest.raises(TypeError, match='server_momentum: expected a float'):
    build(model, sgd, server_momentum='0.9')
  with pytest.raises(ValueError, match='server_learning_rate: expected a '
                     'finite float > 0, got 0'):
    build(model, sgd, server_learning_rate=0)
  with pytest.raises(TypeError, match='client_optimizer_fn: expected an '
                     'optax GradientTransformation'):
    build(model, 0.1)
