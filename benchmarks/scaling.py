"""federax as the cohort grows (10 -> 10,000 clients) and as the model
grows (W1 -> W2 -> W3): seconds per round and peak memory, each point in a
fresh process (`harness.Worker`: `build_weighted_fed_avg` on the vectorized
backend, default chunking). `run(configs)` takes the federax rows of
`run_all.py`'s configs and measures the points they lack (`EXTRA`).
Alone: `python benchmarks/scaling.py [--quick]` measures every point and
prints them as JSON.
"""

import argparse
import json
import os
import statistics
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # pylint: disable=wrong-import-position
import workloads  # pylint: disable=wrong-import-position

# Beyond run_all.py's configs: the largest cohort, and W2 at 10 clients so
# that all three models are compared at 10 clients.
EXTRA = [('W2', 10), ('W1', 10000)]
ALONE = [('W1', 10), ('W1', 100), ('W1', 1000), ('W2', 50), ('W3', 10)]
ROUNDS = 3


def data_mib(workload, clients):
  """Size of the clients' data (float32 inputs, int32 labels), MiB."""
  per_example = 4 * int(np.prod(workload.input_shape)) + 4
  return clients * workloads.EXAMPLES * per_example / 2**20


def point(name, clients, steady_s, start_s, peak_rss_mib):
  workload = workloads.WORKLOADS[name]
  return dict(workload=name, params=workload.num_params, clients=clients,
              steady_s=steady_s, cold_s=start_s, peak_rss_mib=peak_rss_mib,
              data_mib=data_mib(workload, clients))


def measure(name, clients, rounds=ROUNDS):
  print(f'  scaling: federax {name} x {clients}', flush=True)
  worker = harness.Worker('federax', name, clients)
  try:
    times = [worker.round() for _ in range(rounds)]
  finally:
    worker.close()
  return point(name, clients, statistics.median(times), worker.start_s,
               worker.peak_rss_mib)


def run(configs=(), quick=False):
  points = [point(c['workload'], c['clients'], r['steady_s'], r['start_s'],
                  r['peak_rss_mib'])
            for c in configs for r in c['rows'] if r['impl'] == 'federax'
            and 'steady_s' in r]
  todo = EXTRA if configs else ALONE + EXTRA
  for name, clients in todo:
    if quick and clients > 1000:
      continue
    points.append(measure(name, clients, rounds=2 if clients > 1000 else
                          ROUNDS))
    print('   ', points[-1], flush=True)
  return sorted(points, key=lambda p: (p['workload'], p['clients']))


if __name__ == '__main__':
  parser = argparse.ArgumentParser()
  parser.add_argument('--quick', action='store_true')
  print(json.dumps(run(quick=parser.parse_args().quick), indent=1))
