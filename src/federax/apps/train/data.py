"""The federated data of a `federax train` run, as `(x, y)` arrays.

`load(config)` returns a `TrainData`: the training clients' ids, a cached
function from an id to that client's `(x[n, ...], y[n])` arrays, the
evaluation data (the chosen test clients' examples as one client), the
input shape and number of classes. Clients are read when first used, so
EMNIST's 3,383 writers cost memory only for those sampled.

Example:
  >>> from federax.apps.train import config as config_lib
  >>> data = load(config_lib.TrainConfig(dataset='synthetic_iid',
  ...                                    num_clients=3).resolved())
  >>> data.input_shape, data.num_classes, len(data.client_ids)
  ((60,), 10, 3)
  >>> x, y = data.client_arrays('0')
  >>> x.shape[1:], x.dtype, y.dtype
  ((60,), dtype('float32'), dtype('int32'))
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple

import numpy as np


class TrainData(NamedTuple):
  client_ids: tuple
  client_arrays: Callable[[str], tuple]
  eval_data: list
  input_shape: tuple
  num_classes: int
  description: str


def load(config) -> TrainData:
  """The data `config` (a resolved `TrainConfig`) names."""
  from federax.simulation import datasets
  name, kind = config.dataset, config.dataset_kind()
  if kind == 'digits':
    train, test = datasets.digits(
        num_clients=config.num_clients, partitioner=config.partitioner,
        alpha=config.alpha, seed=config.seed)
    x_key, y_key, shape, classes = 'pixels', 'label', (8, 8), 10
    split = {'dirichlet': f'Dirichlet alpha={config.alpha}',
             'iid': 'IID', 'shards': '2 label shards each'}[
                 config.partitioner]
    what = f'scikit-learn digits, {config.num_clients} clients ({split})'
  elif kind == 'synthetic':
    if name == 'synthetic_iid':
      train, test = datasets.synthetic_iid(config.num_clients,
                                           seed=config.seed)
    else:
      alpha, beta = _synthetic_parameters(name)
      train, test = datasets.synthetic(alpha, beta, config.num_clients,
                                       seed=config.seed)
    x_key, y_key, shape, classes = 'x', 'y', (60,), 10
    what = f'{name}, {config.num_clients} clients'
  else:
    only_digits = name == 'emnist'
    train, test = datasets.emnist.load_data(only_digits=only_digits,
                                            cache_dir=config.cache_dir)
    x_key, y_key, shape = 'pixels', 'label', (28, 28)
    classes = 10 if only_digits else 62
    what = f'EMNIST ({classes} classes), {len(train.client_ids)} writers'

  def arrays(client_data, client_id):
    stacked = client_data.create_dataset_for_client(client_id)
    stacked = stacked.__fx_stacked__()
    return (np.asarray(stacked[x_key], np.float32).reshape(-1, *shape),
            np.asarray(stacked[y_key], np.int32).reshape(-1))

  client_arrays = functools.lru_cache(maxsize=None)(
      functools.partial(arrays, train))
  test_ids = list(test.client_ids)
  if config.eval_clients is not None and config.eval_clients < len(test_ids):
    rng = np.random.default_rng([config.seed, 2])
    picked = rng.choice(len(test_ids), config.eval_clients, replace=False)
    test_ids = [test_ids[i] for i in sorted(picked)]
  parts = [arrays(test, c) for c in test_ids]
  eval_data = [(np.concatenate([x for x, _ in parts]),
                np.concatenate([y for _, y in parts]))]
  return TrainData(tuple(train.client_ids), client_arrays, eval_data, shape,
                   classes, what)


def _synthetic_parameters(name: str) -> tuple:
  """`(alpha, beta)` of 'synthetic' (1, 1) or 'synthetic_A_B'.

  >>> _synthetic_parameters('synthetic_0.5_0.5')
  (0.5, 0.5)
  """
  parts = name.split('_')
  return (1.0, 1.0) if len(parts) == 1 else (float(parts[1]),
                                             float(parts[2]))


def build_selection_fn(data: TrainData, clients_per_round, seed: int):
  """`round_num -> [(x, y), ...]`, the round's clients; a pure function of
  the round number (so a resumed run sees the same clients).

  With `clients_per_round` None (or the whole population) every client
  takes part each round; otherwise a seeded uniform sample without
  replacement (`fx.simulation.build_uniform_sampling_fn`).
  """
  ids = data.client_ids
  if clients_per_round is None or clients_per_round >= len(ids):
    everyone = [data.client_arrays(c) for c in ids]
    return lambda round_num: everyone
  from federax import simulation
  sample = simulation.build_uniform_sampling_fn(ids, random_seed=seed,
                                                size=clients_per_round)
  return lambda round_num: [data.client_arrays(c) for c in sample(round_num)]
