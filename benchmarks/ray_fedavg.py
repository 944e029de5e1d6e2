"""A 1,000-client FedAvg round: local vectorized backend against Ray.

Workload W1 (softmax regression 784 -> 10, 100 examples per client in
batches of 20, one local epoch, client SGD lr 0.02, server SGD lr 1.0,
weighted by examples) built with `build_weighted_fed_avg`, as in
`learning_fedavg.py`. Each round starts from the same state. Rows:

- `local, stacked`: `fx.backends.jax` with the data as stacked arrays.
- `local, ClientData`: the same, with one dataset per client taken from an
  in-memory `ClientData` (the data path the workers use below).
- `ray N, shipped`: a local Ray cluster (`ray_context(num_workers=N)`) with
  the stacked data sent from the driver (sliced per share, through the
  object store).
- `ray N, RemoteClientData`: each worker builds the same `ClientData` once
  and reads its share's datasets itself; only client ids travel.

First round = send + trace + compile + run; steady = median of `--repeats`
rounds, the local and Ray rounds called in turn (so both see the same
machine conditions). The overhead Ray adds is steady(ray) - steady(local)
for the same data path; `mean of scalars` (a `federated_mean` of one float
per client) shows the fixed cost of a call.

Run: `python benchmarks/ray_fedavg.py [--clients 1000] [--repeats 5]`.
"""

import argparse
import functools
import os
import sys
import time

import jax
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fedavg_round as w1  # pylint: disable=wrong-import-position
import learning_fedavg  # pylint: disable=wrong-import-position

import federax as fx  # pylint: disable=wrong-import-position


def client_arrays(num_clients, examples, dim, classes, seed=0):
  """W1's client data as `fedavg_round.make_data` draws it, flattened to
  `x[clients, examples, dim]`, `y[clients, examples]` (numpy only, so the
  workers can run it)."""
  rng = np.random.default_rng(seed)
  x = rng.normal(size=(num_clients, examples, dim)).astype(np.float32)
  y = rng.integers(0, classes, (num_clients, examples)).astype(np.int32)
  return x, y


def w1_client_data(num_clients, examples, dim, classes):
  """The ClientData a worker builds (once): W1's clients, in memory."""
  x, y = client_arrays(num_clients, examples, dim, classes)
  datasets = fx.simulation.datasets
  return datasets.ClientData.from_clients_and_fn(
      [str(i) for i in range(num_clients)],
      lambda c: datasets.Dataset.from_tensor_slices((x[int(c)], y[int(c)])))


def first(run):
  start = time.perf_counter()
  jax.block_until_ready(jax.tree_util.tree_leaves(run()))
  return time.perf_counter() - start


def in_context(ctx, fn):
  def run():
    with fx.framework.install_context(ctx):
      return fn()
  return run


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument('--clients', type=int, default=1000)
  parser.add_argument('--repeats', type=int, default=5)
  parser.add_argument('--workers', type=int, nargs='+', default=[1, 2])
  parser.add_argument('--object-store-mb', type=int, default=512)
  args = parser.parse_args()
  n = args.clients
  model, x, y = w1.make_data(n)
  flat = (x.reshape(n, w1.EXAMPLES, w1.DIM), y.reshape(n, w1.EXAMPLES))
  del x, y
  factory = functools.partial(w1_client_data, n, w1.EXAMPLES, w1.DIM,
                              w1.CLASSES)
  np.testing.assert_array_equal(
      client_arrays(n, w1.EXAMPLES, w1.DIM, w1.CLASSES)[1], flat[1])
  process = learning_fedavg.build_process(model, shuffle=False)
  state = process.initialize()
  ids = [str(i) for i in range(n)]
  local_data = factory()
  mean = fx.federated_computation(lambda v: fx.federated_mean(v),
                                  fx.type_at_clients(np.float32))
  scalars = np.arange(n, dtype=np.float32)
  local = fx.backends.jax.create_jax_context()
  print(f'jax {jax.__version__}, W1 FedAvg round, {n} clients; '
        f'{os.cpu_count()} cores')
  for k in args.workers:
    with fx.backends.ray.ray_context(
        num_workers=k, object_store_memory=args.object_store_mb * 2**20) as ray:
      remote = fx.backends.ray.RemoteClientData(factory, ids)
      rounds = {  # name: (run, the local run it is compared with)
          'local, stacked': (in_context(local, lambda: process.next(
              state, flat)), None),
          f'ray {k}, shipped': (in_context(ray, lambda: process.next(
              state, flat)), 'local, stacked'),
          'local, ClientData': (in_context(local, lambda: process.next(
              state, [local_data.create_dataset_for_client(c)
                      for c in ids])), None),
          f'ray {k}, RemoteClientData': (in_context(ray, lambda: process.next(
              state, remote)), 'local, ClientData'),
      }
      tiny = {
          'local, mean of scalars': (in_context(local, lambda: mean(
              scalars)), None),
          f'ray {k}, mean of scalars': (in_context(ray, lambda: mean(
              scalars)), 'local, mean of scalars'),
      }
      print(f'\n{"backend, data":<28s} {"first round s":>13s} '
            f'{"steady s/round":>14s} {"overhead s":>10s}')
      for table, repeats in ((rounds, args.repeats), (tiny, 50)):
        firsts = {name: first(run) for name, (run, _) in table.items()}
        # Called in turn, so that all see the same machine conditions.
        steady = dict(zip(table, w1.steady_rounds(
            [run for run, _ in table.values()], repeats)))
        for name, (_, base) in table.items():
          extra = f'{steady[name] - steady[base]:10.4f}' if base else ''
          print(f'{name:<28s} {firsts[name]:13.3f} {steady[name]:14.4f} '
                f'{extra:>10s}', flush=True)


if __name__ == '__main__':
  main()
