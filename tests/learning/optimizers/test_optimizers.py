"""The optimizer builders are optax optimizers with readable hparams."""

import numpy as np
import optax
import pytest

import federax as fx

opts = fx.learning.optimizers
PARAMS = {'w': np.array([1.0, -2.0], np.float32)}
GRADS = {'w': np.array([0.5, 0.25], np.float32)}


def run(optimizer, steps=3):
  state = optimizer.init(PARAMS)
  params = PARAMS
  for _ in range(steps):
    updates, state = optimizer.update(GRADS, state, params)
    params = optax.apply_updates(params, updates)
  return params


@pytest.mark.parametrize('built, reference', [
    (opts.build_sgdm(0.1), optax.sgd(0.1)),
    (opts.build_sgdm(0.1, 0.9), optax.sgd(0.1, momentum=0.9)),
    (opts.build_adam(0.01), optax.adam(0.01, eps=1e-7)),
    (opts.build_adamw(0.01, weight_decay=0.1),
     optax.adamw(0.01, eps=1e-7, weight_decay=0.1)),
    (opts.build_adagrad(0.1), optax.adagrad(0.1, eps=1e-7)),
    (opts.build_yogi(0.1), optax.yogi(0.1, eps=1e-3)),
    (opts.build_rmsprop(0.1), optax.rmsprop(0.1, decay=0.9, eps=1e-7)),
])
def test_builders_match_optax(built, reference):
  np.testing.assert_allclose(run(built)['w'], run(reference)['w'], rtol=1e-5)


def test_hparams_round_trip_and_change_the_steps():
  optimizer = opts.build_sgdm(0.1, momentum=0.5)
  state = optimizer.init(PARAMS)
  assert sorted(opts.get_hparams(state)) == ['learning_rate', 'momentum']
  state = opts.set_hparams(state, {'learning_rate': 1.0})
  updates, _ = optimizer.update(GRADS, state, PARAMS)
  np.testing.assert_allclose(updates['w'], -GRADS['w'])


def test_plain_optax_states_have_no_hparams():
  state = optax.sgd(0.1).init(PARAMS)
  assert opts.get_hparams(state) == {}
  assert opts.set_hparams(state, {}) is state
  with pytest.raises(ValueError, match='holds no hyperparameters'):
    opts.set_hparams(state, {'learning_rate': 0.2})


def test_errors():
  with pytest.raises(ValueError, match='learning_rate'):
    opts.build_sgdm(-1.0)
  with pytest.raises(ValueError, match='momentum'):
    opts.build_sgdm(0.1, momentum=-0.5)
  with pytest.raises(ValueError, match=r"unknown names \['lr'\]"):
    opts.set_hparams(opts.build_adam().init(PARAMS), {'lr': 0.1})
  with pytest.raises(TypeError, match='client_optimizer_fn'):
    opts.as_optimizer(0.1, 'client_optimizer_fn')


def test_schedules_are_accepted_as_learning_rates():
  optimizer = opts.build_sgdm(optax.linear_schedule(1.0, 0.0, 2))
  state = optimizer.init(PARAMS)
  steps = []
  for _ in range(2):
    updates, state = optimizer.update(GRADS, state, PARAMS)
    steps.append(float(updates['w'][0]))
  assert steps == pytest.approx([-0.5, -0.25])
