"""`build_encoded_broadcast_process`: the server's value sent encoded."""

from __future__ import annotations

import collections

import numpy as np

from federax.aggregators.compression import common
from federax.aggregators.compression import keys as keys_lib
from federax.aggregators.compression import stage_plan
from federax.core import federated_computation
from federax.core import intrinsics
from federax.core import jax_computation
from federax.core import placements
from federax.core import types
from federax.learning.templates import distributors
from federax.templates import measured_process

_WHO = 'build_encoded_broadcast_process'


def build_encoded_broadcast_process(stage, value_type, seed: int = 0
                                    ) -> distributors.DistributionProcess:
  """A `DistributionProcess` that broadcasts the value encoded by `stage`.

  The server encodes its value once per round with `stage` (an
  `fx.aggregators.EncodingStage`; its key comes from the round key in the
  state, made from `seed`), broadcasts the encoding and the stage's state,
  and every client decodes it (with `num_summands=1`); the stage's state
  is then updated with the server's value. Pass it as
  `model_distributor=` to a learning algorithm to compress the model sent
  to clients. State `<stage, key>`; measurements `<bits_per_client,
  compression_ratio>` (bits each client receives).

  Example:
    >>> import numpy as np, federax as fx
    >>> process = fx.learning.templates.build_encoded_broadcast_process(
    ...     fx.aggregators.UniformQuantizationStage(bits=8, stochastic=False),
    ...     fx.TensorType(np.float32, [4]))
    >>> output = process.next(process.initialize(),
    ...                       np.array([0.0, 1.0, 2.0, 3.0], np.float32))
    >>> print(process.result_type)
    float32[4]@CLIENTS
    >>> np.round(output.result, 2).tolist()
    [0.0, 1.0, 2.0, 3.0]
    >>> float(output.measurements['bits_per_client'])  # 8 * 4 + min, max
    96.0
  """
  value_type = common.value_type_of(value_type, _WHO, 'number')
  stage = stage_plan.check_stage(stage, _WHO)
  seed = common.check_seed(seed, _WHO)
  plan = stage_plan.plan(stage, value_type, _WHO, client_keys=False)
  decode = jax_computation.jax_computation(  # One parameter: all_equal out.
      lambda message: plan.decode(message[0], message[1], np.int32(1)),
      types.StructType([plan.state_type, plan.encoded_type]))
  next_key = jax_computation.jax_computation(keys_lib.next_round,
                                             keys_lib.KEY_TYPE)
  first_key = keys_lib.initial_key(seed)

  @federated_computation.federated_computation()
  def init_fn():
    return common.zip_at_server(
        stage=intrinsics.federated_eval(plan.initial_state, placements.SERVER),
        key=intrinsics.federated_value(first_key, placements.SERVER))

  @federated_computation.federated_computation(
      init_fn.type_signature.result, types.type_at_server(value_type))
  def next_fn(state, value):
    encoded = intrinsics.federated_map(plan.encode,
                                       [value, state.stage, state.key])
    message = intrinsics.federated_zip([state.stage, encoded])
    result = intrinsics.federated_map(
        decode, intrinsics.federated_broadcast(message))
    new_state = common.zip_at_server(
        stage=intrinsics.federated_map(plan.update_state,
                                       [state.stage, value]),
        key=intrinsics.federated_map(next_key, state.key))
    measurements = collections.OrderedDict(
        common.bits_measurements(plan.bits, value_type))
    return measured_process.MeasuredProcessOutput(
        state=new_state, result=result,
        measurements=intrinsics.federated_zip(measurements))

  return distributors.DistributionProcess(init_fn, next_fn)
