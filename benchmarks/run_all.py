"""Runs every benchmark of issue 8 and rewrites its tables in RESULTS.md.

For each workload and cohort, every implementation runs in its own process
(`harness.Worker`): federax (vectorized backend, `build_weighted_fed_avg`),
hand-written JAX (the floor), TFF 0.87 and Flower 1.42 (each in its own
virtual environment, made by `envs/setup_*.sh`; skipped if missing), and
the federax interpreter on the smallest cohort. They are started one at a
time, then their rounds alternate, so that all see the same machine:
steady seconds per round is the median of those rounds. The first config
(W1, 100 clients) starts every implementation in a fresh process: its
start is the cold start (import + build + first round, data generation
excluded); federax and JAX get a fresh process for every config, TFF and
Flower move on with `load` (a warm start). Parity: at W1 with 100 clients,
after 3 rounds every model is compared with federax's. Then the federax
scaling sweep (`scaling.py`) and the report (`report.py`).

Run: `python benchmarks/run_all.py [--quick] [--skip tff flower]
[--no-write]`; results go to `benchmarks/results/` and RESULTS.md.
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import threading
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # pylint: disable=wrong-import-position
import report  # pylint: disable=wrong-import-position
import scaling  # pylint: disable=wrong-import-position

ALL = ['jax', 'federax', 'tff', 'flower']
# (workload, clients, implementations, rounds after the first for TFF and
# Flower). The first config gives every implementation's cold start, and
# parity.
CONFIGS = [
    ('W1', 100, ALL + [harness.CACHED], 6),
    ('W1', 10, ['jax', 'federax', 'federax interpreter', 'tff', 'flower'], 8),
    ('W2', 50, ALL, 5),
    ('W3', 10, ['jax', 'federax', 'federax (lax.conv)', 'tff', 'flower'], 3),
    ('W1', 1000, ALL, 1),
]
PARITY = ('W1', 100, 3)  # Compare the models after this many rounds.
# TFF and Flower take a minute or more to start here (TensorFlow's import,
# Ray), so each starts once and moves from workload to workload (`load`);
# Flower restarts when a cohort exceeds its SuperNodes.
REUSED = ('tff', 'flower')
# Seconds of rounds an implementation gets per config (at least one round
# after the first); one whose rounds would take longer than this, predicted
# linearly from a smaller cohort of the same workload, is skipped.
BUDGET_S = 150
# federax and JAX (and the interpreter) run more rounds, for a steadier
# median of the federax / JAX ratio: up to FAST_ROUNDS, or FAST_BUDGET_S
# seconds of rounds each. They take turns with the others, then alone.
FAST_ROUNDS, FAST_BUDGET_S = 15, 40


def max_difference(a, b):
  return max(float(np.max(np.abs(x - y)))
             for la, lb in zip(a, b) for x, y in zip(la, lb))


def sample_load(samples, done, every_s=10):
  """Appends the 1-minute load average every `every_s` until `done`."""
  while True:
    samples.append(os.getloadavg()[0])
    if done.wait(every_s):
      return


class Pool:
  """Fresh workers, except those of REUSED implementations."""

  def __init__(self):
    self.kept = {}
    self.history = {}  # impl -> [(workload, clients, steady_s)]

  def predicted_s(self, impl, workload, clients):
    past = [(c, s) for w, c, s in self.history.get(impl, []) if w == workload]
    return max((s * clients / c for c, s in past), default=0.0)

  def get(self, impl, workload, clients):
    if impl == harness.CACHED:  # One run fills the cache; the next is timed.
      shutil.rmtree(harness.CACHE_DIR, ignore_errors=True)
      harness.Worker(impl, workload, clients).close()
    kept = self.kept.get(impl)
    if kept and (impl != 'flower' or clients <= kept.supernodes):
      kept.load(workload, clients)
      return kept
    if kept:
      kept.close()
    option = str(max(clients, 100)) if impl == 'flower' else None
    worker = harness.Worker(impl, workload, clients, option=option)
    if impl in REUSED:
      worker.supernodes = int(option or 0)
      self.kept[impl] = worker
    return worker

  def release(self, worker):
    if worker.name not in REUSED:
      worker.close()

  def close(self):
    for worker in self.kept.values():
      worker.close()


def run_config(pool, workload, clients, impls, rounds, parity_rounds=None):
  """Rows `{impl, cold, start_s, first_round_s, steady_s, peak_rss_mib}`."""
  workers, rows, parity = [], [], {}
  try:
    for impl in impls:
      predicted = pool.predicted_s(impl, workload, clients)
      if predicted * min(rounds + 1, 3) > BUDGET_S:
        rows.append(dict(impl=impl, skipped=f'predicted {predicted:.0f} '
                         f's/round, over the {BUDGET_S} s budget'))
        continue
      print(f'  starting {impl}', flush=True)
      try:
        workers.append(pool.get(impl, workload, clients))
      except harness.WorkerError as e:
        rows.append(dict(impl=impl, error=str(e)))
    prints = {w.name: w.fingerprint for w in workers}
    if len({json.dumps(p) for p in prints.values()}) > 1:
      raise RuntimeError(f'workers made different data: {prints}')
    times = {w.name: [] for w in workers}
    for r in range(max(rounds, FAST_ROUNDS)):
      ran = []
      for w in workers:
        fast = w.name not in REUSED
        most, budget = (FAST_ROUNDS, FAST_BUDGET_S) if fast else (rounds,
                                                                  BUDGET_S)
        if r < most and (r == 0 or sum(times[w.name]) < budget):
          times[w.name].append(w.round())
          ran.append(f'{w.name} {times[w.name][-1]:.3g}')
      if not ran:
        break
      print(f'    round {r + 2}: ' + ', '.join(ran), flush=True)
      if parity_rounds and r + 2 == parity_rounds:
        models = {w.name: w.weights() for w in workers}
        parity = {name: max_difference(m, models['federax'])
                  for name, m in models.items() if name != 'federax'}
    for w in workers:
      steady = statistics.median(times[w.name])
      pool.history.setdefault(w.name, []).append((workload, clients, steady))
      rows.append(dict(
          impl=w.name, cold=w.cold, start_s=w.start_s,
          first_round_s=w.first_round_s, steady_s=steady,
          rounds=times[w.name], peak_rss_mib=w.peak_rss_mib,
          processes=w.process_names))
  finally:
    for w in workers:
      pool.release(w)
  order = {impl: i for i, impl in enumerate(impls)}
  return sorted(rows, key=lambda row: order[row['impl']]), parity


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument('--quick', action='store_true',
                      help='fewer rounds, no TFF/Flower at 1,000 clients')
  parser.add_argument('--skip', nargs='*', default=[])
  parser.add_argument('--no-scaling', action='store_true')
  parser.add_argument('--no-write', action='store_true')
  parser.add_argument('--only', nargs='*', help='workloads, e.g. W1')
  args = parser.parse_args()
  start = time.perf_counter()
  results = {'started': time.strftime('%Y-%m-%d %H:%M:%S'), 'configs': [],
             'load': []}
  done = threading.Event()
  threading.Thread(target=sample_load, args=(results['load'], done),
                   daemon=True).start()
  pool = Pool()
  try:
    for workload, clients, impls, rounds in CONFIGS:
      if args.only and workload not in args.only:
        continue
      impls = [i for i in impls if i.split()[0] not in args.skip
               and harness.available(i)]
      if args.quick:
        rounds = max(2, rounds // 2)
        if clients >= 1000:
          impls = [i for i in impls if i not in REUSED]
      parity = PARITY[2] if (workload, clients) == PARITY[:2] else None
      print(f'{workload} x {clients} clients: {", ".join(impls)}', flush=True)
      rows, parity = run_config(pool, workload, clients, impls, rounds, parity)
      results['configs'].append(dict(workload=workload, clients=clients,
                                     rows=rows, parity=parity))
      for row in rows:
        print('   ', {k: v for k, v in row.items() if k != 'rounds'},
              flush=True)
      if parity:
        print('    parity (max |w - w_federax|):', parity, flush=True)
  finally:
    pool.close()
  if not args.no_scaling:
    results['scaling'] = scaling.run(results['configs'], quick=args.quick)
  done.set()
  results['total_s'] = time.perf_counter() - start
  print(f'total {results["total_s"]:.0f} s', flush=True)
  os.makedirs(report.RESULTS_DIR, exist_ok=True)
  with open(os.path.join(report.RESULTS_DIR, 'run_all.json'), 'w') as f:
    json.dump(results, f, indent=1)
  if not args.no_write:
    report.write(results)


if __name__ == '__main__':
  main()
