"""Peak memory of a FedAvg round as the cohort grows, with and without chunks.

Each configuration runs in a fresh process: client data (100 examples of
784 floats per client, the W1 workload of `fedavg_round.py`) is created
and placed on the device, the peak-RSS counter is reset, one round runs,
and the growth of peak RSS over the data already in memory is reported:
the memory the round itself needs. With a fixed chunk size it stays nearly
flat from 1,000 to 10,000 clients; without chunking (the whole cohort in
one chunk) it grows with the cohort. The baseline is chunk = cohort.
Run: `python benchmarks/chunk_memory.py [--clients 1000 2000 5000 10000]`.
"""

import argparse
import json
import subprocess
import sys
import time

CHILD = r'''
import json, sys, time
sys.path.insert(0, 'benchmarks')
import jax, numpy as np
import federax as fx
import fedavg_round as w1

def rss(field):
  for line in open('/proc/self/status'):
    if line.startswith(field):
      return int(line.split()[1]) * 1024
n, chunk = int(sys.argv[1]), int(sys.argv[2])
key = jax.random.key(0)
# Created by XLA, so the arrays are device buffers as a real input pipeline
# would leave them (a numpy array would be copied at every call instead).
data = {'x': jax.random.normal(key, (n, w1.STEPS, w1.BATCH, w1.DIM)),
        'y': jax.random.randint(key, (n, w1.STEPS, w1.BATCH), 0, w1.CLASSES)}
jax.block_until_ready(data)
import ctypes, gc
gc.collect()
ctypes.CDLL('libc.so.6').malloc_trim(0)   # return freed temporaries to the OS
model = {'b': np.zeros(w1.CLASSES, np.float32),
         'w': np.zeros((w1.DIM, w1.CLASSES), np.float32)}
before = rss('VmRSS')
open('/proc/self/clear_refs', 'w').write('5')   # resets the peak (VmHWM)
start = time.perf_counter()
with fx.backends.jax.jax_context(chunk_size=chunk):
  result = w1.fed_avg_round(model, data)
seconds = time.perf_counter() - start
assert np.all(np.isfinite(result['w']))
print(json.dumps({'data_bytes': before, 'peak_growth': rss('VmHWM') - before,
                  'seconds': seconds}))
'''


def measure(n, chunk):
  out = subprocess.run([sys.executable, '-c', CHILD, str(n), str(chunk)],
                       check=True, capture_output=True, text=True).stdout
  return json.loads(out.strip().splitlines()[-1])


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument('--clients', type=int, nargs='+',
                      default=[1000, 2000, 5000, 10000])
  parser.add_argument('--chunk', type=int, default=256)
  parser.add_argument('--unchunked-up-to', type=int, default=5000)
  args = parser.parse_args()
  start = time.perf_counter()
  print(f'{"clients":>7s} {"chunk":>6s} {"RSS before MiB":>14s} '
        f'{"round peak growth MiB":>21s} {"round s":>8s}')
  rows = []
  for n in args.clients:
    for chunk in [args.chunk] + ([n] if n <= args.unchunked_up_to else []):
      r = measure(n, chunk)
      rows.append((n, chunk, r))
      print(f'{n:7d} {chunk:6d} {r["data_bytes"] / 2**20:14.0f} '
            f'{r["peak_growth"] / 2**20:21.0f} {r["seconds"]:8.2f}')
  print(f'total {time.perf_counter() - start:.0f} s')
  return rows


if __name__ == '__main__':
  main()
