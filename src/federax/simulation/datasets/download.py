"""Downloading and caching dataset files: progress, resume, checksums.

Files are cached under `cache_dir`: the argument, else the
`FEDERAX_DATASETS_DIR` environment variable, else
`~/.cache/federax/datasets` (`$XDG_CACHE_HOME/federax/datasets` when that
is set). A download goes to `<file>.part` first and is resumed from
there (an HTTP Range request) if interrupted; it is renamed into place
only when complete and, when a SHA-256 is known, checked. `.lzma` files
are decompressed next to it and the compressed copy removed. A cached
file is used without any network access. `FEDERAX_DATASETS_URL` (a base
URL) makes every download come from a mirror instead, by file name.
"""

from __future__ import annotations

import hashlib
import lzma
import os
import sys
import time
import urllib.parse

from federax.core import cache_dirs

TFF_BASE_URL = 'https://storage.googleapis.com/tff-datasets-public/'
_CHUNK = 1 << 20


class DatasetUnavailableError(ConnectionError):
  """A dataset file is neither cached nor downloadable now."""


def default_cache_dir() -> str:
  """Where dataset files are cached unless `cache_dir` says otherwise.

  Example:
    >>> import os
    >>> os.environ['FEDERAX_DATASETS_DIR'] = '/tmp/fx-data'
    >>> default_cache_dir()
    '/tmp/fx-data'
    >>> del os.environ['FEDERAX_DATASETS_DIR']
  """
  return cache_dirs.cache_dir('datasets', 'FEDERAX_DATASETS_DIR')


def url_basename(origin: str) -> str:
  """The file name at the end of a URL.

  Example:
    >>> url_basename('https://example.org/a/emnist_all.sqlite.lzma')
    'emnist_all.sqlite.lzma'
  """
  return urllib.parse.urlparse(origin).path.rsplit('/', 1)[-1]


def resolve(origin: str) -> str:
  """`origin`, or the same file name under `FEDERAX_DATASETS_URL`.

  Example:
    >>> resolve('https://example.org/x/a.csv')
    'https://example.org/x/a.csv'
  """
  mirror = os.environ.get('FEDERAX_DATASETS_URL')
  if not mirror:
    return origin
  return mirror.rstrip('/') + '/' + url_basename(origin)


class _Progress:
  """A one-line progress bar on stderr (bytes, percent, rate, ETA)."""

  def __init__(self, name: str, total: int | None, done: int, enabled: bool):
    self.name, self.total, self.done = name, total, done
    self.enabled, self.start, self.start_done = enabled, time.time(), done
    self.last = 0.0

  def update(self, n: int, final: bool = False):
    self.done += n
    now = time.time()
    if not self.enabled or (not final and now - self.last < 0.1):
      return
    self.last = now
    mib = 1 << 20
    rate = (self.done - self.start_done) / max(now - self.start, 1e-6)
    line = f'Downloading {self.name}: {self.done / mib:.1f}'
    if self.total:
      pct = 100 * self.done / self.total
      eta = (self.total - self.done) / rate if rate > 0 else 0
      line += (f'/{self.total / mib:.1f} MiB {pct:3.0f}% '
               f'{rate / mib:.1f} MiB/s ETA {eta:.0f}s')
    else:
      line += f' MiB {rate / mib:.1f} MiB/s'
    sys.stderr.write('\r' + line + ('\n' if final else ''))
    sys.stderr.flush()


def _unavailable(url, reason, path, extra=''):
  return DatasetUnavailableError(
      f'Could not download {url} ({reason}), and there is no cached copy at '
      f'{path}{extra}. If this machine is offline, download {url} elsewhere '
      f'and place the file at {path}; or point cache_dir (or the '
      f'FEDERAX_DATASETS_DIR environment variable) at a directory holding '
      f'it, or FEDERAX_DATASETS_URL at a mirror.')


def sha256_of(path: str) -> str:
  """The SHA-256 of a file, as hex."""
  digest = hashlib.sha256()
  with open(path, 'rb') as f:
    for chunk in iter(lambda: f.read(_CHUNK), b''):
      digest.update(chunk)
  return digest.hexdigest()


