"""`import federax` loads the Federated Core only; the rest loads on use."""

import json
import subprocess
import sys

import pytest

import federax as fx

LAZY = ('aggregators', 'analytics', 'compiler', 'learning', 'program',
        'simulation')


def _loaded_after(code):
  out = subprocess.run(
      [sys.executable, '-c', code + '\nimport sys, json\n'
       'print(json.dumps(sorted(sys.modules)))'],
      capture_output=True, text=True, check=True, timeout=120)
  return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_import_loads_no_jax_and_no_learning_layer():
  loaded = _loaded_after('import federax')
  heavy = {'jax', 'optax', 'ray', 'keras', 'flax', 'tensorflow'}
  assert not heavy & loaded
  assert not {f'federax.{name}' for name in LAZY} & loaded
  assert 'federax.core.intrinsics' in loaded


def test_subpackages_load_on_first_use():
  loaded = _loaded_after('import federax as fx\nfx.learning.algorithms')
  assert {'federax.learning', 'federax.aggregators'} <= loaded
  assert 'federax.analytics' not in loaded


def test_lazy_names_are_listed_and_unknown_names_fail():
  assert set(LAZY) <= set(dir(fx))
  assert fx.learning is sys.modules['federax.learning']
  with pytest.raises(AttributeError, match="no attribute 'lerning'"):
    fx.lerning  # pylint: disable=pointless-statement
