"""`HadamardTransformFactory` and `DiscreteFourierTransformFactory`.

Each client flattens every tensor of its value to float32, pads it (to a
power of two for Hadamard, to an even length for the DFT) and rotates it
with randomness shared by all clients (the round's key, from the process
state); the inner factory aggregates the rotated values, and the server
rotates the aggregate back. A rotation is linear, so the inverse of the sum
is the sum of the values. Rotating first makes a following quantization or
modular clipping lose less: after a random rotation, no coordinate holds
much more than its share of the vector's norm.
"""

from __future__ import annotations

import collections

import numpy as np

from federax.aggregators import factory
from federax.aggregators.compression import common
from federax.aggregators.compression import keys as keys_lib
from federax.aggregators.compression import transforms
from federax.core import dtypes as dtypes_lib
from federax.core import federated_computation
from federax.core import intrinsics
from federax.core import jax_computation
from federax.core import jax_support
from federax.core import placements
from federax.core import types
from federax.templates import aggregation_process
from federax.templates import measured_process


class _RotationFactory(factory.UnweightedAggregationFactory):
  """Rotate at the clients, aggregate with the inner factory, rotate back."""

  _who = ''
  _measurement = ''

  def __init__(self, inner_agg_factory=None, num_repeats: int = 1,
               seed: int = 0):
    self._inner = common.check_inner(inner_agg_factory, self._who,
                                     'inner_agg_factory')
    self._num_repeats = common.check_int(
        num_repeats, self._who, 'num_repeats', 1, None,
        'Pass how many times to rotate (1 is usual).')
    self._seed = common.check_seed(seed, self._who)

  def _padded_size(self, size: int) -> int:
    raise NotImplementedError

  def _random_width(self, padded: int) -> int:
    """Random values one rotation of a padded leaf needs."""
    raise NotImplementedError

  def _random(self, bits):
    """Those values from random uint32 words."""
    raise NotImplementedError

  def _forward(self, x, randomness):
    raise NotImplementedError

  def _inverse(self, y, randomness):
    raise NotImplementedError

  def create(self, value_type) -> aggregation_process.AggregationProcess:
    who = f'{self._who}.create'
    value_type = common.value_type_of(value_type, who, 'number')
    leaves = common.leaf_types(value_type)
    sizes = [int(np.prod(leaf.shape, dtype=np.int64)) for leaf in leaves]
    padded = [self._padded_size(n) for n in sizes]
    repeats = self._num_repeats
    widths = [self._random_width(p) for p in padded]
    total = repeats * sum(widths)

    def randomness(key_data):
      """Per leaf, `[repeats, width]` random values: one draw for all."""
      bits = keys_lib.random_bits(keys_lib.shared_key(key_data), total)
      out, start = [], 0
      for w in widths:
        out.append(self._random(bits[start:start + repeats * w]).reshape(
            repeats, w))
        start += repeats * w
      return out

    @jax_computation.jax_computation(value_type, keys_lib.KEY_TYPE)
    def client_transform(value, key_data):
      jax, jnp = jax_support.jax(), jax_support.jnp()
      flat, treedef = jax.tree_util.tree_flatten(value)
      out = [self._forward(transforms.pad(jnp.ravel(x).astype(jnp.float32),
                                          p), r)
             for x, p, r in zip(flat, padded, randomness(key_data))]
      return jax.tree_util.tree_unflatten(treedef, out)

    rotated_type = client_transform.type_signature.result
    inner = self._inner.create(rotated_type)

    @jax_computation.jax_computation(inner.result_type.member,
                                     keys_lib.KEY_TYPE)
    def server_transform(value, key_data):
      jax, jnp = jax_support.jax(), jax_support.jnp()
      flat, _ = jax.tree_util.tree_flatten(value)
      out = []
      for y, leaf, n, r in zip(flat, leaves, sizes, randomness(key_data)):
        x = self._inverse(y.astype(jnp.float32), r)[:n].reshape(leaf.shape)
        if dtypes_lib.is_integer(leaf.dtype):
          x = jnp.round(x)
        out.append(x.astype(leaf.dtype))
      return jax.tree_util.tree_unflatten(common.treedef_of(value_type), out)

    next_key = jax_computation.jax_computation(keys_lib.next_round,
                                               keys_lib.KEY_TYPE)
    first_key = keys_lib.initial_key(self._seed)

    @federated_computation.federated_computation()
    def init_fn():
      return common.zip_at_server(
          inner_agg_process=inner.initialize(),
          key=intrinsics.federated_value(first_key, placements.SERVER))

    @federated_computation.federated_computation(
        init_fn.type_signature.result, types.type_at_clients(value_type))
    def next_fn(state, value):
      rotated = intrinsics.federated_map(
          client_transform,
          [value, intrinsics.federated_broadcast(state.key)])
      inner_output = inner.next(state.inner_agg_process, rotated)
      result = intrinsics.federated_map(server_transform,
                                        [inner_output.result, state.key])
      measurements = collections.OrderedDict(
          [(self._measurement, inner_output.measurements)])
      measurements.update(common.bits_measurements(32 * sum(padded),
                                                   value_type))
      return measured_process.MeasuredProcessOutput(
          state=common.zip_at_server(
              inner_agg_process=inner_output.state,
              key=intrinsics.federated_map(next_key, state.key)),
          result=result,
          measurements=intrinsics.federated_zip(measurements))

    return aggregation_process.AggregationProcess(init_fn, next_fn)


