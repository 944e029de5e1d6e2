"""`EncodedSumFactory`: an `EncodingStage` as an aggregation.

Clients encode their values (each with its own key, from the round key in
the state folded with a fingerprint of the value). A stage that commutes
with sum has its encodings summed by `inner_agg_factory` and the sum
decoded once at the server; any other stage has each client's encoding
decoded at the server and added up, inside one `fx.federated_aggregate`
(accumulate = decode and add), so that only encodings leave the clients.
"""

from __future__ import annotations

import collections

import numpy as np

from federax.aggregators import factory
from federax.aggregators.compression import common
from federax.aggregators.compression import keys as keys_lib
from federax.aggregators.compression import stage_plan
from federax.core import aggregation_intrinsics
from federax.core import federated_computation
from federax.core import intrinsics
from federax.core import jax_computation
from federax.core import jax_support
from federax.core import placements
from federax.core import types
from federax.templates import aggregation_process
from federax.templates import measured_process

_WHO = 'EncodedSumFactory'


def _add(a, b):
  return jax_support.jax().tree_util.tree_map(lambda x, y: x + y, a, b)


class EncodedSumFactory(factory.UnweightedAggregationFactory):
  """The sum of client values sent encoded by an `EncodingStage`.

  `stage` says how (see `fx.aggregators.EncodingStage`); `seed` makes the
  key that gives each client and round its own randomness. For a stage
  whose `commutes_with_sum` is True, `inner_agg_factory` (default
  `SumFactory()`) sums the encodings; otherwise there must be none. State
  `<stage, key>` (plus `inner_agg_process` when commuting); measurements
  `<bits_per_client, compression_ratio>` (plus `encoded_sum`, the inner
  measurements, when commuting), the bits from `stage.encoded_bits`.

  `EncodedSumFactory.quantize_above_threshold(quantization_bits=8,
  threshold=20000)` is TFF's preset: each tensor of more than `threshold`
  elements goes as `quantization_bits`-bit codes between the client's own
  min and max, stochastically rounded; smaller tensors go unchanged.

  Example:
    >>> import numpy as np, federax as fx
    >>> process = fx.aggregators.EncodedSumFactory.quantize_above_threshold(
    ...     quantization_bits=8, threshold=0).create(
    ...         fx.TensorType(np.float32, [1000]))
    >>> values = [np.linspace(-1, 1, 1000, dtype=np.float32)] * 2
    >>> output = process.next(process.initialize(), values)
    >>> float(np.abs(output.result - 2 * values[0]).max()) < 2 * 2 / 255
    True
    >>> float(output.measurements['bits_per_client'])  # 8 * 1000 + min, max
    8064.0
  """

  def __init__(self, stage, inner_agg_factory=None, seed: int = 0):
    self._stage = stage_plan.check_stage(stage, _WHO)
    if inner_agg_factory is not None and not stage.commutes_with_sum:
      raise ValueError(
          f'{_WHO}: inner_agg_factory: {type(stage).__name__} does not '
          f'commute with sum (commutes_with_sum=False), so the server '
          f'decodes each client\'s encoding and there is no sum of '
          f'encodings for an inner factory. Drop inner_agg_factory, or use '
          f'a stage whose decoding is linear.')
    self._inner = (common.check_inner(inner_agg_factory, _WHO)
                   if stage.commutes_with_sum else None)
    self._seed = common.check_seed(seed, _WHO)

  @classmethod
  def quantize_above_threshold(cls, quantization_bits: int = 8,
                               threshold: int = 20000, seed: int = 0):
    """TFF's preset: stochastic uniform quantization of the tensors with
    more than `threshold` elements to `quantization_bits` bits each."""
    from federax.aggregators.compression import stages
    return cls(stages.UniformQuantizationStage(
        quantization_bits, threshold=threshold), seed=seed)

  @property
  def stage(self):
    return self._stage

  def create(self, value_type) -> aggregation_process.AggregationProcess:
    who = f'{_WHO}.create'
    value_type = common.value_type_of(value_type, who, 'number')
    stage = self._stage
    plan = stage_plan.plan(stage, value_type, who)
    inner = self._inner.create(plan.encoded_type) if self._inner else None
    if inner is not None:
      plan = stage_plan.plan(stage, value_type, who,
                             encoded_sum_type=inner.result_type.member)
    state_t = plan.state_type
    next_key = jax_computation.jax_computation(keys_lib.next_round,
                                               keys_lib.KEY_TYPE)
    first_key = keys_lib.initial_key(self._seed)
    one = jax_computation.jax_computation(lambda: np.int32(1))

    @jax_computation.jax_computation(value_type, state_t, keys_lib.KEY_TYPE)
    def encode_with_state(value, state, key_data):
      return plan.encode(value, state, key_data), state

    row_t = encode_with_state.type_signature.result

    @jax_computation.jax_computation(value_type, row_t)
    def accumulate(total, row):
      encoded, state = row
      return _add(total, plan.decode(state, encoded, np.int32(1)))

    merge = jax_computation.jax_computation(_add, value_type, value_type)
    report = jax_computation.jax_computation(lambda total: total, value_type)
    zero = common.zeros_of(value_type)

    @federated_computation.federated_computation()
    def init_fn():
      state = collections.OrderedDict(
          stage=intrinsics.federated_eval(plan.initial_state,
                                          placements.SERVER),
          key=intrinsics.federated_value(first_key, placements.SERVER))
      if inner is not None:
        state['inner_agg_process'] = inner.initialize()
      return intrinsics.federated_zip(state)

    @federated_computation.federated_computation(
        init_fn.type_signature.result, types.type_at_clients(value_type))
    def next_fn(state, value):
      at_clients = [value, intrinsics.federated_broadcast(state.stage),
                    intrinsics.federated_broadcast(state.key)]
      measurements = collections.OrderedDict()
      new_state = collections.OrderedDict()
      if inner is not None:
        encoded = intrinsics.federated_map(plan.encode, at_clients)
        inner_output = inner.next(state.inner_agg_process, encoded)
        count = aggregation_intrinsics.federated_sum(
            intrinsics.federated_eval(one, placements.CLIENTS))
        result = intrinsics.federated_map(
            plan.decode, [state.stage, inner_output.result, count])
        measurements['encoded_sum'] = inner_output.measurements
      else:
        rows = intrinsics.federated_map(encode_with_state, at_clients)
        result = aggregation_intrinsics.federated_aggregate(
            rows, zero, accumulate, merge, report)
      new_state['stage'] = intrinsics.federated_map(plan.update_state,
                                                    [state.stage, result])
      new_state['key'] = intrinsics.federated_map(next_key, state.key)
      if inner is not None:
        new_state['inner_agg_process'] = inner_output.state
      measurements.update(common.bits_measurements(plan.bits, value_type))
      return measured_process.MeasuredProcessOutput(
          state=intrinsics.federated_zip(new_state), result=result,
          measurements=intrinsics.federated_zip(measurements))

    return aggregation_process.AggregationProcess(init_fn, next_fn)
