"""The loader only ever raises ValueError, whatever bytes it is given.

Random bytes, truncations and bit flips of a valid file; and, past the
digest, random changes to the body of a valid file (re-wrapped with a
correct digest), so that the decoders behind the digest are fuzzed too.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import federax as fx
from federax.proto import computation_pb2 as pb

SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@fx.jax_computation(fx.TensorType(np.float32, [None]), fx.SequenceType(
    fx.TensorType(np.float32, [None])))
def client_work(w, data):
  return data.reduce(np.float32(0), lambda acc, x: acc + (x * w).sum())


@fx.federated_computation(fx.type_at_server(fx.TensorType(np.float32, [2])),
                          fx.type_at_clients(fx.SequenceType(
                              fx.TensorType(np.float32, [None]))))
def round_(w, data):
  values = fx.federated_map(client_work, (fx.federated_broadcast(w), data))
  return fx.federated_sum(values), fx.federated_value(
      np.array(['a', 'é'], object), fx.SERVER)


VALID = fx.serialize(round_)
BODY = pb.SerializedComputation.FromString(VALID).computation


def _wrap(body: bytes, version=1, magic='federax.Computation') -> bytes:
  return pb.SerializedComputation(
      magic=magic, format_version=version, computation=body,
      sha256=hashlib.sha256(body).digest()).SerializeToString()


def _load(data):
  try:
    fx.deserialize(data)
  except ValueError as e:
    assert str(e).startswith('fx.deserialize'), e


def _flip(data: bytes, positions) -> bytes:
  out = bytearray(data)
  for p in positions:
    out[p % len(out)] ^= 1 << (p % 8)
  return bytes(out)


def test_valid_file_loads():
  loaded = fx.deserialize(VALID)
  assert loaded.type_signature == round_.type_signature
  assert _wrap(BODY) == VALID


@SETTINGS
@given(st.binary(max_size=400))
def test_random_bytes(data):
  _load(data)


@SETTINGS
@given(st.integers(0, len(VALID) - 1))
def test_truncations(n):
  with pytest.raises(ValueError):
    fx.deserialize(VALID[:n])


@SETTINGS
@given(st.lists(st.integers(0, 8 * len(VALID)), min_size=1, max_size=4))
def test_bit_flips(positions):
  _load(_flip(VALID, positions))


@SETTINGS
@given(st.lists(st.integers(0, 8 * len(BODY)), min_size=1, max_size=4))
def test_bit_flips_behind_the_digest(positions):
  _load(_wrap(_flip(BODY, positions)))


@SETTINGS
@given(st.integers(0, len(BODY) - 1))
def test_truncations_behind_the_digest(n):
  _load(_wrap(BODY[:n]))


@SETTINGS
@given(st.binary(max_size=300))
def test_random_bodies(body):
  _load(_wrap(body))


def test_wrong_version_and_magic():
  with pytest.raises(ValueError, match='format version 2.*reads version 1'):
    fx.deserialize(_wrap(BODY, version=2))
  with pytest.raises(ValueError, match='format version 0'):
    fx.deserialize(_wrap(BODY, version=0))
  with pytest.raises(ValueError, match='not a serialized federax computation'):
    fx.deserialize(_wrap(BODY, magic='something else'))
  with pytest.raises(ValueError, match='digest does not match'):
    fx.deserialize(_flip(VALID, [8 * (len(VALID) // 2)]))
  with pytest.raises(TypeError, match='expected bytes'):
    fx.deserialize('a string')


def test_malformed_tables_are_named():
  body = pb.Computation.FromString(BODY)
  body.nodes[-1].call.function = len(body.nodes) + 5
  with pytest.raises(ValueError, match=r'nodes\[\d+\] \(call\).*not an earlier'):
    fx.deserialize(_wrap(body.SerializeToString()))
  body = pb.Computation.FromString(BODY)
  body.types.add().struct.elements.add(type=10 ** 6)
  with pytest.raises(ValueError, match=r'types\[\d+\]'):
    fx.deserialize(_wrap(body.SerializeToString()))
  body = pb.Computation.FromString(BODY)
  body.jax_functions[0].exported = b'garbage'
  with pytest.raises(ValueError, match='not a valid jax.export'):
    fx.deserialize(_wrap(body.SerializeToString()))


def test_exponential_sharing_is_refused():
  body = pb.Computation()
  body.types.add().tensor.dtype = pb.INT32
  for i in range(40):  # each struct holds the previous one twice
    body.types.add().struct.elements.extend(
        [pb.StructType.Element(type=i), pb.StructType.Element(type=i)])
  with pytest.raises(ValueError, match='expands to more than'):
    fx.deserialize(_wrap(body.SerializeToString()))
