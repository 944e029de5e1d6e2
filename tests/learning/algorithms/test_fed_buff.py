"""FedBuff (Nguyen et al., 2022) simulated: stale clients, one buffer a step."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import federax as fx
from algorithm_testing import (assert_allclose, linear_model,
                               on_both_backends, regression_data,
                               sgd_steps, trainable_of)

algorithms = fx.learning.algorithms
ZERO = (np.zeros(2, np.float32), np.zeros((), np.float32))
SPEC = fx.learning.ClientSpec(batch_size=2, shuffle=False)
MAX_STALENESS = 2
# One row per server step: the staleness of each of the 3 buffered updates
# (some beyond max_staleness, or beyond the steps taken so far: clipped).
SCHEDULE = ((0, 1, 5), (2, 0, 1), (1, 2, 2), (0, 0, 3))


def _fed_buff(trainable, data, schedule, lr, server_lr, momentum):
  """FedBuff in plain JAX: buffers of staleness-scaled deltas, SGDM server."""
  history, velocity = [], jax.tree.map(jnp.zeros_like, trainable)
  for step, staleness in enumerate(schedule):
    history.insert(0, trainable)
    updates = []
    for s, (x, y) in zip(staleness, data):
      s = min(s, MAX_STALENESS, step)
      stale = history[s]
      trained = sgd_steps(stale, x, y, lr, 2)
      updates.append(jax.tree.map(lambda a, b, s=s: (a - b) / np.sqrt(1 + s),
                                  stale, trained))
    mean = jax.tree.map(lambda *u: sum(u) / len(u), *updates)
    velocity = jax.tree.map(lambda v, m: momentum * v + m, velocity, mean)
    trainable = jax.tree.map(lambda w, v: w - server_lr * v, trainable,
                             velocity)
  return trainable


def _run(process, data, schedule):
  state, history = process.initialize(), []
  for staleness in schedule:
    state, metrics = process.next(state, [
        {'staleness': np.int32(s), 'data': d} for s, d in zip(staleness,
                                                              data)])
    history.append(metrics)
  return state, history


def test_steps_equal_a_plain_jax_simulation_on_both_backends():
  data = regression_data(seed=16)
  process = algorithms.build_fed_buff(
      linear_model(), fx.learning.optimizers.build_sgdm(0.05),
      fx.learning.optimizers.build_sgdm(0.5, momentum=0.9),
      max_staleness=MAX_STALENESS, client_spec=SPEC)
  (state, history), on_interpreter = on_both_backends(
      lambda: _run(process, data, SCHEDULE))
  assert_allclose((state, history), on_interpreter)
  expected = _fed_buff(ZERO, data, SCHEDULE, 0.05, 0.5, 0.9)
  assert_allclose(trainable_of(process, state), expected)
  # Clipped staleness: step 0 has only the initial model; step 1 allows 1.
  staleness = [float(m['client_work']['mean_staleness']) for m in history]
  assert staleness == pytest.approx([0.0, 2 / 3, 5 / 3, 2 / 3])
  versions = state.distributor
  assert int(versions['num_versions']) == MAX_STALENESS + 1
  assert_allclose(jax.tree.map(lambda h: h[0], versions['history'])[0],
                  _fed_buff(ZERO, data, SCHEDULE[:3], 0.05, 0.5, 0.9))


def test_no_staleness_is_unweighted_fed_avg():
  data = regression_data(seed=17)
  buff = algorithms.build_fed_buff(
      linear_model(), fx.learning.optimizers.build_sgdm(0.05),
      staleness_weight_fn=lambda s: 1.0 / (1.0 + s), client_spec=SPEC)
  fed_avg = algorithms.build_unweighted_fed_avg(
      linear_model(), fx.learning.optimizers.build_sgdm(0.05),
      client_spec=SPEC)
  buff_state, _ = _run(buff, data, [(0, 0, 0)] * 2)
  avg_state = fed_avg.initialize()
  for _ in range(2):
    avg_state, _ = fed_avg.next(avg_state, data)
  assert_allclose(trainable_of(buff, buff_state),
                  trainable_of(fed_avg, avg_state))


def test_errors_name_the_argument():
  sgd = fx.learning.optimizers.build_sgdm(0.1)
  with pytest.raises(ValueError, match='max_staleness: expected an int >= 0, '
                     'got -1'):
    algorithms.build_fed_buff(linear_model(), sgd, max_staleness=-1)
  with pytest.raises(TypeError, match='staleness_weight_fn: expected a '
                     'function'):
    algorithms.build_fed_buff(linear_model(), sgd, staleness_weight_fn=0.5)
  with pytest.raises(TypeError, match='client_optimizer_fn: expected'):
    algorithms.build_fed_buff(linear_model(), None)
