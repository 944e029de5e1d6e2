"""fx.backends.jax.enable_compilation_cache: a new process loads the round."""

import os
import subprocess
import sys

import pytest

import federax as fx

SCRIPT = '''
import sys, numpy as np, federax as fx
fx.backends.jax.enable_compilation_cache(sys.argv[1])
import jax
jax.config.update('jax_log_compiles', True)
total = fx.federated_computation(
    lambda x: fx.federated_sum(fx.federated_map(
        fx.jax_computation(lambda v: v * 2.0, np.float32), x)),
    fx.type_at_clients(np.float32))
print('result', total([1.0, 2.0, 3.0]))
'''


def _run(directory):
  out = subprocess.run([sys.executable, '-c', SCRIPT, str(directory)],
                       capture_output=True, text=True, check=True, timeout=300)
  return out.stdout + out.stderr


@pytest.mark.slow
def test_a_second_process_loads_the_compiled_call(tmp_path):
  first = _run(tmp_path)
  assert 'result 12.0' in first
  assert os.listdir(tmp_path)  # Programs were written.
  second = _run(tmp_path)
  assert 'result 12.0' in second
  assert 'Persistent compilation cache hit' in second, second


def test_directory_is_checked():
  with pytest.raises(TypeError, match=r'directory: expected a path \(str or '
                     r'os.PathLike\), got int'):
    fx.backends.jax.enable_compilation_cache(3)
