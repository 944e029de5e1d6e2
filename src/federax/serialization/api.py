"""The implementation of `fx.serialize` and `fx.deserialize`.

A serialized computation is a `SerializedComputation` protobuf (see
`federax/proto/computation.proto`): a magic string, the format version and
a SHA-256 digest around the computation's bytes. Loading checks all three
before it parses the body, never unpickles or evaluates Python, and turns
every kind of malformed input into a `ValueError`.
"""

from __future__ import annotations

import hashlib

from federax.core import building_blocks as bb
from federax.core import computation as computation_lib
from federax.core import types
from federax import serialization
from federax.proto import computation_pb2 as pb
from federax.serialization import ir_codec
from federax.serialization import jax_codec
from federax.serialization import type_codec
from federax.serialization.loaded import LoadedJaxFunction

MAGIC = 'federax.Computation'
# The version of the format this federax writes and reads. A change that
# an older reader would misread gets a new version.
FORMAT_VERSION = serialization.FORMAT_VERSION


def serialize(comp: computation_lib.Computation) -> bytes:
  """`fx.serialize` (see `federax.serialization.serialize`)."""
  if isinstance(comp, computation_lib.PolymorphicComputation):
    raise TypeError(
        f'fx.serialize: {comp.name} is polymorphic (declared without types); '
        f'give its parameter types in the decorator, or serialize '
        f'{comp.name}.concretize(parameter_type).')
  if not isinstance(comp, computation_lib.Computation):
    raise TypeError(f'fx.serialize: expected an fx.Computation, got '
                    f'{type(comp).__name__}.')
  encoder = ir_codec.NodeEncoder()
  root = encoder.encode(comp.building_block)
  functions = [jax_codec.encode(f, encoder.types) for f in encoder.functions]
  body = pb.Computation(
      name=comp.name, parameter_names=comp.parameter_names,
      type_signature=encoder.types.encode(comp.type_signature),
      types=encoder.types.table, nodes=encoder.nodes, root=root,
      jax_functions=functions, producer=_producer())
  data = body.SerializeToString(deterministic=True)
  return pb.SerializedComputation(
      magic=MAGIC, format_version=FORMAT_VERSION, computation=data,
      sha256=hashlib.sha256(data).digest()).SerializeToString(
          deterministic=True)


def deserialize(data: bytes) -> computation_lib.Computation:
  """`fx.deserialize` (see `federax.serialization.deserialize`)."""
  if not isinstance(data, (bytes, bytearray, memoryview)):
    raise TypeError(f'fx.deserialize: expected bytes, got '
                    f'{type(data).__name__}.')
  try:
    return _deserialize(bytes(data))
  except ValueError as e:
    if str(e).startswith('fx.deserialize'):
      raise
    raise ValueError(f'fx.deserialize: malformed computation: {e}') from e
  except Exception as e:  # pylint: disable=broad-except
    raise ValueError(f'fx.deserialize: malformed computation: '
                     f'{type(e).__name__}: {e}') from e


def _producer() -> str:
  import federax
  jax_version = ''
  try:
    import jax
    jax_version = f', jax {jax.__version__}'
  except ImportError:  # pragma: no cover
    pass
  return f'federax {federax.__version__}{jax_version}'


def _parse(message_class, data: bytes, what: str):
  from google.protobuf import message as message_lib
  try:
    return message_class.FromString(data)
  except (message_lib.DecodeError, RuntimeError, ValueError) as e:
    raise ValueError(f'fx.deserialize: {what} ({type(e).__name__}: '
                     f'{e}).') from e


def _deserialize(data: bytes) -> computation_lib.Computation:
  envelope = _parse(pb.SerializedComputation, data,
                    'not a serialized federax computation: cannot parse it')
  if envelope.magic != MAGIC:
    raise ValueError(f'fx.deserialize: not a serialized federax computation '
                     f'(magic {envelope.magic[:40]!r}, expected {MAGIC!r}).')
  if envelope.format_version != FORMAT_VERSION:
    newer = envelope.format_version > FORMAT_VERSION
    raise ValueError(
        f'fx.deserialize: the computation has format version '
        f'{envelope.format_version}; this federax reads version '
        f'{FORMAT_VERSION}.' + (' Load it with a newer federax.' if newer
                                else ''))
  if hashlib.sha256(envelope.computation).digest() != envelope.sha256:
    raise ValueError('fx.deserialize: the computation is corrupt (its '
                     'SHA-256 digest does not match); the file was truncated '
                     'or altered.')
  body = _parse(pb.Computation, envelope.computation,
                'the computation body cannot be parsed')
  type_table = type_codec.decode_types(body.types)
  functions = [jax_codec.decode(m, type_table) for m in body.jax_functions]
  nodes = ir_codec.decode_nodes(body.nodes, type_table, functions)
  if not 0 <= body.root < len(nodes):
    raise ValueError(f'the root node index {body.root} is out of range')
  if not 0 <= body.type_signature < len(type_table):
    raise ValueError(f'the type signature index {body.type_signature} is out '
                     f'of range')
  root, signature = nodes[body.root], type_table[body.type_signature]
  if not isinstance(signature, types.FunctionType):
    raise ValueError(f'the type signature {signature} is not a function type')
  if root.type_signature != signature:
    raise ValueError(f'the root has type {root.type_signature}, the type '
                     f'signature says {signature}')
  names = list(body.parameter_names)
  _check_parameter_names(names, signature.parameter)
  # A loaded JAX computation called inside another JAX function inlines
  # its exported StableHLO, as the original inlined its Python function.
  python_fn = None
  if isinstance(root, bb.CompiledComputation) and isinstance(
      root.function, LoadedJaxFunction):
    python_fn = root.function.fn
  return computation_lib.Computation(root, names, body.name,
                                     python_fn=python_fn)


def _check_parameter_names(names, parameter):
  if parameter is None and names:
    raise ValueError(f'parameter names {names} for a computation without a '
                     f'parameter')
  if len(names) > 1 and not (isinstance(parameter, types.StructType) and
                             len(parameter) == len(names)):
    raise ValueError(f'{len(names)} parameter names for parameter type '
                     f'{parameter}')
  if len(set(names)) != len(names) or not all(names):
    raise ValueError(f'parameter names {names} are not distinct and '
                     f'non-empty')
