"""JAX functions to and from the `jax_functions` table.

Example:
  >>> import numpy as np, federax as fx
  >>> from federax.serialization import jax_codec, type_codec
  >>> @fx.jax_computation(np.int32)
  ... def inc(x):
  ...   return x + 1
  >>> encoder = type_codec.TypeEncoder()
  >>> message = jax_codec.encode(inc.building_block.function, encoder)
  >>> loaded = jax_codec.decode(message, type_codec.decode_types(encoder.table))
  >>> loaded.name, int(loaded(np.int32(41)))
  ('inc', 42)
"""

from __future__ import annotations

from federax.core.jax_computation import JaxFunction
from federax.proto import computation_pb2 as pb
from federax.serialization import jax_export
from federax.serialization.loaded import LoadedJaxFunction


def encode(function: JaxFunction, types_encoder) -> pb.JaxFunction:
  artifacts = jax_export.artifacts_of(function)
  message = pb.JaxFunction(
      name=function.name, parameter_names=function.parameter_names,
      result_type=types_encoder.encode(function.result_type),
      exported=artifacts.exported,
      exported_batched=artifacts.exported_batched,
      result_sequences_full=artifacts.result_sequences_full)
  if function.parameter_type is not None:
    message.parameter_type = types_encoder.encode(function.parameter_type)
  return message


def decode(message: pb.JaxFunction, type_table) -> LoadedJaxFunction:
  """The loaded function; `ValueError` if the message is malformed."""

  def type_at(index, what):
    if not 0 <= index < len(type_table):
      raise ValueError(f'JAX function {message.name!r}: its {what} type '
                       f'index {index} is out of range')
    return type_table[index]

  parameter_type = (type_at(message.parameter_type, 'parameter')
                    if message.HasField('parameter_type') else None)
  artifacts = jax_export.Artifacts(
      bytes(message.exported), bytes(message.exported_batched),
      tuple(message.result_sequences_full))
  return LoadedJaxFunction(message.name, parameter_type,
                           type_at(message.result_type, 'result'),
                           list(message.parameter_names), artifacts)
