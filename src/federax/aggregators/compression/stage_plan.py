"""The computations of an `EncodingStage` for one value type.

`plan(stage, value_type, who)` traces the stage's methods into
`fx.jax_computation`s, infers the state and encoding types, checks that
decoding gives back the value type, and counts the bits of one encoding.
Both the encoded aggregation and the encoded broadcast are built on it.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from federax.aggregators.compression import encoding_stage
from federax.aggregators.compression import keys as keys_lib
from federax.core import computation as computation_lib
from federax.core import jax_computation
from federax.core import jax_support
from federax.core import types

I32 = types.TensorType(np.int32)


@dataclasses.dataclass(frozen=True)
class StagePlan:
  """A stage's computations for one value type."""
  initial_state: computation_lib.Computation   # ( -> S)
  encode: computation_lib.Computation          # <V,S,key> -> E
  decode: computation_lib.Computation          # <S,E,int32> -> V
  update_state: computation_lib.Computation    # <S,V> -> S
  state_type: types.Type
  encoded_type: types.Type
  bits: int


def check_stage(stage, who: str) -> encoding_stage.EncodingStage:
  if not isinstance(stage, encoding_stage.EncodingStage):
    raise TypeError(f'{who}: stage: expected an fx.aggregators.EncodingStage '
                    f'(subclass it and define encode and decode), got '
                    f'{type(stage).__name__}.')
  if not isinstance(stage.commutes_with_sum, bool):
    raise TypeError(f'{who}: stage.commutes_with_sum: expected a bool, got '
                    f'{type(stage.commutes_with_sum).__name__}.')
  return stage


def _check_result(comp, expected: types.Type, what: str, fix: str):
  got = comp.type_signature.result
  if not expected.is_assignable_from(got):
    raise TypeError(f'{what}: expected {expected}, got {got}. {fix}')


def plan(stage: encoding_stage.EncodingStage, value_type: types.Type,
         who: str, encoded_sum_type=None, client_keys: bool = True
         ) -> StagePlan:
  """Traces `stage` for `value_type`.

  `encoded_sum_type` is the type `decode` receives (what an inner factory
  returns for a stage that commutes with sum); by default the encoding's.
  `client_keys=False` gives `encode` the round key itself (a broadcast:
  one encoding for all clients).
  """
  name = type(stage).__name__
  stage = stage.for_value(jax_support.internal_to_python(
      jax_support.abstract(value_type, 0), value_type))
  initial = jax_computation.jax_computation(stage.initial_state)
  state_t = initial.type_signature.result

  def encode_fn(value, state, key_data):
    key = (keys_lib.client_key(key_data, value) if client_keys else
           keys_lib.shared_key(key_data))
    return stage.encode(state, value, key)

  encode = jax_computation.jax_computation(encode_fn, value_type, state_t,
                                           keys_lib.KEY_TYPE)
  encoded_t = encode.type_signature.result
  decode = jax_computation.jax_computation(
      lambda state, encoded, n: stage.decode(state, encoded, n), state_t,
      encoded_sum_type or encoded_t, I32)
  _check_result(decode, value_type, f'{who}: {name}.decode',
                'Return the structure, shapes and dtypes of the value '
                '(e.g. cast with .astype(value dtype)).')
  update = jax_computation.jax_computation(
      lambda state, result: stage.update_state(state, result), state_t,
      value_type)
  _check_result(update, state_t, f'{who}: {name}.update_state',
                'Return a state of the type initial_state() returns.')
  abstract = jax_support.internal_to_python(
      jax_support.abstract(encoded_t, 0), encoded_t)
  bits = stage.encoded_bits(abstract)
  if isinstance(bits, bool) or not isinstance(bits, (int, np.integer)) or (
      bits <= 0):
    raise TypeError(f'{who}: {name}.encoded_bits: expected a positive int '
                    f'(bits of one encoding), got {bits!r}.')
  return StagePlan(initial, encode, decode, update, state_t, encoded_t,
                   int(bits))
