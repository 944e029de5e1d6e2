"""`to_jax_function`: jax.grad, jit and vmap through federated computations,
checked against closed forms and central finite differences."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import federax as fx

F32 = np.float32


@fx.federated_computation(fx.type_at_server(F32), fx.type_at_clients(F32))
def scaled_mean(scale, x):
  times = fx.jax_computation(lambda s, v: s * v * v, F32, F32)
  return fx.federated_mean(fx.federated_map(
      times, [fx.federated_broadcast(scale), x]))


def test_gradients_of_a_federated_mean_match_the_closed_form():
  f = fx.backends.jax.to_jax_function(scaled_mean)
  x = np.arange(1.0, 6.0, dtype=F32)  # 5 clients
  assert float(f(F32(3.0), x)) == pytest.approx(3.0 * np.mean(x**2))
  assert float(jax.grad(f)(F32(3.0), x)) == pytest.approx(np.mean(x**2))
  np.testing.assert_allclose(jax.grad(f, argnums=1)(F32(3.0), x),
                             2 * 3.0 * x / 5, rtol=1e-6)


def test_chunks_jit_and_vmap_give_the_same_values():
  x = np.arange(1.0, 6.0, dtype=F32)
  whole = fx.backends.jax.to_jax_function(scaled_mean)
  chunked = fx.backends.jax.to_jax_function(scaled_mean, chunk_size=2)
  np.testing.assert_allclose(jax.grad(chunked, argnums=1)(F32(3.0), x),
                             jax.grad(whole, argnums=1)(F32(3.0), x),
                             rtol=1e-6)
  scales = jnp.array([1.0, 2.0], F32)
  batched = jax.jit(jax.vmap(whole, in_axes=(0, None)))(scales, x)
  np.testing.assert_allclose(batched, scales * np.mean(x**2), rtol=1e-6)
  assert float(whole(scale=F32(1.0), x=x)) == pytest.approx(11.0)


def test_clients_placed_results_stay_stacked():
  @fx.federated_computation(fx.type_at_server(F32), fx.type_at_clients(F32))
  def shifted(shift, x):
    add = fx.jax_computation(lambda s, v: {'y': s + v}, F32, F32)
    return fx.federated_map(add, [fx.federated_broadcast(shift), x])

  f = fx.backends.jax.to_jax_function(shifted)
  out = f(F32(1.0), np.zeros(3, F32))
  assert sorted(out) == ['y'] and out['y'].shape == (3,)
  grad = jax.grad(lambda s: f(s, np.ones(3, F32))['y'].sum())(F32(0.0))
  assert float(grad) == 3.0


# A round of FedAvg on a linear regression: ragged clients (3, 5 and 8
# examples), two local epochs of shuffled batches of 2.
def _model():
  return fx.learning.models.FunctionalModel(
      initial_weights=((np.zeros(2, F32), np.zeros((), F32)), ()),
      predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0] + w[0][1],
      loss_fn=fx.learning.models.mean_squared_error,
      input_spec=((F32, [None, 2]), (F32, [None])))


def _clients(seed):
  rng = np.random.default_rng(seed)
  data = []
  for n in (3, 5, 8):
    x = rng.normal(size=(n, 2)).astype(F32)
    data.append((x, (x @ np.array([1.0, -2.0], F32) + 0.5).astype(F32)))
  return data


@pytest.fixture(scope='module')
def fedavg():
  process = fx.learning.algorithms.build_weighted_fed_avg(
      _model(), fx.learning.optimizers.build_sgdm(0.05),
      client_spec=fx.learning.ClientSpec(num_epochs=2, batch_size=2, seed=1))
  return process, fx.backends.jax.to_jax_function(process.next)


def _with_learning_rates(state, server_lr=None, client_lr=None):
  if server_lr is not None:
    state = state._replace(finalizer=state.finalizer._replace(
        hyperparams={'learning_rate': server_lr}))
  if client_lr is not None:
    work = dict(state.client_work)
    work['hparams'] = {'learning_rate': client_lr}
    state = state._replace(client_work=type(state.client_work)(work))
  return state


def _validation_loss(state):
  x, y = (np.concatenate(parts) for parts in zip(*_clients(seed=9)))
  w, b = state.global_model_weights.trainable
  return jnp.mean((x @ w + b - y) ** 2)


def _central_difference(f, at, eps):
  """Richardson-extrapolated central difference: error O(eps^4)."""
  d = lambda h: (f(at + h) - f(at - h)) / (2 * h)
  return (4 * d(eps / 2) - d(eps)) / 3


def test_learning_rate_gradients_match_finite_differences(fedavg):
  """d(validation loss after two rounds) / d(server and client rates)."""
  process, next_fn = fedavg
  state, data = process.initialize(), _clients(seed=0)

  def loss(server_lr, client_lr):
    s = _with_learning_rates(state, server_lr, client_lr)
    for _ in range(2):
      s, _ = next_fn(s, data)
    return _validation_loss(s)

  server_grad, client_grad = jax.jit(jax.grad(loss, argnums=(0, 1)))(
      F32(1.0), F32(0.05))
  numeric_server = _central_difference(lambda v: loss(F32(v), F32(0.05)),
                                       1.0, 0.1)
  numeric_client = _central_difference(lambda v: loss(F32(1.0), F32(v)),
                                       0.05, 0.01)
  assert float(server_grad) == pytest.approx(float(numeric_server), rel=1e-3)
  assert float(client_grad) == pytest.approx(float(numeric_client), rel=1e-3)
  # Not vacuous: from a zero model, larger steps help.
  assert float(server_grad) < -1e-2 and float(client_grad) < -1e-2


def test_jax_grad_of_a_computation_called_directly():
  """Inside a JAX transformation the JAX context runs the traced program."""
  x = np.arange(1.0, 6.0, dtype=F32)
  with fx.backends.jax.jax_context(chunk_size=2):
    grad = jax.grad(lambda s: scaled_mean(s, x))(F32(3.0))
    assert float(scaled_mean(F32(3.0), x)) == pytest.approx(33.0)
  assert float(grad) == pytest.approx(11.0)


def test_misuse_is_explained():
  @fx.federated_computation
  def untyped(x):
    return x

  with pytest.raises(TypeError, match='no type signature yet'):
    fx.backends.jax.to_jax_function(untyped)
  with pytest.raises(TypeError, match='expected an fx computation'):
    fx.backends.jax.to_jax_function(lambda x: x)
  with pytest.raises(ValueError, match='chunk_size: expected a positive'):
    fx.backends.jax.to_jax_function(scaled_mean, chunk_size=0)
  hello = fx.federated_computation(lambda: 'Hello')
  with pytest.raises(TypeError, match='cannot lower.*strings'):
    fx.backends.jax.to_jax_function(hello)
