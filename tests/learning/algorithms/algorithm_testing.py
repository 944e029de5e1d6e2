"""Small models, client data and plain-JAX references for algorithm tests."""

from __future__ import annotations

import contextlib
import logging

import jax
import jax.numpy as jnp
import numpy as np

import federax as fx

SIZES = (3, 5, 8)  # Clients with different numbers of examples: padding.


def predict(weights, x, training=True):
  del training
  (w, b), _ = weights
  return x @ w + b


def linear_model():
  """`y = x @ w + b` with x in R^2, squared error."""
  return fx.learning.models.FunctionalModel(
      initial_weights=((np.zeros(2, np.float32), np.zeros((), np.float32)),
                       ()),
      predict_on_batch_fn=predict,
      loss_fn=fx.learning.models.mean_squared_error,
      input_spec=((np.float32, [None, 2]), (np.float32, [None])))


def regression_data(seed=0, sizes=SIZES, shift=0.0):
  """One `(x[n, 2], y[n])` per client; client k's target drifts by k*shift."""
  rng = np.random.default_rng(seed)
  data = []
  for k, n in enumerate(sizes):
    x = rng.normal(size=(n, 2)).astype(np.float32) + k * shift
    w = np.array([1.0, -2.0], np.float32) + k * shift * np.array([1.0, 1.0])
    y = (x @ w + 0.5 + 0.1 * rng.normal(size=n)).astype(np.float32)
    data.append((x, y.astype(np.float32)))
  return data


def mse(trainable, x, y):
  """The mean squared error of the linear model, in plain JAX."""
  w, b = trainable
  return jnp.mean((x @ w + b - y) ** 2)


def union(data):
  return (np.concatenate([x for x, _ in data]),
          np.concatenate([y for _, y in data]))


def sgd_steps(trainable, x, y, lr, batch_size, correction=None):
  """Local SGD in order over batches (the last one smaller), in plain JAX."""
  for start in range(0, len(y), batch_size):
    g = jax.grad(mse)(trainable, x[start:start + batch_size],
                      y[start:start + batch_size])
    if correction is not None:
      g = jax.tree.map(jnp.add, g, correction)
    trainable = jax.tree.map(lambda w, d: w - lr * d, trainable, g)
  return trainable


def trainable_of(process, state):
  return process.get_model_weights(state).trainable


def run(process, data, rounds):
  """`(state, [metrics of each round])` after `rounds` rounds."""
  state = process.initialize()
  history = []
  for _ in range(rounds):
    state, metrics = process.next(state, data)
    history.append(metrics)
  return state, history


@contextlib.contextmanager
def no_interpreter_fallback():
  """Fails if the JAX backend hands a computation to the interpreter."""
  messages = []

  class Catch(logging.Handler):

    def emit(self, record):
      messages.append(record.getMessage())

  logger = logging.getLogger('federax')
  handler, level = Catch(logging.DEBUG), logger.level
  logger.addHandler(handler)
  logger.setLevel(logging.DEBUG)
  try:
    yield
  finally:
    logger.removeHandler(handler)
    logger.setLevel(level)
  fallbacks = [m for m in messages if 'on the interpreter' in m]
  assert not fallbacks, fallbacks


def on_both_backends(fn):
  """`(fn() on the default JAX backend, fn() on the reference interpreter)`."""
  with no_interpreter_fallback():
    on_jax = fn()
  with fx.backends.interpreter.interpreter_context():
    on_interpreter = fn()
  return on_jax, on_interpreter


def assert_allclose(actual, expected, rtol=1e-5, atol=1e-6):
  """Pytrees of arrays agree leaf by leaf (same structure)."""
  a, b = jax.tree.leaves(actual), jax.tree.leaves(expected)
  assert len(a) == len(b), (actual, expected)
  for x, y in zip(a, b):
    np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=rtol,
                               atol=atol)
