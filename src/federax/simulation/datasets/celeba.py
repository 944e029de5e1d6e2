"""Federated CelebA (TFF's `tff.simulation.datasets.celeba`)."""

from __future__ import annotations

import numpy as np

from federax.simulation.datasets import tff_sqlite

FILENAME = 'celeba.sqlite.lzma'
IMAGE_NAME = 'image'
ATTRIBUTE_NAMES = (
    'five_o_clock_shadow', 'arched_eyebrows', 'attractive',
    'bags_under_eyes', 'bald', 'bangs', 'big_lips', 'big_nose', 'black_hair',
    'blond_hair', 'blurry', 'brown_hair', 'bushy_eyebrows', 'chubby',
    'double_chin', 'eyeglasses', 'goatee', 'gray_hair', 'heavy_makeup',
    'high_cheekbones', 'male', 'mouth_slightly_open', 'mustache',
    'narrow_eyes', 'no_beard', 'oval_face', 'pale_skin', 'pointy_nose',
    'receding_hairline', 'rosy_cheeks', 'sideburns', 'smiling',
    'straight_hair', 'wavy_hair', 'wearing_earrings', 'wearing_hat',
    'wearing_lipstick', 'wearing_necklace', 'wearing_necktie', 'young')
ELEMENT_SPEC = {IMAGE_NAME: (np.int64, [84, 84, 3]),
                **{name: np.bool_ for name in ATTRIBUTE_NAMES}}


def load_data(split_by_clients: bool = True, cache_dir: str | None = None):
  """`(train, test)` `ClientData` of CelebA grouped by celebrity (LEAF).

  Examples hold `image` (int64[84, 84, 3], values 0-255, as TFF) and 40
  bool attributes (`ATTRIBUTE_NAMES`). `split_by_clients=True`: 8,408
  train and 935 test clients; False: all 9,343 clients in both, ~90% of
  each client's examples for train. Downloaded once
  (`celeba.sqlite.lzma`).

  Example:
    >>> train, test = load_data()  # doctest: +SKIP
  """
  prefix = 'split_by_clients' if split_by_clients else 'split_by_examples'
  return tff_sqlite.load_splits(FILENAME, [f'{prefix}_train',
                                           f'{prefix}_test'],
                                ELEMENT_SPEC, cache_dir)
