"""Peak memory of a FedAvg round whose client data comes per client.

The W1 round (`build_weighted_fed_avg`, 100 examples of 784 floats per
client, batches of 20) runs twice in each of two fresh processes, with the
same data given two ways:

- `aligned` (federax): one `(x, y)` pair per client, as a `ClientData`
  gives them; federax stacks (and pads) them into arrays aligned to 64
  bytes, which XLA:CPU uses in place;
- `numpy-aligned` (the baseline): the same, with the stacking arrays made
  by `np.zeros` (numpy aligns to 16 bytes), which XLA:CPU copies when the
  call starts: what federax did before.

Reported: the peak RSS before the rounds (the data), the peak after, and
seconds per round. Run: `python benchmarks/client_list_memory.py
[--clients 3000]`.
"""

import argparse
import json
import subprocess
import sys

CHILD = r'''
import json, resource, sys, time
sys.path.insert(0, 'benchmarks')
import numpy as np
import federax as fx
import jax_models, workloads as wl

n, form = int(sys.argv[1]), sys.argv[2]
if form == 'numpy-aligned':
  from federax.backends.jax import ingest
  ingest.aligned_zeros = np.zeros
x, y = wl.client_data(wl.W1, n)
data = [(x[i], y[i]) for i in range(n)]
predict = jax_models.predict(wl.W1)
model = fx.learning.models.FunctionalModel(
    initial_weights=(tuple(tuple(l) for l in wl.initial_weights(wl.W1)), ()),
    predict_on_batch_fn=lambda w, bx, training=True: predict(w[0], bx),
    loss_fn=fx.learning.models.sparse_categorical_crossentropy,
    input_spec=((np.float32, (None, 784)), (np.int32, [None])))
process = fx.learning.algorithms.build_weighted_fed_avg(
    model, fx.learning.optimizers.build_sgdm(wl.CLIENT_LR),
    fx.learning.optimizers.build_sgdm(wl.SERVER_LR),
    client_spec=fx.learning.ClientSpec(batch_size=wl.BATCH, shuffle=False))
state = process.initialize()
peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
before = peak()
times = []
for _ in range(2):
  start = time.perf_counter()
  state, _ = process.next(state, data)
  times.append(time.perf_counter() - start)
print(json.dumps({'before_mib': before, 'after_mib': peak(),
                  'round_s': min(times), 'data_mib': x.nbytes / 2**20}))
'''


def run(clients, form):
  out = subprocess.run([sys.executable, '-c', CHILD, str(clients), form],
                       capture_output=True, text=True, check=True)
  return json.loads(out.stdout.strip().splitlines()[-1])


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument('--clients', type=int, default=3000)
  args = parser.parse_args()
  rows = {form: run(args.clients, form)
          for form in ('numpy-aligned', 'aligned')}
  base = rows['numpy-aligned']
  print(f'{args.clients} clients, {base["data_mib"]:.0f} MiB of examples')
  print('| stacking arrays | peak before MiB | peak after MiB | round growth MiB '
        '| s/round | growth / baseline |')
  print('|---|---|---|---|---|---|')
  for form, r in rows.items():
    growth = r['after_mib'] - r['before_mib']
    ratio = growth / (base['after_mib'] - base['before_mib'])
    print(f'| {form} | {r["before_mib"]:.0f} | {r["after_mib"]:.0f} | '
          f'{growth:.0f} | {r["round_s"]:.2f} | {ratio:.2f} |')


if __name__ == '__main__':
  main()