class HadamardTransformFactory(_RotationFactory):
  """Randomized Hadamard rotation around an inner aggregation (TFF's name).

  Each tensor is flattened to float32, padded with zeros to a power of two
  `d`, multiplied by random signs and transformed by the fast Walsh-Hadamard
  transform (normalized: an orthogonal map, `O(d log d)`), `num_repeats`
  times with fresh signs each time; `inner_agg_factory` (default
  `SumFactory()`) aggregates the float32 vectors, and the server undoes the
  rotation, drops the padding and restores shapes and dtypes (integers are
  rounded). The signs are the same for every client in a round and change
  every round: they come from a key in the state, made from `seed`. State:
  `<inner_agg_process, key>`; measurements: `<hd, bits_per_client,
  compression_ratio>` (`hd` holds the inner measurements; the bits count
  the padded float32 vector, so the ratio is at most 1: the rotation
  prepares for compression, the inner factory compresses).

  Example:
    >>> import numpy as np, federax as fx
    >>> process = fx.aggregators.HadamardTransformFactory().create(
    ...     fx.TensorType(np.float32, [3]))
    >>> output = process.next(process.initialize(),
    ...                       [[1.0, 2.0, 3.0], [1.0, 0.0, -1.0]])
    >>> np.round(output.result, 4).tolist()
    [2.0, 2.0, 2.0]
    >>> float(output.measurements['bits_per_client'])
    128.0
  """

  _who = 'HadamardTransformFactory'
  _measurement = 'hd'

  def _padded_size(self, size):
    return transforms.pow2_size(size)

  def _random_width(self, padded):
    return padded

  def _random(self, bits):
    return keys_lib.signs(bits)

  def _forward(self, x, randomness):
    return transforms.hadamard_forward(x, randomness)

  def _inverse(self, y, randomness):
    return transforms.hadamard_inverse(y, randomness)


class DiscreteFourierTransformFactory(_RotationFactory):
  """Randomized discrete Fourier rotation around an inner aggregation.

  Each tensor is flattened to float32, padded to an even length `d`, read as
  `d/2` complex numbers (first half real parts, second half imaginary),
  each turned by a random angle, transformed by the FFT, unpacked to `d`
  floats and scaled by `1/sqrt(d/2)` (an orthogonal map), `num_repeats`
  times; `inner_agg_factory` (default `SumFactory()`) aggregates, and the
  server undoes it. Padding is at most one zero, against Hadamard's up to
  `d - 1`. State `<inner_agg_process, key>`; measurements `<dft,
  bits_per_client, compression_ratio>`, as for `HadamardTransformFactory`.

  Example:
    >>> import numpy as np, federax as fx
    >>> process = fx.aggregators.DiscreteFourierTransformFactory().create(
    ...     fx.TensorType(np.float32, [3]))
    >>> output = process.next(process.initialize(),
    ...                       [[1.0, 2.0, 3.0], [1.0, 0.0, -1.0]])
    >>> np.round(output.result, 4).tolist()
    [2.0, 2.0, 2.0]
  """

  _who = 'DiscreteFourierTransformFactory'
  _measurement = 'dft'

  def _padded_size(self, size):
    return transforms.even_size(size)

  def _random_width(self, padded):
    return padded // 2

  def _random(self, bits):
    return keys_lib.uniform(bits) * np.float32(2 * np.pi)

  def _forward(self, x, randomness):
    return transforms.dft_forward(x, randomness)

  def _inverse(self, y, randomness):
    return transforms.dft_inverse(y, randomness)
