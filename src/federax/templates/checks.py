"""Type checks shared by the process templates."""

from __future__ import annotations

from federax.core import computation as computation_lib
from federax.core import placements
from federax.core import types


def check_computation(value, name: str) -> None:
  if not isinstance(value, computation_lib.Computation):
    raise TypeError(
        f'{name}: expected an fx.Computation with type specs (decorate it '
        f'with fx.federated_computation or fx.jax_computation and give its '
        f'parameter types), got {type(value).__name__}.')


def parameters(comp: computation_lib.Computation) -> list[types.Type]:
  """The parameter types of `comp`, one per Python parameter."""
  param = comp.type_signature.parameter
  if param is None:
    return []
  if len(comp.parameter_names) > 1:
    return list(param)
  return [param]


def check_placed(t: types.Type, placement, what: str) -> None:
  """`t` must be a federated type placed at `placement`."""
  if not (isinstance(t, types.FederatedType) and t.placement == placement):
    where = 'SERVER' if placement is placements.SERVER else 'CLIENTS'
    raise TypeError(f'{what}: expected a value placed at {where} (T@{where} '
                    f'or {{T}}@{where}), got {t}. Place it with '
                    f'fx.federated_value/federated_broadcast/federated_map.')


def check_assignable(target: types.Type, source: types.Type,
                     what: str, fix: str) -> None:
  if not target.is_assignable_from(source):
    raise TypeError(f'{what}: expected {target}, got {source}. {fix}')


def named_result(comp: computation_lib.Computation, names: tuple[str, ...],
                 what: str) -> types.StructType:
  """The result of `comp`, which must be a struct named `names` in order."""
  result = comp.type_signature.result
  if not (isinstance(result, types.StructType) and
          result.names() == names):
    shown = ', '.join(names)
    raise TypeError(f'{what}: expected it to return a struct <{shown}> '
                    f'(e.g. a {names_container(names)}), got {result}.')
  return result


def names_container(names: tuple[str, ...]) -> str:
  return {('state', 'result', 'measurements'): 'fx.templates.'
                                               'MeasuredProcessOutput',
          ('state', 'metrics'): 'fx.learning.templates.'
                                'LearningProcessOutput'}.get(names, 'struct')
