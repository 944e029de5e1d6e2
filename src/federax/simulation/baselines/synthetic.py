"""Small stand-in federated datasets in the published formats.

What a task's `use_synthetic_data=True` trains on (TFF's `get_synthetic`
helpers): three clients with a few examples each, in exactly the
per-example format of the real loader, so that tasks, tests and docs run
offline. The values are seeded noise (EMNIST, CIFAR-100) or a few fixed
sentences (Shakespeare, Stack Overflow), not real data.
"""

from __future__ import annotations

import collections

import numpy as np

_SIZES = (5, 3, 4)


def _client_data(make_client):
  from federax.simulation.datasets import client_data
  return client_data.ClientData.from_arrays(
      {f'synthetic_{i}': make_client(i, n) for i, n in enumerate(_SIZES)})


def emnist(only_digits: bool = True):
  """Three clients of `{'label': int32, 'pixels': float32[28, 28]}`.

  Example:
    >>> print(emnist().element_type_structure)
    <label=int32,pixels=float32[28,28]>
  """
  classes = 10 if only_digits else 62

  def make(i, n):
    rng = np.random.default_rng(i)
    return {'label': rng.integers(0, classes, n).astype(np.int32),
            'pixels': rng.uniform(0, 1, (n, 28, 28)).astype(np.float32)}

  return _client_data(make)


def cifar100():
  """Three clients of `{'coarse_label': int64, 'image': uint8[32, 32, 3],
  'label': int64}`.

  Example:
    >>> print(cifar100().element_type_structure)
    <coarse_label=int64,image=uint8[32,32,3],label=int64>
  """
  def make(i, n):
    rng = np.random.default_rng(100 + i)
    label = rng.integers(0, 100, n)
    return {'coarse_label': (label // 5).astype(np.int64),
            'image': rng.integers(0, 256, (n, 32, 32, 3)).astype(np.uint8),
            'label': label.astype(np.int64)}

  return _client_data(make)


_LINES = (
    b'To be, or not to be, that is the question:',
    b'Whether \'tis nobler in the mind to suffer',
    b'The slings and arrows of outrageous fortune,',
    b'Or to take arms against a sea of troubles',
    b'And by opposing end them. To die: to sleep;',
    b'Now is the winter of our discontent',
    b'Made glorious summer by this sun of York;',
    b'All the world\'s a stage,\nAnd all the men and women merely players;',
    b'What\'s in a name? That which we call a rose',
    b'By any other word would smell as sweet.',
    b'If music be the food of love, play on.',
    b'Friends, Romans, countrymen, lend me your ears;',
)


def shakespeare():
  """Three clients of `{'snippets': bytes}` (lines of the plays).

  Example:
    >>> print(shakespeare().element_type_structure)
    <snippets=str>
  """
  def make(i, n):
    lines = [_LINES[(4 * i + k) % len(_LINES)] for k in range(n)]
    return {'snippets': np.array(lines, dtype=object)}

  return _client_data(make)


_POSTS = (
    ('how to sort a list in python', 'sort list python', 'python|list'),
    ('what is the difference between a list and a tuple',
     'list vs tuple', 'python'),
    ('my java program throws a null pointer exception',
     'null pointer exception', 'java'),
    ('how do i read a file line by line in java', 'read file java',
     'java|file'),
    ('use a dict comprehension to build the map in python',
     'dict comprehension', 'python|dictionary'),
    ('the query returns every row of the table', 'sql query rows',
     'sql|mysql'),
    ('join two tables on a key with sql', 'sql join', 'sql'),
    ('how to sort a map by value in java', 'sort map java', 'java|sorting'),
)


def stackoverflow():
  """Three clients of Stack Overflow posts (`creation_date`, `score`
  int64, `tags`, `title`, `tokens`, `type`).

  Example:
    >>> print(stackoverflow().element_type_structure)
    <creation_date=str,score=int64,tags=str,title=str,tokens=str,type=str>
  """
  def make(i, n):
    posts = [_POSTS[(3 * i + k) % len(_POSTS)] for k in range(n)]
    return {
        'creation_date': np.array([b'2010-01-08 09:34:05.073 UTC'] * n,
                                  dtype=object),
        'score': np.arange(n, dtype=np.int64),
        'tags': np.array([p[2].encode() for p in posts], dtype=object),
        'title': np.array([p[1].encode() for p in posts], dtype=object),
        'tokens': np.array([p[0].encode() for p in posts], dtype=object),
        'type': np.array([b'question'] * n, dtype=object)}

  return _client_data(make)


def _counts(strings):
  counter = collections.Counter(strings)
  return collections.OrderedDict(
      sorted(counter.items(), key=lambda item: (-item[1], item[0])))


def stackoverflow_word_counts():
  """The words of `stackoverflow()`'s posts by count, most frequent first.

  Example:
    >>> list(stackoverflow_word_counts())[:3]
    ['a', 'in', 'how']
  """
  return _counts(w for p in _POSTS for w in set(p[0].split()))


def stackoverflow_tag_counts():
  """The tags of `stackoverflow()`'s posts by count, most frequent first.

  Example:
    >>> list(stackoverflow_tag_counts())[:2]
    ['java', 'python']
  """
  return _counts(t for p in _POSTS for t in p[2].split('|'))
