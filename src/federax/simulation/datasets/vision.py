"""Image datasets given as CSV mappings plus local images (GLDv2, iNat).

TFF builds these by downloading hundreds of gigabytes of images. federax
downloads the published CSV files that map images to clients and
classes, and reads images from a directory you provide: files named
`<image_id>.jpg` anywhere below `image_dir`. A client's examples are
`{'class': int64[1], 'image/decoded': uint8[h, w, 3]}` (decoding needs
Pillow), or `{'class': int64[1], 'image/encoded_jpeg': bytes}` with
`decode_images=False`. Images missing from `image_dir` are skipped with
a warning, as TFF does.
"""

from __future__ import annotations

import collections
import csv
import logging
import os

import numpy as np

from federax.simulation.datasets import client_data_kinds
from federax.simulation.datasets import dataset as dataset_lib

KEY_IMAGE_BYTES = 'image/encoded_jpeg'
KEY_IMAGE_DECODED = 'image/decoded'
KEY_CLASS = 'class'


def read_csv(path: str) -> list[dict]:
  """The rows of a CSV file with a header, as dicts."""
  with open(path, newline='') as f:
    return list(csv.DictReader(f))


def group_by_client(rows, user_column: str, path: str = 'the mapping'):
  """`{client_id: [(image_id, class), ...]}`, skipping 'NA' clients.

  Example:
    >>> group_by_client([{'user_id': '7', 'image_id': 'a', 'class': '3'}],
    ...                 'user_id')
    {'7': [('a', 3)]}
  """
  if rows and not {user_column, 'image_id', 'class'} <= set(rows[0]):
    raise ValueError(f'{path} must have the columns {user_column!r}, '
                     f'\'image_id\' and \'class\'; it has {sorted(rows[0])}.')
  clients = collections.defaultdict(list)
  for r in rows:
    if r[user_column] != 'NA':
      clients[r[user_column]].append((r['image_id'], int(r['class'])))
  return dict(clients)


class ImageDirectory:
  """Finds `<image_id>.jpg` files below a directory (indexed once)."""

  def __init__(self, image_dir: str):
    if not image_dir or not os.path.isdir(image_dir):
      raise ValueError(
          f'image_dir: {image_dir!r} is not a directory. federax does not '
          f'download these images (hundreds of GB); download them as the '
          f'dataset\'s documentation says and pass their directory.')
    self._dir = image_dir
    self._paths = None

  def path(self, image_id: str) -> str | None:
    if self._paths is None:
      self._paths = {}
      for root, _, files in os.walk(self._dir):
        for name in files:
          if name.endswith('.jpg'):
            self._paths[name[:-4]] = os.path.join(root, name)
    return self._paths.get(image_id)


def _decode(data: bytes):
  try:
    from PIL import Image  # pylint: disable=import-outside-toplevel
  except ImportError:
    raise ImportError('Decoding JPEG images needs Pillow: pip install pillow, '
                      'or pass decode_images=False to get the encoded bytes.'
                      ) from None
  import io
  return np.asarray(Image.open(io.BytesIO(data)).convert('RGB'), np.uint8)


def examples_dataset(images: ImageDirectory, pairs, decode: bool, tag: str):
  """A `Dataset` over `(image_id, class)` pairs read from `images`."""
  def generate():
    for image_id, label in pairs:
      path = images.path(image_id)
      if path is None:
        logging.getLogger(tag).warning('Image %s is not found.', image_id)
        continue
      with open(path, 'rb') as f:
        data = f.read()
      image = _decode(data) if decode else data
      yield {KEY_CLASS: np.asarray([label], np.int64),
             KEY_IMAGE_DECODED if decode else KEY_IMAGE_BYTES: image}
  return dataset_lib.Dataset.from_generator(generate)


def image_client_data(mapping: dict, image_dir: str, decode: bool, tag: str):
  """A `ClientData` over a client-to-images mapping."""
  images = ImageDirectory(image_dir)
  return client_data_kinds.ConcreteClientData(
      tuple(sorted(mapping)),
      lambda c: examples_dataset(images, mapping[c], decode, tag))


def test_dataset(rows, image_dir: str, decode: bool, tag: str):
  """A `Dataset` over all rows of a test mapping (`image_id`, `class`)."""
  return examples_dataset(ImageDirectory(image_dir),
                          [(r['image_id'], int(r['class'])) for r in rows],
                          decode, tag)
