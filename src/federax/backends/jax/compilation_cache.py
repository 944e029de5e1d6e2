"""A persistent cache of compiled programs, so a new process skips XLA.

The first round of a learning process compiles the whole round into one
program, which is most of a run's start-up time. JAX can keep compiled
programs on disk, keyed by the program, the compile options and the
versions of jax and the hardware, so that a later process (the next run
of a simulation, the next test) loads them instead of compiling. JAX
caches only programs that took more than a second to compile; a round
often compiles in less, so this also caches those.
"""

from __future__ import annotations

import os

from federax.core import cache_dirs


def default_directory() -> str:
  """`$FEDERAX_COMPILATION_CACHE_DIR` if set, else
  `$XDG_CACHE_HOME/federax/xla` (`~/.cache/federax/xla` by default).

  Example:
    >>> import os, federax as fx
    >>> os.environ['FEDERAX_COMPILATION_CACHE_DIR'] = '/tmp/fx-xla'
    >>> fx.backends.jax.compilation_cache.default_directory()
    '/tmp/fx-xla'
    >>> del os.environ['FEDERAX_COMPILATION_CACHE_DIR']
  """
  return cache_dirs.cache_dir('xla', 'FEDERAX_COMPILATION_CACHE_DIR')


def enable_compilation_cache(directory: str | os.PathLike | None = None
                             ) -> str:
  """Keeps compiled programs in `directory` for later processes.

  Sets JAX's persistent compilation cache (process-wide: it also caches
  your own `jax.jit` programs) and returns the directory used.
  `directory` defaults to `default_directory()`. Entries are safe to
  delete at any time; a program compiled with other versions of jax or for
  another device is never loaded.

  Example:
    >>> import tempfile, federax as fx
    >>> path = fx.backends.jax.enable_compilation_cache(tempfile.mkdtemp())
    >>> import jax
    >>> jax.config.jax_compilation_cache_dir == path
    True
    >>> jax.config.update('jax_compilation_cache_dir', None)  # Off again.
  """
  if directory is None:
    directory = default_directory()
  if not isinstance(directory, (str, os.PathLike)):
    raise TypeError(f'enable_compilation_cache: directory: expected a path '
                    f'(str or os.PathLike), got {type(directory).__name__}; '
                    f'pass a directory, or None for {default_directory()}.')
  directory = os.fspath(directory)
  os.makedirs(directory, exist_ok=True)
  import jax
  jax.config.update('jax_compilation_cache_dir', directory)
  jax.config.update('jax_persistent_cache_min_compile_time_secs', 0.0)
  jax.config.update('jax_persistent_cache_min_entry_size_bytes', 0)
  return directory
