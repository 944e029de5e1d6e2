"""scikit-learn's handwritten digits as a federated dataset (offline)."""

from __future__ import annotations

import functools

import numpy as np

from federax.simulation.datasets import partition as partition_lib

PARTITIONERS = ('iid', 'dirichlet', 'shards')


@functools.lru_cache(maxsize=1)
def _load():
  """`(pixels float32[1797, 8, 8] in [0, 1], labels int32[1797])`.

  Read from the CSV file scikit-learn ships (found without importing
  scikit-learn, which takes seconds), else through `load_digits`.
  """
  import importlib.util  # pylint: disable=import-outside-toplevel
  import os  # pylint: disable=import-outside-toplevel
  spec = importlib.util.find_spec('sklearn')
  if spec is None or not spec.submodule_search_locations:
    raise ImportError('digits() needs scikit-learn, whose package holds the '
                      'images: pip install scikit-learn (or '
                      'federax[examples]).')
  path = os.path.join(list(spec.submodule_search_locations)[0], 'datasets',
                      'data', 'digits.csv.gz')
  if os.path.exists(path):
    table = np.loadtxt(path, delimiter=',')
    images, target = table[:, :-1].reshape(-1, 8, 8), table[:, -1]
  else:  # Another layout: ask scikit-learn.
    from sklearn.datasets import load_digits  # pylint: disable=import-outside-toplevel
    data = load_digits()
    images, target = data.images, data.target
  return (images / 16.0).astype(np.float32), target.astype(np.int32)


def digits(num_clients: int = 10, partitioner='dirichlet', *,
           alpha: float = 0.5, shards_per_client: int = 2,
           test_fraction: float = 0.2, seed: int = 0):
  """`(train, test)` `ClientData` over scikit-learn's 1,797 8x8 digits.

  Examples are `{'label': int32, 'pixels': float32[8, 8]}` (pixels in
  [0, 1]). The images are split among `num_clients` clients by
  `partitioner`: 'iid', 'dirichlet' (over labels, with `alpha`),
  'shards' (McMahan et al.'s pathological split), or a function
  `(labels, num_clients, seed) -> list of index arrays`. Then each
  client's examples are split into train and test (`test_fraction` of
  them, at least one each), so a client's test data looks like its
  training data; `test.create_dataset_from_all_clients()` is a
  centralized test set. No download: the images ship with scikit-learn.

  Example:
    >>> train, test = digits(num_clients=5, partitioner='shards', seed=0)
    >>> print(train.element_type_structure)
    <label=int32,pixels=float32[8,8]>
    >>> sum(train.num_examples_for_client(c) + test.num_examples_for_client(c)
    ...     for c in train.client_ids)
    1797
  """
  pixels, labels = _load()
  if not 0 < test_fraction < 1:
    raise ValueError(f'digits: test_fraction: expected a number in (0, 1), '
                     f'got {test_fraction!r}.')
  if callable(partitioner):
    parts = partitioner(labels, num_clients, seed)
  elif partitioner == 'iid':
    parts = partition_lib.iid(len(labels), num_clients, seed)
  elif partitioner == 'dirichlet':
    parts = partition_lib.dirichlet(labels, num_clients, alpha, seed,
                                    min_size=2)
  elif partitioner == 'shards':
    parts = partition_lib.shards(labels, num_clients, shards_per_client,
                                 seed)
  else:
    raise ValueError(f'digits: partitioner: expected one of {PARTITIONERS} '
                     f'or a function, got {partitioner!r}.')
  rng = np.random.default_rng([seed, 1])
  train, test = [], []
  for part in parts:
    part = rng.permutation(np.asarray(part))
    n_test = min(max(1, int(round(test_fraction * len(part)))),
                 len(part) - 1)
    train.append(np.sort(part[n_test:]))
    test.append(np.sort(part[:n_test]))
  arrays = {'label': labels, 'pixels': pixels}
  return (partition_lib.to_client_data(arrays, train),
          partition_lib.to_client_data(arrays, test))
