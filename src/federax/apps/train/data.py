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
from typing import Any, NamedTuple

import numpy as np


class TrainData(NamedTuple):
  """A run's data; `model_fn` is the task's model (None: a built-in)."""
  client_ids: tuple
  client_arrays: Callable[[str], Any]
  eval_data: list
  input_shape: tuple | None
  num_classes: int | None
  description: str
  model_fn: Callable | None = None


def load(config) -> TrainData:
  """The data `config` (a resolved `TrainConfig`) names."""
  if config.task is not None:
    return _load_task(config)
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


def _load_task(config) -> TrainData:
  """The data and model of one of TFF's baseline tasks."""
  from federax.simulation import baselines
  spec = baselines.ClientSpec(num_epochs=config.client_epochs,
                              batch_size=config.batch_size)
  common = dict(use_synthetic_data=config.synthetic_data,
                cache_dir=config.cache_dir, seed=config.seed)
  builders = {
      'emnist_character': lambda: baselines.emnist.
      create_character_recognition_task(spec, model_id=config.model,
                                        **common),
      'cifar100_image': lambda: baselines.cifar100.
      create_image_classification_task(spec, model_id=config.model,
                                       **common),
      'shakespeare_character': lambda: baselines.shakespeare.
      create_character_prediction_task(spec, **common),
      'stackoverflow_word': lambda: baselines.stackoverflow.
      create_word_prediction_task(spec, **common),
      'stackoverflow_tag': lambda: baselines.stackoverflow.
      create_tag_prediction_task(spec, **common),
  }
  task = builders[config.task]()
  data = task.datasets
  train = data.preprocessed_train_data
  client_arrays = functools.lru_cache(maxsize=None)(
      lambda c: _stacked(train.create_dataset_for_client(c)))
  test = data.test_data
  if config.eval_clients is not None and hasattr(test, 'client_ids') and (
      config.eval_clients < len(test.client_ids)):
    rng = np.random.default_rng([config.seed, 2])
    picked = sorted(rng.choice(len(test.client_ids), config.eval_clients,
                               replace=False))
    parts = [test.create_dataset_for_client(test.client_ids[i])
             for i in picked]
    preprocess = data.eval_preprocess_fn or (lambda ds: ds)
    eval_data = [_concatenate([_stacked(preprocess(p)) for p in parts])]
  else:
    eval_data = [_stacked(data.get_centralized_test_data())]
  source = 'synthetic stand-in' if config.synthetic_data else 'published'
  what = (f'{config.task} ({source} data), {len(train.client_ids)} train '
          f'clients')
  return TrainData(tuple(train.client_ids), client_arrays, eval_data, None,
                   None, what, task.model_fn)


def _stacked(dataset):
  """A dataset's examples stacked along a leading axis (or the dataset)."""
  stacked = dataset.__fx_stacked__()
  return dataset if stacked is None else stacked


def _concatenate(parts):
  import jax
  return jax.tree.map(lambda *a: np.concatenate(a), *parts)


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
