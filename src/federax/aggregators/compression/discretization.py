"""`StochasticDiscretizationFactory` and `DeterministicDiscretizationFactory`.

Clients scale their float values by `1 / step_size` and round them to
int32 (stochastically, unbiased, or to the nearest integer); the inner
factory aggregates the integers (a sum, a modular or secure sum); the
server multiplies the aggregate by `step_size`. Rounding commutes with the
sum up to the rounding errors, so the result is the sum of the values to
within `n * step_size / 2` per coordinate (deterministic) or, unbiased,
with variance at most `n * step_size**2 / 4` (stochastic).
"""

from __future__ import annotations

import collections

import numpy as np

from federax.aggregators import factory
from federax.aggregators.compression import common
from federax.aggregators.compression import keys as keys_lib
from federax.aggregators.compression import rounding
from federax.core import federated_computation
from federax.core import intrinsics
from federax.core import jax_computation
from federax.core import jax_support
from federax.core import placements
from federax.core import types
from federax.templates import aggregation_process
from federax.templates import measured_process

F32 = types.TensorType(np.float32)


def _discretize(value, step, key_data, stochastic: bool, beta: float):
  jax, jnp = jax_support.jax(), jax_support.jnp()
  flat, treedef = jax.tree_util.tree_flatten(value)
  scaled = [jnp.ravel(x).astype(jnp.float32) / step for x in flat]
  if not stochastic:
    rounded = [jnp.round(x) for x in scaled]
  elif beta > 0:  # The norm bound is per tensor, as in TFF.
    key = keys_lib.client_key(key_data, value)
    rounded = [rounding.stochastic_round(x, jax.random.fold_in(key, i), beta)
               for i, x in enumerate(scaled)]
  else:  # One draw for the whole value.
    whole = rounding.stochastic_round(jnp.concatenate(scaled),
                                      keys_lib.client_key(key_data, value))
    rounded = jnp.split(whole, np.cumsum([x.size for x in scaled])[:-1])
  return jax.tree_util.tree_unflatten(treedef, [
      rounding.to_int32(r).reshape(x.shape) for r, x in zip(rounded, flat)])


def _undiscretize(value, step, value_type):
  jax, jnp = jax_support.jax(), jax_support.jnp()
  flat, _ = jax.tree_util.tree_flatten(value)
  leaves = common.leaf_types(value_type)
  treedef = common.treedef_of(value_type)
  return jax.tree_util.tree_unflatten(treedef, [
      (x.astype(jnp.float32) * step).astype(t.dtype)
      for x, t in zip(flat, leaves)])


def _mean_squared_error(value, reconstructed):
  jax, jnp = jax_support.jax(), jax_support.jnp()
  errors = [jnp.ravel(a.astype(jnp.float32) - b.astype(jnp.float32))
            for a, b in zip(jax.tree_util.tree_leaves(value),
                            jax.tree_util.tree_leaves(reconstructed))]
  return jnp.mean(jnp.square(jnp.concatenate(errors)))


class _DiscretizationFactory(factory.UnweightedAggregationFactory):

  _who = ''
  _measurement = ''
  _stochastic = False

  def __init__(self, inner_agg_factory, step_size,
               distortion_aggregation_factory=None, beta: float = 0.0,
               seed: int = 0):
    who = self._who
    self._inner = common.check_inner(inner_agg_factory, who)
    self._step_size = common.check_positive(
        step_size, who, 'step_size',
        'Pass the distance between quantization levels, e.g. 0.01.')
    self._distortion = common.check_optional_inner(
        distortion_aggregation_factory, who, 'distortion_aggregation_factory')
    if isinstance(beta, bool) or not isinstance(beta, (int, float)):
      raise TypeError(f'{who}: beta: expected a float in [0, 1), got '
                      f'{type(beta).__name__}.')
    if not 0.0 <= beta < 1.0:
      raise ValueError(f'{who}: beta: expected a float in [0, 1), got {beta}. '
                       f'Pass 0.0 for unconditional (unbiased) rounding.')
    self._beta = float(beta)
    self._seed = common.check_seed(seed, who)

  def create(self, value_type) -> aggregation_process.AggregationProcess:
    who = f'{self._who}.create'
    value_type = common.value_type_of(value_type, who, 'float')
    stochastic, beta = self._stochastic, self._beta
    key_t = keys_lib.KEY_TYPE

    @jax_computation.jax_computation(value_type, F32, key_t)
    def discretize_fn(value, step, key_data):
      return _discretize(value, step, key_data, stochastic, beta)

    int_type = discretize_fn.type_signature.result
    inner = self._inner.create(int_type)

    @jax_computation.jax_computation(inner.result_type.member, F32)
    def undiscretize_fn(total, step):
      return _undiscretize(total, step, value_type)

    @jax_computation.jax_computation(value_type, F32, key_t)
    def distortion_fn(value, step, key_data):
      rounded = _discretize(value, step, key_data, stochastic, beta)
      return _mean_squared_error(value,
                                 _undiscretize(rounded, step, value_type))

    distortion = (self._distortion.create(F32) if self._distortion else None)
    next_key = jax_computation.jax_computation(keys_lib.next_round, key_t)
    first_key = keys_lib.initial_key(self._seed)
    step0 = np.float32(self._step_size)
    bits = 32 * common.num_elements(value_type)
    measurement = self._measurement

    @federated_computation.federated_computation()
    def init_fn():
      state = collections.OrderedDict(
          step_size=intrinsics.federated_value(step0, placements.SERVER),
          inner_agg_process=inner.initialize())
      if stochastic:
        state['key'] = intrinsics.federated_value(first_key, placements.SERVER)
      return intrinsics.federated_zip(state)

    @federated_computation.federated_computation(
        init_fn.type_signature.result, types.type_at_clients(value_type))
    def next_fn(state, value):
      step = state.step_size
      key = (state.key if stochastic else
             intrinsics.federated_value(first_key, placements.SERVER))
      at_clients = [value, intrinsics.federated_broadcast(step),
                    intrinsics.federated_broadcast(key)]
      rounded = intrinsics.federated_map(discretize_fn, at_clients)
      inner_output = inner.next(state.inner_agg_process, rounded)
      result = intrinsics.federated_map(undiscretize_fn,
                                        [inner_output.result, step])
      new_state = collections.OrderedDict(
          step_size=step, inner_agg_process=inner_output.state)
      if stochastic:
        new_state['key'] = intrinsics.federated_map(next_key, key)
      measurements = collections.OrderedDict(
          [(measurement, inner_output.measurements)])
      if distortion is not None:
        errors = intrinsics.federated_map(distortion_fn, at_clients)
        measurements['distortion'] = distortion.next(distortion.initialize(),
                                                     errors).result
      measurements.update(common.bits_measurements(bits, value_type))
      return measured_process.MeasuredProcessOutput(
          state=intrinsics.federated_zip(new_state), result=result,
          measurements=intrinsics.federated_zip(measurements))

    return aggregation_process.AggregationProcess(init_fn, next_fn)


