"""`UnweightedReservoirSamplingFactory`: a uniform sample of client values."""

from __future__ import annotations

import collections
import numbers

from federax.aggregators import client_buffer
from federax.aggregators import factory
from federax.aggregators import sum_factory
from federax.core import aggregation_intrinsics
from federax.core import federated_computation
from federax.core import intrinsics
from federax.core import jax_computation
from federax.core import types
from federax.templates import aggregation_process
from federax.templates import measured_process

_WHO = 'UnweightedReservoirSamplingFactory'


def _non_finite_counts(value_type):
  """Per leaf: 1 if the client's tensor holds a NaN or an inf, else 0."""
  @jax_computation.jax_computation(value_type)
  def non_finite(value):
    import jax
    import jax.numpy as jnp

    def leaf(x):
      if not jnp.issubdtype(x.dtype, jnp.inexact):
        return jnp.int32(0)
      return jnp.any(~jnp.isfinite(x)).astype(jnp.int32)
    return jax.tree.map(leaf, value)
  return non_finite


class UnweightedReservoirSamplingFactory(
    factory.UnweightedAggregationFactory):
  """A uniform sample of `sample_size` client values, without replacement.

  The result stacks the sampled values along a new leading axis of
  `sample_size` rows: all clients' values when at most `sample_size` take
  part (then the rows past the number of clients are zeros), else a
  uniform sample of them. The sample is a pure function of `seed` and the
  values (identical on every backend; identical values are both in or both
  out). With `return_sampling_metadata=True` the result is
  `<random_values, samples, num_samples>`: each row's priority in `[0, 1)`
  (`inf` for an empty row) and how many rows are values. No state; the
  measurements count, per tensor, the clients whose values had a NaN or an
  inf (before sampling), as TFF's (int32 here).

  Example:
    >>> import numpy as np, federax as fx
    >>> process = fx.aggregators.UnweightedReservoirSamplingFactory(
    ...     sample_size=2, seed=1).create(fx.TensorType(np.float32))
    >>> output = process.next(process.initialize(), [1.0, np.nan, 3.0])
    >>> output.result.shape, int(output.measurements)
    ((2,), 1)
  """

  def __init__(self, sample_size: int, return_sampling_metadata: bool = False,
               seed: int = 0):
    for name, v in (('sample_size', sample_size), ('seed', seed)):
      if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError(f'{_WHO}: {name}: expected an int, got '
                        f'{type(v).__name__}.')
    if sample_size <= 0:
      raise ValueError(f'{_WHO}: sample_size: expected a positive int, got '
                       f'{sample_size}.')
    if seed < 0:
      raise ValueError(f'{_WHO}: seed: expected an int >= 0, got {seed}.')
    if not isinstance(return_sampling_metadata, bool):
      raise TypeError(f'{_WHO}: return_sampling_metadata: expected a bool, '
                      f'got {type(return_sampling_metadata).__name__}.')
    self._size, self._seed = int(sample_size), int(seed)
    self._metadata = return_sampling_metadata

  def create(self, value_type) -> aggregation_process.AggregationProcess:
    value_type = factory.value_type_of(value_type, f'{_WHO}.create')
    size, seed, metadata = self._size, self._seed, self._metadata
    non_finite = _non_finite_counts(value_type)

    def report(rows, mask, count, priorities):
      import jax.numpy as jnp
      if not metadata:
        return rows
      return collections.OrderedDict(
          random_values=priorities, samples=rows,
          num_samples=jnp.sum(mask, dtype=jnp.int32))

    @federated_computation.federated_computation()
    def init_fn():
      return sum_factory.empty_at_server()

    @federated_computation.federated_computation(
        init_fn.type_signature.result, types.type_at_clients(value_type))
    def next_fn(state, value):
      samples = client_buffer.gather(value, value_type, size, seed, report,
                                     'sample')
      counts = aggregation_intrinsics.federated_sum(
          intrinsics.federated_map(non_finite, value))
      return measured_process.MeasuredProcessOutput(
          state=state, result=samples, measurements=counts)

    return aggregation_process.AggregationProcess(init_fn, next_fn)

