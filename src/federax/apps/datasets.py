"""`federax datasets list` and `federax datasets download NAME`.

`list` prints every dataset federax knows (`fx.simulation.datasets.
registry`), whether it is generated offline or downloaded, and whether its
files are already in the cache; `download` fetches a dataset's files ahead
of use (with a progress bar; resumed if interrupted; used from the cache
afterwards, offline too).

Example:
  >>> import contextlib, io
  >>> out = io.StringIO()
  >>> with contextlib.redirect_stdout(out):
  ...   status = download('digits')
  >>> status, out.getvalue().strip()
  (0, 'digits needs no download: it ships with scikit-learn.')
"""

from __future__ import annotations

import os
import sys


class DatasetsCommandError(Exception):
  """A mistake on the command line: reported in one line, exit status 2."""


def _cached_name(url: str) -> str:
  from federax.simulation.datasets import download as download_lib
  name = download_lib.url_basename(url)
  return name[:-len('.lzma')] if name.endswith('.lzma') else name


def list_datasets(cache_dir: str | None = None, out=None) -> int:
  """Prints the known datasets and where their files are; status 0."""
  from federax.simulation.datasets import download as download_lib
  from federax.simulation.datasets import registry
  out = out or sys.stdout
  cache_dir = cache_dir or download_lib.default_cache_dir()
  infos = registry.list_datasets()
  width = max(len(d.name) for d in infos)
  print(f'{"name":{width}}  {"files":10}  description', file=out)
  for info in infos:
    if not info.files:
      state = 'offline'
    else:
      have = sum(os.path.exists(os.path.join(cache_dir, _cached_name(url)))
                 for url in info.files)
      state = 'cached' if have == len(info.files) else (
          f'{have}/{len(info.files)} cached' if have else 'download')
    print(f'{info.name:{width}}  {state:10}  {info.description}', file=out)
  print(f'\ncache: {cache_dir} (--cache-dir, or $FEDERAX_DATASETS_DIR)\n'
        f'download one ahead of use: federax datasets download NAME',
        file=out)
  return 0


def download(name: str, cache_dir: str | None = None,
             progress: bool = True) -> int:
  """Downloads dataset `name` into the cache; prints its paths; status 0."""
  from federax.simulation.datasets import download as download_lib
  from federax.simulation.datasets import registry
  if name not in registry.DATASETS:
    known = ', '.join(sorted(registry.DATASETS))
    raise DatasetsCommandError(f'NAME: unknown dataset {name!r}; expected '
                               f'one of {known} (see federax datasets list).')
  info = registry.DATASETS[name]
  if not info.files:
    where = ('it ships with scikit-learn' if name == 'digits' else
             'it is generated')
    print(f'{name} needs no download: {where}.')
    return 0
  try:
    paths = registry.download(name, cache_dir, progress=progress)
  except download_lib.DatasetUnavailableError as e:
    raise DatasetsCommandError(str(e)) from None
  for path in paths:
    print(path)
  return 0
