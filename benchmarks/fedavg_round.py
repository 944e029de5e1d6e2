"""A FedAvg round in federax against the same round hand-written in JAX.

Workload (issue W1): softmax regression 784 -> 10, 100 examples per client
in batches of 20, one local epoch, client SGD lr 0.02, server SGD lr 1.0,
client updates weighted by number of examples; 10, 100 and 1,000 clients.

- federax: the round written with federated intrinsics and JAX
  computations, run by the vectorized JAX backend (client data passed in
  the stacked form), and by the reference interpreter at 10 clients.
- hand-written: one `jax.jit` of `vmap` over clients of a `lax.scan` over
  batches (the floor).

Prints first-round time (trace + compile + run) and steady-state seconds
per round (median), and federax / hand-written ratios.
Run: `python benchmarks/fedavg_round.py [--clients 10 100 1000]`.
"""

import argparse
import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np

import federax as fx

DIM, CLASSES, EXAMPLES, BATCH = 784, 10, 100, 20
CLIENT_LR, SERVER_LR = 0.02, 1.0
STEPS = EXAMPLES // BATCH


def loss_fn(model, x, y):
  logits = x @ model['w'] + model['b']
  return -jnp.mean(jnp.sum(jax.nn.one_hot(y, CLASSES) *
                           jax.nn.log_softmax(logits), -1))


def local_sgd(model, x, y):
  g = jax.grad(loss_fn)(model, x, y)
  return jax.tree.map(lambda p, d: p - CLIENT_LR * d, model, g)


# ---- federax ----
MODEL = fx.to_type({'w': (np.float32, [DIM, CLASSES]),
                    'b': (np.float32, [CLASSES])})
BATCHES = fx.SequenceType({'x': (np.float32, [BATCH, DIM]),
                           'y': (np.int32, [BATCH])})


@fx.jax_computation(MODEL, BATCHES)
def client_update(model, batches):
  trained, n = batches.reduce(
      (model, 0.0),
      lambda s, b: (local_sgd(s[0], b['x'], b['y']), s[1] + b['y'].shape[0]))
  return {'delta': jax.tree.map(jnp.subtract, trained, model), 'n': n}


@fx.jax_computation(MODEL, MODEL)
def server_update(model, delta):
  return jax.tree.map(lambda p, d: p + SERVER_LR * d, model, delta)


@fx.federated_computation(fx.type_at_server(MODEL),
                          fx.type_at_clients(BATCHES))
def fed_avg_round(model, data):
  out = fx.federated_map(client_update, [fx.federated_broadcast(model), data])
  delta = fx.federated_mean(out.delta, weight=out.n)
  return fx.federated_map(server_update, [model, delta])


# ---- hand-written JAX ----
@jax.jit
def hand_written_round(model, x, y):
  def client(xs, ys):
    trained, _ = jax.lax.scan(
        lambda m, b: (local_sgd(m, b[0], b[1]), None), model, (xs, ys))
    return jax.tree.map(jnp.subtract, trained, model), jnp.float32(
        xs.shape[0] * xs.shape[1])

  deltas, n = jax.vmap(client)(x, y)
  mean = jax.tree.map(lambda d: jnp.tensordot(n, d, 1) / jnp.sum(n), deltas)
  return jax.tree.map(lambda p, d: p + SERVER_LR * d, model, mean)


def make_data(num_clients, seed=0):
  rng = np.random.default_rng(seed)
  x = rng.normal(size=(num_clients, STEPS, BATCH, DIM)).astype(np.float32)
  y = rng.integers(0, CLASSES, (num_clients, STEPS, BATCH)).astype(np.int32)
  model = {'b': np.zeros(CLASSES, np.float32),
           'w': (rng.normal(size=(DIM, CLASSES)) * 0.01).astype(np.float32)}
  return model, x, y


def first_round(run):
  start = time.perf_counter()
  result = run()
  return time.perf_counter() - start, result


def steady_rounds(runs, repeats):
  """Median seconds per call of each of `runs`, called in turn so that all
  see the same machine conditions."""
  times = [[] for _ in runs]
  for _ in range(repeats):
    for run, ts in zip(runs, times):
      start = time.perf_counter()
      run()
      ts.append(time.perf_counter() - start)
  return [statistics.median(ts) for ts in times]


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument('--clients', type=int, nargs='+', default=[10, 100, 1000])
  parser.add_argument('--repeats', type=int, default=20)
  args = parser.parse_args()
  print(f'jax {jax.__version__} on {jax.devices()[0].platform}; '
        f'{DIM}->{CLASSES} softmax regression, {EXAMPLES} examples per client')
  header = (f'{"clients":>7s} {"impl":<22s} {"first round s":>13s} '
            f'{"steady s/round":>14s} {"first ratio":>11s} '
            f'{"steady ratio":>12s}')
  print(header)
  # Warm up what every implementation shares (the JAX runtime, federax's
  # backend modules), so that first rounds measure trace + compile + run.
  jax.block_until_ready(jax.jit(lambda v: v + 1)(np.float32(1)))
  with fx.backends.jax.jax_context():
    fx.federated_computation(lambda v: fx.federated_sum(v),
                             fx.type_at_clients(np.float32))([1.0])
  rows = []
  for n in args.clients:
    model, x, y = make_data(n)
    data = {'x': x, 'y': y}
    jax_ctx = fx.backends.jax.create_jax_context()

    def hand_written():
      return jax.device_get(hand_written_round(model, x, y))

    def federax_jax():
      with fx.framework.install_context(jax_ctx):
        return fed_avg_round(model, data)

    hw_first, hw_result = first_round(hand_written)
    fx_first, fx_result = first_round(federax_jax)
    np.testing.assert_allclose(fx_result['w'], hw_result['w'], rtol=1e-4,
                               atol=1e-6)
    hw_steady, fx_steady = steady_rounds([hand_written, federax_jax],
                                         args.repeats)
    impls = [('hand-written JAX', hw_first, hw_steady),
             ('federax (jax backend)', fx_first, fx_steady)]
    if n <= 10:
      clients = [{'x': x[i], 'y': y[i]} for i in range(n)]

      def federax_interpreter():
        with fx.backends.interpreter.interpreter_context():
          return fed_avg_round(model, clients)

      it_first, _ = first_round(federax_interpreter)
      it_steady, = steady_rounds([federax_interpreter], args.repeats)
      impls.append(('federax (interpreter)', it_first, it_steady))
    for name, first, steady in impls:
      row = (n, name, first, steady, first / hw_first, steady / hw_steady)
      rows.append(row)
      print(f'{n:7d} {name:<22s} {first:13.4f} {steady:14.5f} '
            f'{first / hw_first:11.2f} {steady / hw_steady:12.2f}')
  return rows


if __name__ == '__main__':
  main()