def download_file(origin: str, cache_dir: str | None = None, *,
                  sha256: str | None = None, progress: bool = True,
                  timeout: float = 60.0, extra_hint: str = '') -> str:
  """The path of `origin`'s file in the cache, downloading it if needed.

  Example:
    >>> import tempfile
    >>> download_file('http://127.0.0.1:9/x.csv', tempfile.mkdtemp(),
    ...               progress=False)
    Traceback (most recent call last):
    ...
    federax.simulation.datasets.download.DatasetUnavailableError: Could not download http://127.0.0.1:9/x.csv (...
  """
  import urllib.error  # pylint: disable=import-outside-toplevel
  import urllib.request  # pylint: disable=import-outside-toplevel
  cache_dir = cache_dir or default_cache_dir()
  path = os.path.join(cache_dir, url_basename(origin))
  if os.path.exists(path):
    return path
  url = resolve(origin)
  os.makedirs(cache_dir, exist_ok=True)
  part = path + '.part'
  offset = os.path.getsize(part) if os.path.exists(part) else 0
  headers = {'Range': f'bytes={offset}-'} if offset else {}
  try:
    response = urllib.request.urlopen(
        urllib.request.Request(url, headers=headers), timeout=timeout)
  except urllib.error.HTTPError as e:
    if not (e.code == 416 and offset):  # 416: the partial file is whole.
      raise _unavailable(url, f'HTTP {e.code} {e.reason}', path,
                         extra_hint) from None
    response = None
  except (urllib.error.URLError, OSError) as e:
    reason = getattr(e, 'reason', e)
    raise _unavailable(url, reason, path, extra_hint) from None
  if response is not None:
    with response:
      if offset and response.status != 206:
        offset = 0  # The server ignored the Range header: start over.
      length = response.headers.get('Content-Length')
      total = offset + int(length) if length is not None else None
      bar = _Progress(url_basename(origin), total, offset, progress)
      try:
        with open(part, 'ab' if offset else 'wb') as out:
          for chunk in iter(lambda: response.read(_CHUNK), b''):
            out.write(chunk)
            bar.update(len(chunk))
      except OSError as e:
        raise DatasetUnavailableError(
            f'The download of {url} stopped ({e}); {os.path.getsize(part)} '
            f'bytes are kept in {part}: call again to resume.') from None
      bar.update(0, final=True)
  if sha256 is not None:
    actual = sha256_of(part)
    if actual != sha256.lower():
      os.remove(part)
      raise ValueError(
          f'sha256: {url} gave a file whose SHA-256 is {actual}, expected '
          f'{sha256}; the bad file was removed. Download again; if the '
          f'published file changed, pass sha256=None.')
  os.replace(part, path)
  return path


def decompress_lzma(path: str, target: str):
  """Decompresses an `.lzma`/`.xz` file to `target` (via `target.part`)."""
  part = target + '.part'
  try:
    with lzma.open(path, 'rb') as src, open(part, 'wb') as out:
      for chunk in iter(lambda: src.read(_CHUNK), b''):
        out.write(chunk)
  except (lzma.LZMAError, EOFError) as e:
    os.remove(part)
    os.remove(path)
    raise ValueError(
        f'{path} is not a complete LZMA file ({e}); it was removed: '
        f'download it again.') from None
  os.replace(part, target)


def get_compressed_file(origin: str, cache_dir: str | None = None, *,
                        sha256: str | None = None, validate=None,
                        progress: bool = True) -> str:
  """The decompressed file of an `.lzma` URL, downloaded and cached once.

  TFF's `download.get_compressed_file`. `sha256` is checked on the
  compressed file; `validate(path)` checks the decompressed one (e.g.
  that a SQLite file has its tables) and may raise.

  Example:
    >>> import tempfile
    >>> get_compressed_file('http://127.0.0.1:9/a.csv', tempfile.mkdtemp())
    Traceback (most recent call last):
    ...
    ValueError: origin: only .lzma files are decompressed; got 'a.csv'.
  """
  name = url_basename(origin)
  if not name.endswith('.lzma'):
    raise ValueError(f'origin: only .lzma files are decompressed; got '
                     f'{name!r}.')
  cache_dir = cache_dir or default_cache_dir()
  target = os.path.join(cache_dir, name[:-len('.lzma')])
  if os.path.exists(target):
    return target
  compressed = download_file(
      origin, cache_dir, sha256=sha256, progress=progress,
      extra_hint=f' (nor its decompressed form at {target})')
  if progress:
    sys.stderr.write(f'Decompressing {name}\n')
  decompress_lzma(compressed, target)
  if validate is not None:
    try:
      validate(target)
    except Exception:
      os.remove(target)
      os.remove(compressed)
      raise
  os.remove(compressed)
  return target
