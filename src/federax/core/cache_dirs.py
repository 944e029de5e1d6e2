"""Where federax keeps files between runs (datasets, compiled programs)."""

from __future__ import annotations

import os


def cache_dir(name: str, env_var: str) -> str:
  """`$env_var` if set, else `$XDG_CACHE_HOME/federax/name`
  (`~/.cache/federax/name` by default).

  Example:
    >>> import os
    >>> from federax.core import cache_dirs
    >>> os.environ['FX_EXAMPLE_DIR'] = '/tmp/fx-example'
    >>> cache_dirs.cache_dir('things', 'FX_EXAMPLE_DIR')
    '/tmp/fx-example'
    >>> del os.environ['FX_EXAMPLE_DIR']
  """
  if os.environ.get(env_var):
    return os.path.expanduser(os.environ[env_var])
  base = os.environ.get('XDG_CACHE_HOME') or os.path.join(
      os.path.expanduser('~'), '.cache')
  return os.path.join(base, 'federax', name)
