"""How long `import federax` takes in a fresh interpreter.

Baselines measured in the same run: `import numpy` (the floor federax
stands on) and `import jax` (which federax defers until first use).
Prints the median of several runs and the ratios, and checks the issue's
budget of 1.5 s. Run: `python benchmarks/import_time.py`.
"""

import statistics
import subprocess
import sys
import time

RUNS = 7
BUDGET_S = 1.5


def import_seconds(module: str) -> float:
  code = (f'import time; t = time.perf_counter(); import {module}; '
          f'print(time.perf_counter() - t)')
  times = []
  for _ in range(RUNS):
    out = subprocess.run([sys.executable, '-c', code], check=True,
                         capture_output=True, text=True).stdout
    times.append(float(out))
  return statistics.median(times)


def main():
  start = time.perf_counter()
  results = {m: import_seconds(m) for m in ('numpy', 'jax', 'federax')}
  fx = results['federax']
  print(f'{"module":10s} {"median s":>9s} {"federax / it":>13s}')
  for module, seconds in results.items():
    print(f'{module:10s} {seconds:9.3f} {fx / seconds:13.2f}')
  verdict = 'within' if fx < BUDGET_S else 'OVER'
  print(f'import federax: {fx:.3f} s, {verdict} the {BUDGET_S} s budget '
        f'({RUNS} runs each, {time.perf_counter() - start:.0f} s total)')


if __name__ == '__main__':
  main()
