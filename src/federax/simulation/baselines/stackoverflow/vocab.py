"""Stack Overflow word and tag counts: TFF's published files, or counted.

TFF's `stackoverflow.load_word_counts` and `load_tag_counts` read two small
files it publishes next to the dataset (`stackoverflow.word_count.tar.bz2`:
lines `word count`, most frequent first; `stackoverflow.tag_count.tar.bz2`:
a JSON object of counts); a count is the number of training users with a
post holding the word or tag. They are downloaded once, checked against
TFF's SHA-256 and unpacked into the dataset cache (see
`fx.simulation.datasets.download`; `FEDERAX_DATASETS_URL` selects a
mirror). `counts_from_client_data` counts the same way over a
`ClientData`, for when the files cannot be had, or for other data.
"""

from __future__ import annotations

import collections
import json
import os
import shutil
import tarfile

import numpy as np

_WORD_FILE = 'stackoverflow.word_count'
_TAG_FILE = 'stackoverflow.tag_count'
_SHA256 = {
    _WORD_FILE:
        '1dc00256d6e527c54b9756d968118378ae14e6692c0b3b6cad470cdd3f0c519c',
    _TAG_FILE:
        '6fe281cec490d9384a290d560072438e7e2b377bbb823876ce7bd6f82696772d',
}


def count_file_path(name: str, cache_dir: str | None = None) -> str:
  """The path of TFF's unpacked count file `name`, downloaded if needed.

  Example:
    >>> import os, tempfile
    >>> cache = tempfile.mkdtemp()
    >>> open(os.path.join(cache, 'stackoverflow.tag_count'), 'w').close()
    >>> os.path.basename(count_file_path('stackoverflow.tag_count', cache))
    'stackoverflow.tag_count'
  """
  from federax.simulation.datasets import download
  cache_dir = cache_dir or download.default_cache_dir()
  target = os.path.join(cache_dir, name)
  if os.path.exists(target):
    return target
  archive = download.download_file(
      download.TFF_BASE_URL + name + '.tar.bz2', cache_dir,
      sha256=_SHA256.get(name), extra_hint=f' (nor its unpacked form at '
      f'{target})')
  try:
    with tarfile.open(archive, 'r:bz2') as tar:
      member = next((m for m in tar.getmembers()
                     if m.isfile() and os.path.basename(m.name) == name),
                    None)
      if member is None:
        raise ValueError(f'{archive} holds no file named {name}; it was '
                         f'removed: download it again.')
      with tar.extractfile(member) as src, open(target + '.part',
                                                'wb') as out:
        shutil.copyfileobj(src, out)
  except (tarfile.TarError, EOFError, OSError) as e:
    os.remove(archive)
    raise ValueError(f'{archive} is not a complete tar.bz2 file ({e}); it '
                     f'was removed: download it again.') from None
  except ValueError:
    os.remove(archive)
    raise
  os.replace(target + '.part', target)
  os.remove(archive)
  return target


def load_word_counts(cache_dir: str | None = None,
                     vocab_size: int | None = None):
  """TFF's `load_word_counts`: `OrderedDict` word -> count, most frequent
  first (the first `vocab_size` words when given).

  Example:
    >>> import os, tempfile
    >>> cache = tempfile.mkdtemp()
    >>> with open(os.path.join(cache, 'stackoverflow.word_count'), 'w') as f:
    ...   _ = f.write('the 90\\nto 80\\na 70\\n')
    >>> list(load_word_counts(cache, vocab_size=2).items())
    [('the', 90), ('to', 80)]
  """
  if vocab_size is not None and (not isinstance(vocab_size, int) or
                                 vocab_size < 1):
    raise ValueError(f'load_word_counts: vocab_size: expected None or an int '
                     f'>= 1, got {vocab_size!r}.')
  counts = collections.OrderedDict()
  with open(count_file_path(_WORD_FILE, cache_dir)) as f:
    for line in f:
      if vocab_size is not None and len(counts) >= vocab_size:
        break
      parts = line.split()
      if len(parts) == 2:
        counts[parts[0]] = int(parts[1])
  return counts


def load_tag_counts(cache_dir: str | None = None):
  """TFF's `load_tag_counts`: `OrderedDict` tag -> count, most frequent
  first.

  Example:
    >>> import os, tempfile
    >>> cache = tempfile.mkdtemp()
    >>> with open(os.path.join(cache, 'stackoverflow.tag_count'), 'w') as f:
    ...   _ = f.write('{"java": 5, "python": 9}')
    >>> list(load_tag_counts(cache).items())
    [('python', 9), ('java', 5)]
  """
  with open(count_file_path(_TAG_FILE, cache_dir)) as f:
    counts = json.load(f)
  return collections.OrderedDict(
      sorted(counts.items(), key=lambda item: item[1], reverse=True))


def counts_from_client_data(client_data, field: str = 'tokens',
                            separator: str | None = ' ',
                            max_clients: int | None = None, seed: int = 0):
  """Counts, per word of `field`, the clients with an example holding it.

  `separator` splits the field (None: any whitespace; tags use '|');
  `max_clients` counts over that many clients drawn with `seed` instead
  of all. Most frequent first, ties alphabetically.

  Example:
    >>> from federax.simulation.baselines import synthetic
    >>> counts = counts_from_client_data(synthetic.stackoverflow(), 'tags', '|')
    >>> list(counts)[:2]
    ['java', 'python']
  """
  ids = list(client_data.client_ids)
  if max_clients is not None and max_clients < len(ids):
    chosen = np.random.default_rng(seed).choice(len(ids), max_clients,
                                                replace=False)
    ids = [ids[i] for i in sorted(chosen)]
  sep = None if separator is None else separator.encode()
  counter = collections.Counter()
  for client_id in ids:
    seen = set()
    for example in client_data.create_dataset_for_client(client_id):
      value = example[field]
      value = value if isinstance(value, bytes) else bytes(value)
      seen.update(w for w in value.split(sep) if w)
    counter.update(w.decode('utf-8', 'replace') for w in seen)
  return collections.OrderedDict(
      sorted(counter.items(), key=lambda item: (-item[1], item[0])))


def counts_for_task(kind: str, counts, train_data, cache_dir, where: str,
                    max_clients: int = 1000):
  """`counts` if given, else TFF's published counts of `kind` ('word' or
  'tag'), else (offline, nothing cached) counts over `max_clients`
  training clients, with a warning.

  Example:
    >>> counts_for_task('tag', {'a': 2}, None, None, 'demo')
    {'a': 2}
  """
  if counts is not None:
    if not hasattr(counts, 'keys') and not isinstance(counts, (list, tuple)):
      raise TypeError(
          f'{where}: {kind}_counts: expected a dict of {kind} -> count, most '
          f'frequent first (or a list of {kind}s), got '
          f'{type(counts).__name__}.')
    return counts
  from federax.simulation.datasets import download
  try:
    return load_word_counts(cache_dir) if kind == 'word' else (
        load_tag_counts(cache_dir))
  except download.DatasetUnavailableError as e:
    import warnings
    warnings.warn(
        f'{where}: TFF\'s Stack Overflow {kind} counts are unavailable ({e}) '
        f'Counting {kind}s over {max_clients} training clients instead; the '
        f'vocabulary differs from TFF\'s. Pass {kind}_counts= to choose.',
        stacklevel=3)
    if kind == 'word':
      return counts_from_client_data(train_data, 'tokens', ' ', max_clients)
    return counts_from_client_data(train_data, 'tags', '|', max_clients)
