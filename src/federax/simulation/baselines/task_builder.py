"""What every baseline task builder does: specs, preprocessing, model.

A task converts each raw example with `example_fn` (a `Dataset -> Dataset`
function), trains with `train_client_spec` turned into an
`fx.learning.ClientSpec`, evaluates in batches of `eval_client_spec`
(TFF's default: one pass without shuffling, a task-specific batch size),
and wraps a flax NNX module with `from_flax_module`. The model is built
once, when the task checks it against its data, and `model_fn` returns
that same (immutable) model afterwards.
"""

from __future__ import annotations

import functools
from typing import Callable

from federax.simulation.baselines import baseline_task
from federax.simulation.baselines import client_spec as client_spec_lib
from federax.simulation.baselines import task_data


def check_seed(seed, where: str) -> int:
  """`seed` if it is a non-negative int.

  Example:
    >>> check_seed(3, 'f')
    3
  """
  if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
    raise TypeError(f'{where}: seed: expected an int >= 0, got {seed!r}.')
  return seed


def preprocess_fns(example_fn: Callable, eval_client_spec):
  """`(train_preprocess_fn, eval_preprocess_fn)`; evaluation first takes
  the eval spec's `max_elements` examples.

  Example:
    >>> from federax.simulation import baselines, datasets
    >>> train_fn, eval_fn = preprocess_fns(
    ...     lambda ds: ds.map(lambda x: 2 * x),
    ...     baselines.ClientSpec(1, 4, max_elements=1))
    >>> ds = datasets.Dataset.from_tensor_slices([1, 2])
    >>> [int(x) for x in train_fn(ds)], [int(x) for x in eval_fn(ds)]
    ([2, 4], [2])
  """
  take = client_spec_lib.eval_take(eval_client_spec)
  if take is None:
    return example_fn, example_fn
  return example_fn, lambda dataset: example_fn(take(dataset))


def build_task(*, name: str, train_data, test_data, validation_data=None,
               example_fn: Callable, train_client_spec, eval_client_spec,
               eval_batch_size: int, module_fn: Callable, loss_fn: Callable,
               input_spec, metrics_fns, seed: int):
  """A `BaselineTask` from a task's parts (see the module docstring).

  `module_fn()` returns a fresh flax NNX module.

  Example:
    >>> import numpy as np
    >>> from flax import nnx
    >>> from federax.learning import models
    >>> from federax.simulation import baselines, datasets
    >>> data = datasets.ClientData.from_arrays(
    ...     {'a': {'v': np.ones((2, 3), np.float32)}})
    >>> task = build_task(
    ...     name='demo', train_data=data, test_data=data,
    ...     example_fn=lambda ds: ds.map(lambda e: (e['v'], e['v'][:1])),
    ...     train_client_spec=baselines.ClientSpec(1, 2),
    ...     eval_client_spec=None, eval_batch_size=8,
    ...     module_fn=lambda: nnx.Linear(3, 1, rngs=nnx.Rngs(0)),
    ...     loss_fn=models.mean_squared_error,
    ...     input_spec=((np.float32, [None, 3]), (np.float32, [None, 1])),
    ...     metrics_fns=None, seed=0)
    >>> task.eval_client_spec.batch_size
    8
  """
  check_seed(seed, name)
  if train_client_spec is None:
    raise TypeError(
        f'{name}: train_client_spec: expected an '
        f'fx.simulation.baselines.ClientSpec, got None. Pass e.g. '
        f'fx.simulation.baselines.ClientSpec(num_epochs=1, batch_size=20).')
  if eval_client_spec is None:
    eval_client_spec = client_spec_lib.default_eval_spec(eval_batch_size)
  train_fn, eval_fn = preprocess_fns(example_fn, eval_client_spec)
  datasets = task_data.BaselineTaskDatasets(
      train_data=train_data, test_data=test_data,
      validation_data=validation_data, train_preprocess_fn=train_fn,
      eval_preprocess_fn=eval_fn,
      train_client_spec=client_spec_lib.as_learning_client_spec(
          train_client_spec, f'{name}: train_client_spec', seed),
      eval_client_spec=client_spec_lib.as_learning_client_spec(
          eval_client_spec, f'{name}: eval_client_spec', seed))

  @functools.cache
  def model_fn():
    from federax.learning.models import flax_model
    return flax_model.from_flax_module(module_fn(), loss_fn, input_spec,
                                       metrics_fns)

  return baseline_task.BaselineTask(datasets, model_fn)