class StochasticDiscretizationFactory(_DiscretizationFactory):
  """Unbiased stochastic rounding to the grid `step_size * Z` (TFF's name).

  Each client divides its floats by `step_size` and rounds each coordinate
  up with probability equal to its fractional part (so the rounded value is
  unbiased), to int32; `inner_agg_factory` aggregates the integers; the
  server multiplies the aggregate by `step_size` and casts back to the
  value's dtypes. The rounding noise is drawn from a key in the state
  (made from `seed`), folded with a fingerprint of each client's value:
  independent across clients and rounds, reproducible run to run. With
  `beta > 0` rounding is conditional: redrawn while the rounded vector's
  norm exceeds a bound that holds with probability `1 - beta` (controls
  norm inflation, for distributed DP; slightly biased).

  State `<step_size, inner_agg_process, key>`; measurements
  `<stochastic_discretization, distortion (with a
  distortion_aggregation_factory: it aggregates each client's mean squared
  rounding error), bits_per_client, compression_ratio>`. The integers go
  out as int32: 32 bits each; the saving comes from an inner factory that
  narrows them, e.g. `ModularClippingSumFactory` or a secure sum with a
  bitwidth. Scaled values beyond the int32 range saturate.

  Example:
    >>> import numpy as np, federax as fx
    >>> process = fx.aggregators.StochasticDiscretizationFactory(
    ...     fx.aggregators.SumFactory(), step_size=0.5).create(
    ...         fx.TensorType(np.float32, [2]))
    >>> output = process.next(process.initialize(), [[1.0, 0.5], [2.0, -1.5]])
    >>> output.result.tolist()
    [3.0, -1.0]
    >>> print(process.state_type)
    <step_size=float32,inner_agg_process=<>,key=uint32[2]>@SERVER
  """

  _who = 'StochasticDiscretizationFactory'
  _measurement = 'stochastic_discretization'
  _stochastic = True


class DeterministicDiscretizationFactory(_DiscretizationFactory):
  """Rounding to the nearest point of the grid `step_size * Z` (TFF's name).

  As `StochasticDiscretizationFactory`, with each scaled value rounded to
  the nearest integer: every coordinate of a client's value is off by at
  most `step_size / 2` (biased, no randomness). State `<step_size,
  inner_agg_process>`; measurements `<deterministic_discretization,
  distortion (optional), bits_per_client, compression_ratio>`.

  Example:
    >>> import numpy as np, federax as fx
    >>> process = fx.aggregators.DeterministicDiscretizationFactory(
    ...     fx.aggregators.SumFactory(), step_size=0.5).create(
    ...         fx.TensorType(np.float32, [2]))
    >>> output = process.next(process.initialize(), [[0.3, 0.1], [0.4, 1.0]])
    >>> output.result.tolist()
    [1.0, 1.0]
  """

  _who = 'DeterministicDiscretizationFactory'
  _measurement = 'deterministic_discretization'

  def __init__(self, inner_agg_factory, step_size,
               distortion_aggregation_factory=None):
    super().__init__(inner_agg_factory, step_size,
                     distortion_aggregation_factory)
