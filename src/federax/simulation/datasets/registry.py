"""The datasets federax knows, for listing and downloading ahead of use.

Example:
  >>> [d.name for d in list_datasets()][:3]
  ['celeba', 'cifar100', 'digits']
"""

from __future__ import annotations

import dataclasses

from federax.simulation.datasets import download as download_lib


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
  """A dataset's name, what it is, and the files it downloads."""
  name: str
  description: str
  files: tuple = ()  # URLs; empty for offline datasets.
  loader: str = ''   # The function to call, e.g. 'emnist.load_data'.


_SQL = download_lib.TFF_BASE_URL
DATASETS = {d.name: d for d in (
    DatasetInfo('celeba', 'CelebA faces by celebrity (LEAF), 40 attributes',
                (_SQL + 'celeba.sqlite.lzma',), 'celeba.load_data'),
    DatasetInfo('cifar100', 'CIFAR-100 split among 500+100 clients (PAM)',
                (_SQL + 'cifar100.sqlite.lzma',), 'cifar100.load_data'),
    DatasetInfo('digits', 'scikit-learn\'s 8x8 digits, partitioned '
                '(offline)', (), 'digits'),
    DatasetInfo('emnist', 'Federated EMNIST by writer (digits or 62 classes)',
                (_SQL + 'emnist_all.sqlite.lzma',), 'emnist.load_data'),
    DatasetInfo('gldv2', 'Google Landmarks v2 client mappings (images not '
                'downloaded)', (
                    'http://storage.googleapis.com/gresearch/federated-'
                    'vision-datasets/landmarks-user-160k.zip',
                    _SQL + 'mini_gld_train_split.csv',
                    _SQL + 'mini_gld_test.csv'), 'gldv2.load_data'),
    DatasetInfo('inaturalist', 'iNaturalist 2017 client mappings (images '
                'not downloaded)', (_SQL + 'iNaturalist_train.csv',
                                    _SQL + 'iNaturalist_test.csv'),
                'inaturalist.load_data'),
    DatasetInfo('shakespeare', 'Shakespeare lines by character (LEAF)',
                (_SQL + 'shakespeare.sqlite.lzma',), 'shakespeare.load_data'),
    DatasetInfo('stackoverflow', 'Stack Overflow posts by user (large)',
                (_SQL + 'stackoverflow.sqlite.lzma',),
                'stackoverflow.load_data'),
    DatasetInfo('synthetic', 'FedProx Synthetic(alpha, beta) and IID '
                '(generated, offline)', (), 'synthetic'),
)}


def list_datasets() -> list:
  """Every known dataset, by name."""
  return [DATASETS[k] for k in sorted(DATASETS)]


def download(name: str, cache_dir: str | None = None,
             progress: bool = True) -> list:
  """Downloads (or finds cached) a dataset's files; returns their paths.

  Example:
    >>> download('digits')
    []
  """
  from federax.simulation.datasets import sql_client_data
  if name not in DATASETS:
    raise ValueError(f'name: unknown dataset {name!r}; known: '
                     f'{sorted(DATASETS)}.')
  paths = []
  for url in DATASETS[name].files:
    if url.endswith('.lzma'):
      paths.append(download_lib.get_compressed_file(
          url, cache_dir, progress=progress,
          validate=sql_client_data.check_database_format))
    else:
      paths.append(download_lib.download_file(url, cache_dir,
                                              progress=progress))
  return paths
