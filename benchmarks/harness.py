"""Driver side of the benchmarks: start workers, time them, watch memory.

A `Worker` is one implementation of one workload in a fresh process (see
`impls/protocol.py`). Its cold start is measured from outside; its peak
memory is the largest sum of the resident set sizes of the process and
all its descendants (TFF's `worker_binary`, Ray's processes), sampled
every 50 ms. On close, every process it ever had is ended by its id:
TFF's `worker_binary` and Ray's actors outlive their parents.
"""

import json
import os
import queue
import subprocess
import threading
import time

import psutil

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PYTHONS = {
    'federax': os.path.join(ROOT, '.venv', 'bin', 'python'),
    'tff': os.path.join(HERE, '.venv-tff', 'bin', 'python'),
    'flower': os.path.join(HERE, '.venv-flower', 'bin', 'python'),
}
# federax with fx.backends.jax.enable_compilation_cache() in this directory
# (run_all.py empties it, then fills it with one run before measuring).
CACHE_DIR = os.path.join(HERE, 'results', 'xla_cache')
CACHED = 'federax (compilation cache)'
# name -> (environment, worker script, option[, extra environment variables])
IMPLS = {
    'jax': ('federax', 'impl_jax.py', 'jax'),
    'jax (lax.conv)': ('federax', 'impl_jax.py', 'jax:lax'),
    'federax': ('federax', 'impl_jax.py', 'federax'),
    'federax (lax.conv)': ('federax', 'impl_jax.py', 'federax:lax'),
    'federax interpreter': ('federax', 'impl_jax.py', 'federax-interpreter'),
    CACHED: ('federax', 'impl_jax.py', 'federax-cached',
             {'FEDERAX_COMPILATION_CACHE_DIR': CACHE_DIR}),
    'tff': ('tff', 'impl_tff.py', ''),
    'flower': ('flower', 'impl_flower.py', ''),
}
SAMPLE_S = 0.05


def available(impl):
  return os.path.exists(PYTHONS[IMPLS[impl][0]])


class WorkerError(RuntimeError):
  pass


class Worker:
  """`impl` running `workload` at `clients` clients, ready after `__init__`
  (its first round done); `start_s` (a cold start), `first_round_s`,
  `peak_rss_mib`. `option` overrides the implementation's option."""

  def __init__(self, impl, workload, clients, timeout_s=900, log_dir=None,
               option=None):
    env_name, script, default_option, *extra = IMPLS[impl]
    option = default_option if option is None else option
    self.name = impl
    env = dict(os.environ, PYTHONPATH=HERE, PYTHONUNBUFFERED='1',
               **(extra[0] if extra else {}))
    log_dir = log_dir or os.path.join(HERE, 'results', 'logs')
    os.makedirs(log_dir, exist_ok=True)
    slug = f'{impl}-{workload}-{clients}'.replace(' ', '_').replace('/', '')
    self._log = open(os.path.join(log_dir, slug + '.log'), 'w')
    start = time.perf_counter()
    self._proc = subprocess.Popen(
        [PYTHONS[env_name], os.path.join(HERE, 'impls', script), workload,
         str(clients), option], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=self._log, env=env, text=True, bufsize=1)
    self._lines = queue.Queue()
    self._seen = {}  # pid -> psutil.Process, every process the tree had
    self._names = {}  # pid -> process name
    self._peak = 0
    self._stop = threading.Event()
    threading.Thread(target=self._read_stdout, daemon=True).start()
    threading.Thread(target=self._watch_memory, daemon=True).start()
    self.workload, self.clients, self.cold = workload, clients, True
    self._ready(start, timeout_s)

  def _ready(self, start, timeout_s):
    ready = self._receive(timeout_s)
    self.start_s = time.perf_counter() - start - ready['data_s']
    self.first_round_s = ready['first_round_s']
    self.fingerprint = ready['fingerprint']

  def load(self, workload, clients, timeout_s=900):
    """Moves a running worker to another workload: `start_s` is then a
    warm start (build + first round, no imports), and the peak memory
    is that seen from now on."""
    self.workload, self.clients, self.cold = workload, clients, False
    self._peak = 0
    start = time.perf_counter()
    self._proc.stdin.write(json.dumps({'load': [workload, clients]}) + '\n')
    self._ready(start, timeout_s)

  @property
  def peak_rss_mib(self):
    return self._peak / 2**20

  @property
  def process_names(self):
    return sorted(set(self._names.values()))

  def _read_stdout(self):
    for line in self._proc.stdout:
      self._lines.put(line)
    self._lines.put(None)

  def _watch_memory(self):
    root = psutil.Process(self._proc.pid)
    while not self._stop.is_set():
      try:
        tree = [root] + root.children(recursive=True)
      except psutil.Error:
        break
      total = 0
      for p in tree:
        if p.pid not in self._seen:
          self._seen[p.pid] = p
          try:
            self._names[p.pid] = p.name()
          except psutil.Error:
            pass
        try:
          total += p.memory_info().rss
        except psutil.Error:
          pass
      self._peak = max(self._peak, total)
      time.sleep(SAMPLE_S)

  def _receive(self, timeout_s):
    deadline = time.monotonic() + timeout_s
    while True:
      try:
        line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
      except queue.Empty:
        self.close()
        raise WorkerError(f'{self.name}: no answer in {timeout_s} s') from None
      if line is None:
        self.close()
        raise WorkerError(f'{self.name}: exited (see {self._log.name})')
      if line.startswith('{'):
        try:
          return json.loads(line)
        except json.JSONDecodeError:
          pass  # A framework's own print.

  def call(self, command, timeout_s=900):
    self._proc.stdin.write(json.dumps(command) + '\n')
    return self._receive(timeout_s)

  def round(self):
    return self.call('round')['seconds']

  def weights(self):
    import numpy as np
    return [tuple(np.asarray(a, np.float32) for a in layer)
            for layer in self.call('weights')['weights']]

  def close(self):
    """Ends the worker and every process its tree ever had, by their ids."""
    if self._proc.poll() is None:
      try:
        self._proc.stdin.write('"quit"\n')
        self._proc.stdin.flush()
        self._proc.wait(timeout=60)
      except (OSError, subprocess.TimeoutExpired):
        self._proc.kill()
        self._proc.wait()
    self._stop.set()
    for p in self._seen.values():
      try:
        if p.is_running():  # Same pid and start time: the same process.
          p.kill()
      except psutil.Error:
        pass
    self._log.close()
