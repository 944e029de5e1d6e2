"""Benchmark worker: the FedAvg round in hand-written JAX or in federax.

`python impl_jax.py WORKLOAD CLIENTS IMPL[:CONV]`, IMPL one of
- `jax`: the floor, one `jax.jit` of a `vmap` over clients of a
  `lax.scan` over batches, then the weighted mean and the server step;
- `federax`: `fx.learning.algorithms.build_weighted_fed_avg` on the
  vectorized JAX backend (the default), client data passed stacked;
- `federax-interpreter`: the same process on the reference interpreter,
  client data passed as a list;
- `federax-cached`: `federax` with `fx.backends.jax.enable_compilation_cache()`
  (its directory from `$FEDERAX_COMPILATION_CACHE_DIR`).
CONV (W3 only) is `patches` (default) or `lax` (see `jax_models`).
Speaks `protocol.py`.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import jax  # pylint: disable=wrong-import-position
import jax.numpy as jnp  # pylint: disable=wrong-import-position
import numpy as np  # pylint: disable=wrong-import-position

import jax_models  # pylint: disable=wrong-import-position
import workloads as wl  # pylint: disable=wrong-import-position
from impls import protocol  # pylint: disable=wrong-import-position


def build_hand_written(workload, predict, x, y):
  steps = wl.EXAMPLES // wl.BATCH
  xb = x.reshape((x.shape[0], steps, wl.BATCH) + x.shape[2:])
  yb = y.reshape(y.shape[0], steps, wl.BATCH)
  grad = jax.grad(lambda m, bx, by: jax_models.loss(predict, m, bx, by))

  @jax.jit
  def fed_avg_round(model, xs, ys):
    def client(cx, cy):
      def step(m, batch):
        g = grad(m, *batch)
        return jax.tree.map(lambda p, d: p - wl.CLIENT_LR * d, m, g), None
      trained, _ = jax.lax.scan(step, model, (cx, cy))
      return (jax.tree.map(jnp.subtract, trained, model),
              jnp.float32(cy.size))

    deltas, n = jax.vmap(client)(xs, ys)
    mean = jax.tree.map(lambda d: jnp.tensordot(n, d, 1) / n.sum(), deltas)
    return jax.tree.map(lambda p, d: p + wl.SERVER_LR * d, model, mean)

  model = [tuple(map(jnp.asarray, layer))
           for layer in wl.initial_weights(workload)]
  state = {'model': model}

  def run_round():
    state['model'] = jax.block_until_ready(
        fed_avg_round(state['model'], xb, yb))

  return run_round, lambda: [tuple(map(np.asarray, l)) for l in state['model']]


def build_federax(workload, predict, x, y, interpreter, cached=False):
  import federax as fx
  if cached:
    fx.backends.jax.enable_compilation_cache()
  trainable = tuple(tuple(layer) for layer in wl.initial_weights(workload))
  model = fx.learning.models.FunctionalModel(
      initial_weights=(trainable, ()),
      predict_on_batch_fn=lambda w, bx, training=True: predict(w[0], bx),
      loss_fn=fx.learning.models.sparse_categorical_crossentropy,
      input_spec=((np.float32, (None,) + workload.input_shape),
                  (np.int32, [None])))
  process = fx.learning.algorithms.build_weighted_fed_avg(
      model, fx.learning.optimizers.build_sgdm(wl.CLIENT_LR),
      fx.learning.optimizers.build_sgdm(wl.SERVER_LR),
      client_spec=fx.learning.ClientSpec(num_epochs=wl.EPOCHS,
                                         batch_size=wl.BATCH,
                                         shuffle=False))
  if interpreter:
    fx.backends.interpreter.set_interpreter_context()
    data = [(x[i], y[i]) for i in range(x.shape[0])]
  else:
    data = (x, y)
  state = {'state': process.initialize()}

  def run_round():
    state['state'], _ = jax.block_until_ready(
        process.next(state['state'], data))

  def get_weights():
    trained = process.get_model_weights(state['state']).trainable
    return [tuple(map(np.asarray, layer)) for layer in trained]

  return run_round, get_weights


def build(workload, num_clients, option, x, y):
  del num_clients
  impl, _, conv = option.partition(':')
  predict = jax_models.predict(workload, conv or 'patches')
  if impl == 'jax':
    return build_hand_written(workload, predict, x, y)
  return build_federax(workload, predict, x, y,
                       interpreter=impl == 'federax-interpreter',
                       cached=impl == 'federax-cached')


if __name__ == '__main__':
  protocol.serve(build)
