"""FedSGD: full-batch gradient descent on the union of the clients' data."""

import jax
import numpy as np
import optax
import pytest

import federax as fx
from algorithm_testing import (assert_allclose, linear_model, mse,
                               on_both_backends, regression_data, run,
                               trainable_of, union)


def _gradient_descent(data, lr, rounds):
  x, y = union(data)
  trainable = (np.zeros(2, np.float32), np.zeros((), np.float32))
  for _ in range(rounds):
    g = jax.grad(mse)(trainable, x, y)
    trainable = jax.tree.map(lambda w, d: w - lr * d, trainable, g)
  return trainable


def test_equals_full_batch_gradient_descent_on_the_union():
  data = regression_data()
  # Batches of 2 cut every client's data into several, the last padded.
  process = fx.learning.algorithms.build_fed_sgd(
      linear_model(), client_spec=fx.learning.ClientSpec(batch_size=2))
  state, history = run(process, data, rounds=4)
  assert_allclose(trainable_of(process, state),
                  _gradient_descent(data, 0.1, 4))
  train = history[-1]['client_work']['train']
  assert int(train['num_examples']) == 16
  assert int(train['num_batches']) == 2 + 3 + 4
  assert int(history[-1]['client_work']['non_finite_updates']) == 0


def test_default_server_learning_rate_is_0_1_and_optimizer_is_used():
  data = regression_data(seed=1)
  process = fx.learning.algorithms.build_fed_sgd(
      linear_model(), fx.learning.optimizers.build_sgdm(0.3))
  state, _ = run(process, data, rounds=2)
  assert_allclose(trainable_of(process, state),
                  _gradient_descent(data, 0.3, 2))
  hparams = process.get_hparams(process.initialize())
  default = fx.learning.algorithms.build_fed_sgd(linear_model())
  assert float(default.get_hparams(default.initialize())['finalizer'][
      'learning_rate']) == pytest.approx(0.1)
  assert float(hparams['finalizer']['learning_rate']) == pytest.approx(0.3)


def test_server_optimizer_with_state():
  data = regression_data(seed=2)
  process = fx.learning.algorithms.build_fed_sgd(linear_model(),
                                                 optax.adam(0.05))
  state, _ = run(process, data, rounds=3)
  x, y = union(data)
  trainable = (np.zeros(2, np.float32), np.zeros((), np.float32))
  opt = optax.adam(0.05)
  opt_state = opt.init(trainable)
  for _ in range(3):
    updates, opt_state = opt.update(jax.grad(mse)(trainable, x, y), opt_state)
    trainable = optax.apply_updates(trainable, updates)
  assert_allclose(trainable_of(process, state), trainable)


def test_backends_agree():
  data = regression_data(seed=3)
  process = fx.learning.algorithms.build_fed_sgd(
      linear_model(), client_spec=fx.learning.ClientSpec(batch_size=3))
  on_jax, on_interpreter = on_both_backends(lambda: run(process, data, 2))
  assert_allclose(on_jax[0].global_model_weights,
                  on_interpreter[0].global_model_weights)
  assert_allclose(on_jax[1], on_interpreter[1])


def test_errors_name_the_argument():
  with pytest.raises(TypeError, match='server_optimizer_fn: expected an optax'):
    fx.learning.algorithms.build_fed_sgd(linear_model(), 'sgd')
  with pytest.raises(ValueError, match='learning_rate: expected a number >= 0'):
    fx.learning.algorithms.build_fed_sgd(
        linear_model(), fx.learning.optimizers.build_sgdm(-0.1))
  with pytest.raises(ValueError, match='client_spec: .*max_elements must be '
                     'None'):
    fx.learning.algorithms.build_fed_sgd(
        linear_model(), client_spec=fx.learning.ClientSpec(max_elements=2))
  with pytest.raises(TypeError, match='model_aggregator: expected an '
                     'aggregation factory'):
    fx.learning.algorithms.build_fed_sgd(linear_model(), model_aggregator=1)
  with pytest.raises(TypeError, match='client_spec: expected an '
                     'fx.learning.ClientSpec'):
    fx.learning.algorithms.build_fed_sgd(linear_model(), client_spec=20)
