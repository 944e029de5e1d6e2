"""A softmax regression model and client data shared by the algorithm tests."""

import jax
import jax.numpy as jnp
import numpy as np

import federax as fx

DIM, CLASSES = 5, 3


def predict(weights, x, training=True):
  del training
  (w, b), _ = weights
  return x @ w + b


def model(seed=0):
  rng = np.random.default_rng(seed)
  initial = ((rng.normal(0, 0.1, (DIM, CLASSES)).astype(np.float32),
              np.zeros(CLASSES, np.float32)), ())
  return fx.learning.models.FunctionalModel(
      initial_weights=initial, predict_on_batch_fn=predict,
      loss_fn=fx.learning.models.sparse_categorical_crossentropy,
      input_spec=((np.float32, [None, DIM]), (np.int32, [None])))


def clients(sizes, seed=1):
  """Client datasets `(x, y)` with the given numbers of examples."""
  rng = np.random.default_rng(seed)
  return [(rng.normal(size=(n, DIM)).astype(np.float32),
           rng.integers(0, CLASSES, n).astype(np.int32)) for n in sizes]


def loss(trainable, x, y):
  """The mean loss of the model, written directly in JAX."""
  w, b = trainable
  logits = x @ w + b
  return -jnp.mean(jax.nn.log_softmax(logits)[jnp.arange(len(y)), y])


def sgd_epochs(trainable, x, y, lr, batch_size, epochs=1):
  """Plain SGD over batches in order (no shuffling), the last one smaller."""
  for _ in range(epochs):
    for start in range(0, len(y), batch_size):
      grads = jax.grad(loss)(trainable, x[start:start + batch_size],
                             y[start:start + batch_size])
      trainable = jax.tree.map(lambda p, g: p - lr * g, trainable, grads)
  return trainable


def trainable_of(process, state):
  return process.get_model_weights(state).trainable
