"""Sampling a trained generator and saving samples as a PNG grid.

The PNG writer is the standard library's `zlib` and `struct` (8-bit
grayscale or RGB, no dependency), so examples and tests need no imaging
package.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np


def generate(gan_spec, generator_weights, num_samples: int, seed: int = 0):
  """`num_samples` examples from the generator, as a numpy array.

  Example:
    >>> import numpy as np
    >>> from federax.learning import gans
    >>> spec = gans.GanSpec(lambda w, z: z * w, lambda w, x: x @ w,
    ...                     np.ones((), np.float32), np.zeros(2, np.float32),
    ...                     (2,), (2,))
    >>> gans.generate(spec, np.float32(2.0), 3).shape   # 2 * noise
    (3, 2)
  """
  import jax
  from federax.learning.gans import client_training
  if isinstance(num_samples, bool) or not isinstance(
      num_samples, (int, np.integer)) or num_samples < 1:
    raise ValueError(f'generate: num_samples: expected an int >= 1, got '
                     f'{num_samples!r}.')
  noise = client_training.noise_batch(gan_spec, jax.random.key(seed),
                                      int(num_samples))
  return np.asarray(jax.jit(gan_spec.generator_fn)(generator_weights, noise))


def image_grid(images, columns: int | None = None, padding: int = 1,
               value_range=(0.0, 1.0), scale: int = 1):
  """Images `[n, h, w]` (or `[n, h, w, 1 or 3]`) tiled into one uint8 image.

  Values in `value_range` map to 0..255 (clipped); `columns` defaults to
  about the square root of `n`; `padding` pixels of black separate cells;
  `scale` enlarges every pixel to a `scale x scale` block (for tiny images
  such as 8x8 digits).

  Example:
    >>> import numpy as np
    >>> from federax.learning import gans
    >>> grid = gans.image_grid(np.ones((4, 2, 2)), columns=2)
    >>> grid.shape, grid.dtype, int(grid.max()), int(grid[0, 0])
    ((7, 7), dtype('uint8'), 255, 0)
  """
  images = np.asarray(images, np.float32)
  if images.ndim == 4 and images.shape[-1] == 1:
    images = images[..., 0]
  if images.ndim not in (3, 4) or (images.ndim == 4 and
                                   images.shape[-1] != 3):
    raise ValueError(f'image_grid: images: expected float[n, h, w] or '
                     f'float[n, h, w, 3], got shape {list(images.shape)}.')
  if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
    raise ValueError(f'image_grid: scale: expected an int >= 1, got '
                     f'{scale!r}.')
  images = images.repeat(scale, axis=1).repeat(scale, axis=2)
  n, h, w = images.shape[:3]
  columns = columns or int(np.ceil(np.sqrt(n)))
  rows = -(-n // columns)
  low, high = value_range
  scaled = np.clip((images - low) / (high - low), 0.0, 1.0)
  pixels = np.round(scaled * 255).astype(np.uint8)
  shape = (rows * (h + padding) + padding, columns * (w + padding) + padding)
  grid = np.zeros(shape + images.shape[3:], np.uint8)
  for i in range(n):
    r, c = divmod(i, columns)
    top, left = padding + r * (h + padding), padding + c * (w + padding)
    grid[top:top + h, left:left + w] = pixels[i]
  return grid


def _chunk(kind: bytes, data: bytes) -> bytes:
  body = kind + data
  return (struct.pack('>I', len(data)) + body +
          struct.pack('>I', zlib.crc32(body) & 0xFFFFFFFF))


def write_png(path, image) -> None:
  """Writes a uint8 image `[h, w]` (grayscale) or `[h, w, 3]` (RGB) as PNG.

  Example:
    >>> import os, tempfile, numpy as np
    >>> from federax.learning import gans
    >>> path = os.path.join(tempfile.mkdtemp(), 'grid.png')
    >>> gans.write_png(path, np.zeros((3, 5), np.uint8))
    >>> open(path, 'rb').read(8) == b'\\x89PNG\\r\\n\\x1a\\n'
    True
  """
  image = np.asarray(image)
  if image.dtype != np.uint8 or image.ndim not in (2, 3) or (
      image.ndim == 3 and image.shape[2] != 3):
    raise ValueError(f'write_png: image: expected uint8[h, w] or uint8[h, w, '
                     f'3], got {image.dtype}{list(image.shape)}. Make one '
                     f'with image_grid(...).')
  height, width = image.shape[:2]
  color = 2 if image.ndim == 3 else 0
  rows = image.reshape(height, -1)
  raw = b''.join(b'\x00' + row.tobytes() for row in rows)
  header = struct.pack('>IIBBBBB', width, height, 8, color, 0, 0, 0)
  with open(path, 'wb') as f:
    f.write(b'\x89PNG\r\n\x1a\n' + _chunk(b'IHDR', header) +
            _chunk(b'IDAT', zlib.compress(raw, 9)) + _chunk(b'IEND', b''))


def save_image_grid(path, images, columns: int | None = None,
                    value_range=(0.0, 1.0), scale: int = 1) -> None:
  """`write_png(path, image_grid(images, columns, ...))`; returns nothing.

  Example:
    >>> import os, tempfile, numpy as np
    >>> from federax.learning import gans
    >>> path = os.path.join(tempfile.mkdtemp(), 'grid.png')
    >>> gans.save_image_grid(path, np.random.rand(6, 8, 8), scale=2)
    >>> os.path.getsize(path) > 0
    True
  """
  write_png(path, image_grid(images, columns, value_range=value_range,
                             scale=scale))
