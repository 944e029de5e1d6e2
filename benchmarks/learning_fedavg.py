"""`fx.learning.algorithms.build_weighted_fed_avg` against hand-written JAX.

Workload W1 (softmax regression 784 -> 10, 100 examples per client in
batches of 20, one local epoch, client SGD lr 0.02, server SGD lr 1.0,
weighted by examples) built with the learning API: a FunctionalModel, the
composed learning process (broadcast, model-delta client work with padding
masks and metrics, weighted MeanFactory, optimizer finalizer). Client data
is passed stacked, `(x[clients, 100, 784], y[clients, 100])`. Measured
with and without seeded shuffling (shuffling gathers each client's
examples in a new order every epoch). The floor is the same round as one
`jax.jit` of a `vmap` over clients of a `lax.scan` over batches
(`fedavg_round.hand_written_round`).

Run: `python benchmarks/learning_fedavg.py [--clients 10 100 1000]`.
"""

import argparse
import os
import sys

import jax
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fedavg_round as w1  # pylint: disable=wrong-import-position

import federax as fx  # pylint: disable=wrong-import-position


def build_process(model, shuffle):
  functional = fx.learning.models.FunctionalModel(
      initial_weights=((model['b'], model['w']), ()),
      predict_on_batch_fn=lambda w, x, training=True: (
          x @ w[0][1] + w[0][0]),
      loss_fn=fx.learning.models.sparse_categorical_crossentropy,
      input_spec=((np.float32, [None, w1.DIM]), (np.int32, [None])))
  return fx.learning.algorithms.build_weighted_fed_avg(
      functional, fx.learning.optimizers.build_sgdm(w1.CLIENT_LR),
      fx.learning.optimizers.build_sgdm(w1.SERVER_LR),
      client_spec=fx.learning.ClientSpec(batch_size=w1.BATCH,
                                         shuffle=shuffle))


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument('--clients', type=int, nargs='+', default=[10, 100, 1000])
  parser.add_argument('--repeats', type=int, default=10)
  args = parser.parse_args()
  print(f'jax {jax.__version__} on {jax.devices()[0].platform}; W1 through '
        f'fx.learning.algorithms.build_weighted_fed_avg')
  print(f'{"clients":>7s} {"impl":<24s} {"first round s":>13s} '
        f'{"steady s/round":>14s} {"steady ratio":>12s}')
  jax.block_until_ready(jax.jit(lambda v: v + 1)(np.float32(1)))
  for n in args.clients:
    model, x, y = w1.make_data(n)
    flat_x = x.reshape(n, w1.EXAMPLES, w1.DIM)
    flat_y = y.reshape(n, w1.EXAMPLES)
    runs = {'hand-written JAX': lambda: jax.device_get(
        w1.hand_written_round(model, x, y))}
    for shuffle in (False, True):
      process = build_process(model, shuffle)
      state = process.initialize()
      runs[f'federax learning{" shuffled" if shuffle else ""}'] = (
          lambda p=process, s=state: p.next(s, (flat_x, flat_y)))
    firsts = {name: w1.first_round(run)[0] for name, run in runs.items()}
    steady = dict(zip(runs, w1.steady_rounds(list(runs.values()),
                                             args.repeats)))
    floor = steady['hand-written JAX']
    for name in runs:
      print(f'{n:7d} {name:<24s} {firsts[name]:13.3f} {steady[name]:14.4f} '
            f'{steady[name] / floor:12.2f}')


if __name__ == '__main__':
  main()
