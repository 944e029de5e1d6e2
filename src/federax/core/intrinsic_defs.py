"""The intrinsics, declared as data: name, uri, type signature, kind.

A signature is a template over type variables (`T`, `U`, ...). An intrinsic
node at a concrete type is valid when that type is an instance of the
template: each variable stands for one type throughout. Backends and
compiler passes look intrinsics up here and keep their own tables of rules
keyed by uri.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Callable

import numpy as np

from federax.core import placements
from federax.core import types
from federax.core.types import (AbstractType, FederatedType, FunctionType,
                                SequenceType, StructType, TensorType)


class Kind(enum.Enum):
  """What an intrinsic does, as the compiler sees it."""
  BROADCAST = 'broadcast'      # SERVER -> CLIENTS communication
  AGGREGATION = 'aggregation'  # CLIENTS -> SERVER communication
  SECURE_AGGREGATION = 'secure_aggregation'
  PLACEMENT = 'placement'      # local work at one placement (map, zip, value)
  SEQUENCE = 'sequence'        # non-federated work on sequences


@dataclasses.dataclass(frozen=True)
class IntrinsicDef:
  """An intrinsic: its user-facing name, uri, signature template and kind.

  `check` replaces template matching for intrinsics whose signature is not a
  fixed shape (the n-ary `federated_zip`).
  """

  name: str
  uri: str
  type_signature: FunctionType
  kind: Kind
  check: Callable[[FunctionType], None] | None = None

  def check_instance(self, concrete: types.Type):
    """Raises `TypeError` unless `concrete` instantiates the signature."""
    if self.check is not None:
      self.check(concrete)
      return
    bindings = {}
    if not _match(self.type_signature, concrete, bindings):
      raise TypeError(f'{self.uri}: type {concrete} is not an instance of the '
                      f'intrinsic signature {self.type_signature}.')


def _match(template, concrete, bindings) -> bool:
  if isinstance(template, AbstractType):
    if template.label in bindings:
      return bindings[template.label] == concrete
    bindings[template.label] = concrete
    return True
  if template is None or concrete is None:
    return template is None and concrete is None
  if type(template) is not type(concrete):
    return False
  if isinstance(template, FederatedType):
    return (template.placement == concrete.placement and
            template.all_equal == concrete.all_equal and
            _match(template.member, concrete.member, bindings))
  if isinstance(template, StructType):
    return (len(template) == len(concrete) and
            all(_match(t, c, bindings) for t, c in zip(template, concrete)))
  if isinstance(template, SequenceType):
    return _match(template.element, concrete.element, bindings)
  if isinstance(template, FunctionType):
    return (_match(template.parameter, concrete.parameter, bindings) and
            _match(template.result, concrete.result, bindings))
  return template == concrete


T, U, R, V, M = (AbstractType(x) for x in 'TURVM')
_C, _S = placements.CLIENTS, placements.SERVER
_I32 = TensorType(np.int32)


def _at_c(t, all_equal=False):
  return FederatedType(t, _C, all_equal)


def _at_s(t):
  return FederatedType(t, _S)


def _check_zip(placement):
  def check(concrete):
    p = concrete.parameter
    ok = isinstance(p, StructType) and isinstance(concrete.result,
                                                  FederatedType)
    if ok:
      members = []
      for n, e in p.elements:
        if not (isinstance(e, FederatedType) and e.placement == placement):
          ok = False
          break
        members.append((n, e.member))
      ok = ok and concrete.result.placement == placement and (
          concrete.result.member == StructType(members))
    if not ok:
      raise TypeError(f'federated_zip_at_{placement.uri}: type {concrete} is '
                      f'not <{{T}}@P,{{U}}@P,...> -> {{<T,U,...>}}@P at '
                      f'{placement}.')
  return check


_ZIP_DISPLAY = {
    p: FunctionType(StructType([FederatedType(T, p), FederatedType(U, p)]),
                    FederatedType(StructType([T, U]), p))
    for p in (_C, _S)
}

_DEFS = [
    IntrinsicDef('federated_aggregate', 'federated_aggregate', FunctionType(
        StructType([_at_c(T), U, FunctionType(StructType([U, T]), U),
                    FunctionType(StructType([U, U]), U), FunctionType(U, R)]),
        _at_s(R)), Kind.AGGREGATION),
    IntrinsicDef('federated_apply', 'federated_apply', FunctionType(
        StructType([FunctionType(T, U), _at_s(T)]), _at_s(U)),
        Kind.PLACEMENT),
    IntrinsicDef('federated_broadcast', 'federated_broadcast', FunctionType(
        _at_s(T), _at_c(T, all_equal=True)), Kind.BROADCAST),
    IntrinsicDef('federated_eval', 'federated_eval_at_clients', FunctionType(
        FunctionType(None, T), _at_c(T)), Kind.PLACEMENT),
    IntrinsicDef('federated_eval', 'federated_eval_at_server', FunctionType(
        FunctionType(None, T), _at_s(T)), Kind.PLACEMENT),
    IntrinsicDef('federated_map', 'federated_map', FunctionType(
        StructType([FunctionType(T, U), _at_c(T)]), _at_c(U)),
        Kind.PLACEMENT),
    IntrinsicDef('federated_map', 'federated_map_all_equal', FunctionType(
        StructType([FunctionType(T, U), _at_c(T, True)]), _at_c(U, True)),
        Kind.PLACEMENT),
    IntrinsicDef('federated_mean', 'federated_mean', FunctionType(
        _at_c(T), _at_s(T)), Kind.AGGREGATION),
    IntrinsicDef('federated_mean', 'federated_weighted_mean', FunctionType(
        StructType([_at_c(T), _at_c(U)]), _at_s(T)), Kind.AGGREGATION),
    IntrinsicDef('federated_min', 'federated_min', FunctionType(
        _at_c(T), _at_s(T)), Kind.AGGREGATION),
    IntrinsicDef('federated_max', 'federated_max', FunctionType(
        _at_c(T), _at_s(T)), Kind.AGGREGATION),
    IntrinsicDef('federated_sum', 'federated_sum', FunctionType(
        _at_c(T), _at_s(T)), Kind.AGGREGATION),
    IntrinsicDef('federated_secure_sum', 'federated_secure_sum', FunctionType(
        StructType([_at_c(V), M]), _at_s(V)), Kind.SECURE_AGGREGATION),
    IntrinsicDef('federated_secure_sum_bitwidth',
                 'federated_secure_sum_bitwidth', FunctionType(
                     StructType([_at_c(V), M]), _at_s(V)),
                 Kind.SECURE_AGGREGATION),
    IntrinsicDef('federated_secure_modular_sum',
                 'federated_secure_modular_sum', FunctionType(
                     StructType([_at_c(V), M]), _at_s(V)),
                 Kind.SECURE_AGGREGATION),
    IntrinsicDef('federated_select', 'federated_select', FunctionType(
        StructType([_at_c(T), _at_s(_I32), _at_s(U),
                    FunctionType(StructType([U, _I32]), R)]),
        _at_c(SequenceType(R))), Kind.BROADCAST),
    IntrinsicDef('federated_value', 'federated_value_at_clients',
                 FunctionType(T, _at_c(T, True)), Kind.PLACEMENT),
    IntrinsicDef('federated_value', 'federated_value_at_server',
                 FunctionType(T, _at_s(T)), Kind.PLACEMENT),
    IntrinsicDef('federated_zip', 'federated_zip_at_clients',
                 _ZIP_DISPLAY[_C], Kind.PLACEMENT, _check_zip(_C)),
    IntrinsicDef('federated_zip', 'federated_zip_at_server',
                 _ZIP_DISPLAY[_S], Kind.PLACEMENT, _check_zip(_S)),
    IntrinsicDef('sequence_map', 'sequence_map', FunctionType(
        StructType([FunctionType(T, U), SequenceType(T)]), SequenceType(U)),
        Kind.SEQUENCE),
    IntrinsicDef('sequence_reduce', 'sequence_reduce', FunctionType(
        StructType([SequenceType(T), U, FunctionType(StructType([U, T]), U)]),
        U), Kind.SEQUENCE),
    IntrinsicDef('sequence_sum', 'sequence_sum', FunctionType(
        SequenceType(T), T), Kind.SEQUENCE),
]

_BY_URI = {d.uri: d for d in _DEFS}


def by_uri(uri: str) -> IntrinsicDef:
  """The definition of the intrinsic with this uri."""
  if uri not in _BY_URI:
    raise ValueError(f'Unknown intrinsic uri {uri!r}; known: '
                     f'{sorted(_BY_URI)}.')
  return _BY_URI[uri]


def all_defs() -> tuple[IntrinsicDef, ...]:
  """Every intrinsic definition, in a fixed order."""
  return tuple(_DEFS)
