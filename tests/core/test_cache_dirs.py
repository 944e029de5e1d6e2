"""federax.core.cache_dirs: the variable, else XDG_CACHE_HOME, else ~/.cache."""

import os

from federax.core import cache_dirs


def test_variable_then_xdg_then_home(monkeypatch, tmp_path):
  monkeypatch.setenv('FX_TEST_DIR', str(tmp_path / 'given'))
  assert cache_dirs.cache_dir('x', 'FX_TEST_DIR') == str(tmp_path / 'given')
  monkeypatch.delenv('FX_TEST_DIR')
  monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'xdg'))
  assert cache_dirs.cache_dir('x', 'FX_TEST_DIR') == str(
      tmp_path / 'xdg' / 'federax' / 'x')
  monkeypatch.delenv('XDG_CACHE_HOME')
  monkeypatch.setenv('HOME', str(tmp_path / 'home'))
  assert cache_dirs.cache_dir('x', 'FX_TEST_DIR') == os.path.join(
      str(tmp_path / 'home'), '.cache', 'federax', 'x')
