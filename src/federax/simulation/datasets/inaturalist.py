"""Federated iNaturalist 2017 (TFF's `tff.simulation.datasets.inaturalist`).

Supported: the published mappings of images to clients for every split
(by user, or by location at several radii), downloaded and cached, and
client datasets read from the iNaturalist 2017 images you downloaded
yourself (`train_val_images.tar.gz` and `test2017.tar.gz` of the 2017
competition, about 200 GB, extracted below `image_dir`). Not supported:
downloading those images automatically. See `vision` for the example
format.
"""

from __future__ import annotations

import enum

from federax.simulation.datasets import download
from federax.simulation.datasets import vision

INAT_TRAIN_DOWNLOAD_URL = download.TFF_BASE_URL + 'iNaturalist_train.csv'
INAT_TEST_DOWNLOAD_URL = download.TFF_BASE_URL + 'iNaturalist_test.csv'


class INaturalistSplit(enum.Enum):
  """How images are grouped into clients: by user, or by location cell.

  Example:
    >>> INaturalistSplit.GEO_1K.name.lower()
    'geo_1k'
  """
  USER_120K = enum.auto()
  GEO_100 = enum.auto()
  GEO_300 = enum.auto()
  GEO_1K = enum.auto()
  GEO_3K = enum.auto()
  GEO_10K = enum.auto()
  GEO_30K = enum.auto()


def load_mapping(split: INaturalistSplit = INaturalistSplit.USER_120K,
                 cache_dir: str | None = None):
  """`({client_id: [(image_id, class), ...]}, test_rows)` for a split.

  USER_120K has 9,275 clients (120,300 training images of 1,203
  species); GEO_100 ... GEO_30K have 3,607 ... 12 clients.

  Example:
    >>> train, test = load_mapping(INaturalistSplit.GEO_30K)  # doctest: +SKIP
  """
  if not isinstance(split, INaturalistSplit):
    raise TypeError(f'split: expected an INaturalistSplit, e.g. '
                    f'INaturalistSplit.USER_120K, got {split!r}.')
  train = download.download_file(INAT_TRAIN_DOWNLOAD_URL, cache_dir)
  test = download.download_file(INAT_TEST_DOWNLOAD_URL, cache_dir)
  return (vision.group_by_client(vision.read_csv(train), split.name.lower(),
                                 train),
          vision.read_csv(test))


def load_data(image_dir: str | None = None, cache_dir: str | None = None,
              split: INaturalistSplit = INaturalistSplit.USER_120K,
              decode_images: bool = True):
  """`(train ClientData, test Dataset)` over images in `image_dir`.

  Example:
    >>> train, test = load_data('/data/inat2017')  # doctest: +SKIP
  """
  mapping, test_rows = load_mapping(split, cache_dir)
  return (vision.image_client_data(mapping, image_dir, decode_images,
                                   'iNat2017'),
          vision.test_dataset(test_rows, image_dir, decode_images,
                              'iNat2017'))
