"""Federated Google Landmarks v2 (TFF's `tff.simulation.datasets.gldv2`).

Supported: the published client mappings (which photographer's images
form each client, and their landmark classes), downloaded and cached,
and client datasets read from images you downloaded yourself. Not
supported: downloading and filtering the 500 GLDv2 image shards (about
500 GB) as TFF does; get them from the Google Landmarks Dataset v2
release and pass their directory as `image_dir`. See `vision` for the
example format.
"""

from __future__ import annotations

import os

from federax.simulation.datasets import download
from federax.simulation.datasets import vision

FED_GLD_SPLIT_FILE_BUNDLE = 'landmarks-user-160k'
FED_GLD_SPLIT_FILE_DOWNLOAD_URL = (
    'http://storage.googleapis.com/gresearch/federated-vision-datasets/'
    f'{FED_GLD_SPLIT_FILE_BUNDLE}.zip')
MINI_GLD_TRAIN_DOWNLOAD_URL = download.TFF_BASE_URL + 'mini_gld_train_split.csv'
MINI_GLD_TEST_DOWNLOAD_URL = download.TFF_BASE_URL + 'mini_gld_test.csv'


def load_mapping(gld23k: bool = False, cache_dir: str | None = None):
  """`({client_id: [(image_id, class), ...]}, test_rows)`.

  gld160k (the default): 1,262 clients, 2,028 classes, 164,172 images;
  gld23k: 233 clients, 203 classes, 23,080 images.

  Example:
    >>> train, test = load_mapping(gld23k=True)  # doctest: +SKIP
  """
  if gld23k:
    train = download.download_file(MINI_GLD_TRAIN_DOWNLOAD_URL, cache_dir)
    test = download.download_file(MINI_GLD_TEST_DOWNLOAD_URL, cache_dir)
  else:
    bundle = download.download_file(FED_GLD_SPLIT_FILE_DOWNLOAD_URL,
                                    cache_dir)
    folder = os.path.join(os.path.dirname(bundle), FED_GLD_SPLIT_FILE_BUNDLE)
    train = os.path.join(folder, 'federated_train.csv')
    test = os.path.join(folder, 'test.csv')
    if not (os.path.exists(train) and os.path.exists(test)):
      import zipfile  # pylint: disable=import-outside-toplevel
      with zipfile.ZipFile(bundle) as z:
        z.extractall(os.path.dirname(bundle))
  return (vision.group_by_client(vision.read_csv(train), 'user_id', train),
          vision.read_csv(test))


def load_data(image_dir: str | None = None, cache_dir: str | None = None,
              gld23k: bool = False, decode_images: bool = True):
  """`(train ClientData, test Dataset)` over images in `image_dir`.

  Example:
    >>> train, test = load_data('/data/gldv2/images', gld23k=True)  # doctest: +SKIP
  """
  mapping, test_rows = load_mapping(gld23k, cache_dir)
  return (vision.image_client_data(mapping, image_dir, decode_images, 'gldv2'),
          vision.test_dataset(test_rows, image_dir, decode_images, 'gldv2'))
