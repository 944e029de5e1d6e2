"""A run killed with SIGKILL mid-training and started again continues from
its last checkpoint, and ends with the very model of a run that never
stopped (bit for bit)."""

import csv
import os
import pathlib
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import federax as fx

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import resumable_training  # noqa: E402

ROUNDS = 8


def _start(checkpoint_dir, out_path, stall_after):
  # The resumed run reuses the killed run's compiled programs (a cache
  # changes no result: the same program runs); the reference run below
  # compiles its own.
  env = dict(os.environ, JAX_PLATFORMS='cpu',
             JAX_COMPILATION_CACHE_DIR=str(checkpoint_dir.parent / 'jax_cache'),
             JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS='0')
  return subprocess.Popen(
      [sys.executable, str(HERE / 'resumable_training.py'),
       str(checkpoint_dir), str(out_path), str(ROUNDS), str(stall_after)],
      env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


@pytest.mark.slow  # Three runs, two of them in new processes.
def test_killed_run_resumes_to_the_uninterrupted_model(tmp_path):
  checkpoints, out = tmp_path / 'checkpoints', tmp_path / 'final.npz'
  # Killed in round 4, after the checkpoint of round 3.
  run = _start(checkpoints, out, stall_after=3)

  # Meanwhile, the uninterrupted run, in this process.
  process, train_data_fn = resumable_training.build()
  expected = fx.simulation.train_model(process, train_data_fn, ROUNDS,
                                       progress=False).model_weights

  deadline = time.time() + 240
  while not (checkpoints / 'program_state_3').exists():
    assert run.poll() is None, run.stdout.read().decode()
    assert time.time() < deadline, 'the run saved no checkpoint 3 in time'
    time.sleep(0.05)
  time.sleep(0.2)  # Into round 4.
  os.kill(run.pid, signal.SIGKILL)
  assert run.wait() == -signal.SIGKILL
  run.stdout.close()
  assert not out.exists()
  assert fx.program.FileProgramStateManager(
      checkpoints).get_versions()[-1] == 3

  resumed = _start(checkpoints, out, stall_after=0)
  output = resumed.communicate(timeout=240)[0].decode()
  assert resumed.returncode == 0, output

  got = fx.program.load_pytree(out, structure=expected)
  expected_leaves = fx.program.flatten_with_name(expected)
  got_leaves = fx.program.flatten_with_name(got)
  assert [n for n, _ in got_leaves] == [n for n, _ in expected_leaves]
  for (name, a), (_, b) in zip(got_leaves, expected_leaves):
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), name

  # Metrics of the rounds run twice were replaced, not duplicated.
  with open(checkpoints / 'metrics.csv', newline='') as f:
    keys = [int(row['key']) for row in csv.DictReader(f)]
  assert keys == list(range(1, ROUNDS + 1))
  assert fx.program.FileProgramStateManager(
      checkpoints).get_versions()[-1] == ROUNDS
