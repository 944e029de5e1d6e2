"""The JSON-lines protocol every benchmark worker speaks (numpy only).

A worker process is started as `python impl_X.py WORKLOAD CLIENTS [OPTION]`
by `benchmarks/run_all.py`. It imports its framework, makes the workload's
data, builds the round and runs the first one, then prints one line:

  {"ready": true, "data_s": ..., "first_round_s": ..., "fingerprint": [...]}

and answers commands read from stdin, one JSON line each:

  "round"   -> {"seconds": s}   one more round, timed inside the worker
  "weights" -> {"weights": [[kernel, bias], ...]} the current model
  {"load": [WORKLOAD, CLIENTS]} -> a ready line: drops the current round,
               makes, builds and runs the first round of another workload
               (so a slow-starting framework starts once per run)
  "quit"    -> exits

Cold start (import + build + first round) is measured from outside: the
time from starting the process to its ready line, less `data_s` (making
the random data is the workload's cost, not the framework's).
"""

import gc
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import workloads  # pylint: disable=wrong-import-position


# Messages go to the stdout the process started with, even if a framework
# later points sys.stdout elsewhere; the driver skips lines that are not
# JSON objects (a framework's own prints).
_OUT = sys.stdout


def _send(message):
  _OUT.write(json.dumps(message) + '\n')
  _OUT.flush()


def _load(build, name, num_clients, option):
  workload = workloads.WORKLOADS[name]
  start = time.perf_counter()
  x, y = workloads.client_data(workload, num_clients)
  data_s = time.perf_counter() - start
  run_round, get_weights = build(workload, num_clients, option, x, y)
  start = time.perf_counter()
  run_round()
  _send({'ready': True, 'data_s': data_s,
         'first_round_s': time.perf_counter() - start,
         'fingerprint': workloads.fingerprint(x, y)})
  return run_round, get_weights


def serve(build):
  """Runs a worker. `build(workload, num_clients, option, x, y)` returns
  `(run_round, get_weights)`: `run_round()` runs one round to completion,
  `get_weights()` returns the model as `[(kernel, bias), ...]` arrays."""
  option = sys.argv[3] if len(sys.argv) > 3 else ''
  run_round, get_weights = _load(build, sys.argv[1], int(sys.argv[2]), option)
  for line in sys.stdin:
    command = json.loads(line)
    if isinstance(command, dict) and 'load' in command:
      run_round = get_weights = None
      gc.collect()
      run_round, get_weights = _load(build, *command['load'], option)
    elif command == 'round':
      start = time.perf_counter()
      run_round()
      _send({'seconds': time.perf_counter() - start})
    elif command == 'weights':
      _send({'weights': [[k.tolist() for k in layer]
                         for layer in get_weights()]})
    elif command == 'quit':
      break
