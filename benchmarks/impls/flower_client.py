"""The Flower ClientApp of the benchmark: local SGD in JAX, one client.

Imported by Ray's actor processes (the benchmarks folder is on their
PYTHONPATH). Each client reads its share of the workload's data (the
index the server sent) from the `.npy` files the server wrote
(memory-mapped), trains one epoch of
SGD in batches of 20 with a jitted `lax.scan`, and replies with its new
weights and its number of examples (FedAvg's weight).
"""

import functools
import os

import jax
import jax.numpy as jnp
import numpy as np
from flwr.app import ArrayRecord, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp

import jax_models
import workloads as wl

app = ClientApp()


@functools.lru_cache(maxsize=None)
def local_training(workload_name):
  workload = wl.WORKLOADS[workload_name]
  # Patches: on XLA:CPU even one client's convolution is ~7x faster so.
  predict = jax_models.predict(workload, 'patches')
  grad = jax.grad(lambda m, bx, by: jax_models.loss(predict, m, bx, by))

  @jax.jit
  def train(flat, x, y):
    model = list(zip(flat[0::2], flat[1::2]))

    def step(m, batch):
      g = grad(m, *batch)
      return jax.tree.map(lambda p, d: p - wl.CLIENT_LR * d, m, g), None

    shape = (-1, wl.BATCH)
    model, _ = jax.lax.scan(step, model, (x.reshape(shape + x.shape[1:]),
                                          y.reshape(shape)))
    return [a for layer in model for a in layer]

  return train


@functools.lru_cache(maxsize=2)
def _load(path):
  return np.load(os.path.join(path, 'x.npy'), mmap_mode='r'), np.load(
      os.path.join(path, 'y.npy'), mmap_mode='r')


@app.train()
def train(msg, context):
  config = msg.content['config']
  x, y = _load(config['data'])
  del context
  i = int(config['index'])
  flat = msg.content['arrays'].to_numpy_ndarrays()
  trained = local_training(config['workload'])(
      flat, jnp.asarray(x[i]), jnp.asarray(y[i]))
  content = RecordDict({
      'arrays': ArrayRecord([np.asarray(a) for a in trained]),
      'metrics': MetricRecord({'num-examples': int(y[i].size)})})
  return Message(content=content, reply_to=msg)
