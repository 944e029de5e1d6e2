"""Where a cold start goes: federax's W1 x 100 FedAvg against hand-written JAX.

Each implementation starts in fresh processes (median of `--repeats`):
importing jax, importing federax (and the learning modules the round
uses), building the process, `initialize()`, and the first round (trace,
compile, run); the hand-written floor (`impls/impl_jax.py`) has only
imports, build and first round. Data generation is excluded, as in
`run_all.py`. Run: `python benchmarks/cold_start_parts.py [--repeats 3]`.
"""

import argparse
import json
import statistics
import subprocess
import sys

CHILD = r'''
import json, sys, time
sys.path.insert(0, 'benchmarks'); sys.path.insert(0, 'benchmarks/impls')
import workloads as wl
x, y = wl.client_data(wl.W1, 100)
parts, t = {}, time.perf_counter()
def mark(name):
  global t
  now = time.perf_counter(); parts[name] = now - t; t = now
import jax, jax.numpy
mark('import jax')
if sys.argv[1] == 'jax':
  from impls import impl_jax
  run_round = impl_jax.build(wl.W1, 100, 'jax', x, y)[0]
  mark('build')
  run_round()
  mark('first round')
else:
  import numpy as np
  import federax as fx
  fx.learning.algorithms
  mark('import federax')
  import jax_models
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
  mark('build')
  state = process.initialize()
  mark('initialize')
  jax.block_until_ready(process.next(state, (x, y)))
  mark('first round')
print(json.dumps(parts))
'''


def run(impl):
  out = subprocess.run([sys.executable, '-c', CHILD, impl], check=True,
                       capture_output=True, text=True)
  return json.loads(out.stdout.strip().splitlines()[-1])


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument('--repeats', type=int, default=3)
  args = parser.parse_args()
  rows = {}
  for _ in range(args.repeats):  # Alternate, so both see the same machine.
    for impl in ('jax', 'federax'):
      for name, s in run(impl).items():
        rows.setdefault(impl, {}).setdefault(name, []).append(s)
  names = list(rows['federax'])
  print('| implementation | ' + ' | '.join(names) + ' | total s | '
        'total / jax |')
  print('|---' * (len(names) + 3) + '|')
  totals = {impl: sum(statistics.median(v) for v in parts.values())
            for impl, parts in rows.items()}
  for impl, parts in rows.items():
    cells = [f'{statistics.median(parts[n]):.2f}' if n in parts else '-'
             for n in names]
    print(f'| {impl} | ' + ' | '.join(cells) + f' | {totals[impl]:.2f} | '
          f'{totals[impl] / totals["jax"]:.2f} |')


if __name__ == '__main__':
  main()
