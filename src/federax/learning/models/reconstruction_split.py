"""How a client's data divides between reconstruction and training.

TFF's `ReconstructionDatasetSplitFn` maps a client's `tf.data.Dataset` to
two datasets: the first is iterated over to reconstruct the local
variables, the second afterwards (to train the global variables, or to
evaluate). In federax a client's data is an `fx.Sequence` of examples that
the algorithm batches itself, so a split function maps one `fx.Sequence`
to two, and `build_dataset_split_fn` returns a `DatasetSplit` that also
says how many epochs, and at most how many batches, each stage takes.
"""

from __future__ import annotations

import dataclasses

from federax.core import jax_support
from federax.core import sequence as sequence_lib
from federax.learning import client_spec as client_spec_lib


def every_other_example(data: sequence_lib.Sequence, start: int
                        ) -> sequence_lib.Sequence:
  """The examples of `data` at positions `start`, `start + 2`, ...

  Pure JAX on the padded, stacked sequence: the result has
  `ceil((length - start) / 2)` examples.

  Example:
    >>> import numpy as np, federax as fx
    >>> from federax.learning.models import reconstruction_split
    >>> @fx.jax_computation(fx.SequenceType(np.int32))
    ... def odd_positions(data):
    ...   return reconstruction_split.every_other_example(data, 1).sum()
    >>> int(odd_positions([10, 11, 12, 13, 14]))  # 11 + 13
    24
  """
  jax, jnp = jax_support.jax(), jax_support.jnp()
  if not data.is_stacked:
    raise TypeError('dataset_split_fn: the examples of a client must all '
                    'have the same shape.')
  size = jax.tree_util.tree_leaves(data.data)[0].shape[0]
  half = max(1, (size - start + 1) // 2)
  index = jnp.minimum(start + 2 * jnp.arange(half), size - 1)
  length = jnp.maximum(jnp.asarray(data.length, jnp.int32) - start + 1,
                       0) // 2
  return sequence_lib.Sequence(
      data.element_type,
      jax.tree_util.tree_map(lambda x: x[index], data.data), length)


def simple_dataset_split_fn(data):
  """Both stages see all of the client's data (TFF's simple split).

  Example:
    >>> from federax.learning.models import reconstruction_split
    >>> reconstruction_split.simple_dataset_split_fn('data')
    ('data', 'data')
  """
  return data, data


def _check_count(value, name: str, allow_none: bool):
  if allow_none and value is None:
    return None
  if not isinstance(value, int) or isinstance(value, bool) or value < 1:
    none = 'None or ' if allow_none else ''
    raise ValueError(f'build_dataset_split_fn: {name}: expected {none}an '
                     f'int >= 1, got {value!r}.')
  return value


@dataclasses.dataclass(frozen=True)
class DatasetSplit:
  """A split of each client's data, and how each stage iterates over it.

  Calling it on a client's `fx.Sequence` returns `(reconstruction data,
  post-reconstruction data)`: both the whole sequence, or with
  `split_dataset` the examples at even and at odd positions. The
  reconstruction stage makes `recon_epochs` passes over its data, at most
  `recon_steps_max` batches in all (None: no cap); likewise the
  post-reconstruction stage (training, or evaluation, which always makes
  one pass).

  Example:
    >>> import federax as fx
    >>> split = fx.learning.models.build_dataset_split_fn(recon_epochs=2)
    >>> split.stage_specs(fx.learning.ClientSpec(batch_size=4))[0]
    ClientSpec(num_epochs=2, batch_size=4, max_elements=None, shuffle=True, seed=0)
  """
  recon_epochs: int = 1
  recon_steps_max: int | None = None
  post_recon_epochs: int = 1
  post_recon_steps_max: int | None = None
  split_dataset: bool = False

  def __post_init__(self):
    _check_count(self.recon_epochs, 'recon_epochs', False)
    _check_count(self.recon_steps_max, 'recon_steps_max', True)
    _check_count(self.post_recon_epochs, 'post_recon_epochs', False)
    _check_count(self.post_recon_steps_max, 'post_recon_steps_max', True)
    if not isinstance(self.split_dataset, bool):
      raise TypeError(f'build_dataset_split_fn: split_dataset: expected a '
                      f'bool, got {type(self.split_dataset).__name__}.')

  def __call__(self, data):
    if not self.split_dataset:
      return data, data
    return every_other_example(data, 0), every_other_example(data, 1)

  def stage_specs(self, client_spec: client_spec_lib.ClientSpec):
    """`(reconstruction spec, post-reconstruction spec)` for `client_spec`.

    Each keeps the batch size, shuffling and seed of `client_spec`, with
    this split's epochs and caps.
    """
    return (dataclasses.replace(client_spec, num_epochs=self.recon_epochs,
                                max_elements=self.recon_steps_max),
            dataclasses.replace(client_spec,
                                num_epochs=self.post_recon_epochs,
                                max_elements=self.post_recon_steps_max))


def build_dataset_split_fn(recon_epochs: int = 1,
                           recon_steps_max: int | None = None,
                           post_recon_epochs: int = 1,
                           post_recon_steps_max: int | None = None,
                           split_dataset: bool = False) -> DatasetSplit:
  """TFF's `ReconstructionModel.build_dataset_split_fn`, for federax.

  `split_dataset=True` gives reconstruction the examples at even positions
  of a client's data and the later stage those at odd positions (TFF
  splits its batched dataset by batches; federax's data is examples, so
  it splits by examples). Steps are batches of the client spec's
  `batch_size`.

  Example:
    >>> import federax as fx
    >>> split = fx.learning.models.build_dataset_split_fn(split_dataset=True)
    >>> split.split_dataset, split.post_recon_epochs
    (True, 1)
  """
  return DatasetSplit(recon_epochs, recon_steps_max, post_recon_epochs,
                      post_recon_steps_max, split_dataset)


def as_dataset_split(dataset_split_fn) -> DatasetSplit | object:
  """The split to use: the default (TFF's: halves), a `DatasetSplit`, or
  any function `fx.Sequence -> (fx.Sequence, fx.Sequence)` (one epoch per
  stage, no cap).

  Example:
    >>> from federax.learning.models import reconstruction_split
    >>> reconstruction_split.as_dataset_split(None).split_dataset
    True
  """
  if dataset_split_fn is None:
    return DatasetSplit(split_dataset=True)
  if not callable(dataset_split_fn):
    raise TypeError(f'dataset_split_fn: expected a function fx.Sequence -> '
                    f'(reconstruction fx.Sequence, post-reconstruction '
                    f'fx.Sequence), e.g. fx.learning.models.'
                    f'build_dataset_split_fn(...), got '
                    f'{type(dataset_split_fn).__name__}.')
  return dataset_split_fn


def stage_specs(split, client_spec: client_spec_lib.ClientSpec):
  """The two stages' `ClientSpec`s for a split (see `DatasetSplit`).

  Example:
    >>> import federax as fx
    >>> from federax.learning.models import reconstruction_split
    >>> specs = reconstruction_split.stage_specs(
    ...     lambda data: (data, data), fx.learning.ClientSpec(num_epochs=3))
    >>> [s.num_epochs for s in specs]
    [1, 1]
  """
  if isinstance(split, DatasetSplit):
    return split.stage_specs(client_spec)
  one = dataclasses.replace(client_spec, num_epochs=1, max_elements=None)
  return one, one
