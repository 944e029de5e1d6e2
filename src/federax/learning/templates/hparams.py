"""Hyperparameters of a process: `get_hparams(state)`, `set_hparams(state, h)`.

Processes whose state holds hyperparameters (learning rates, say) expose
them as two computations over the state's member type; processes without
any get an empty dict and a `set_hparams` that returns the state unchanged.
"""

from __future__ import annotations

import collections

from federax.core import jax_computation
from federax.core import types
from federax.templates import checks


def member(t: types.Type) -> types.Type:
  return t.member if isinstance(t, types.FederatedType) else t


def default_get_hparams(state_type: types.Type):
  return jax_computation.jax_computation(
      lambda state: collections.OrderedDict(), member(state_type))


def default_set_hparams(state_type: types.Type):
  t = member(state_type)
  return jax_computation.jax_computation(
      lambda state, hparams: state, t, types.StructType([]))


def checked(state_type, get_hparams_fn, set_hparams_fn):
  """The pair of hparams computations, defaults filled in and checked."""
  if get_hparams_fn is None:
    get_hparams_fn = default_get_hparams(state_type)
  if set_hparams_fn is None:
    set_hparams_fn = default_set_hparams(state_type)
  checks.check_computation(get_hparams_fn, 'get_hparams_fn')
  checks.check_computation(set_hparams_fn, 'set_hparams_fn')
  state = member(state_type)
  params = checks.parameters(get_hparams_fn)
  if len(params) != 1 or not params[0].is_assignable_from(state):
    raise TypeError(f'get_hparams_fn: expected a computation taking the '
                    f'state {state}, got {get_hparams_fn.type_signature}.')
  params = checks.parameters(set_hparams_fn)
  if len(params) != 2 or not params[0].is_assignable_from(state):
    raise TypeError(f'set_hparams_fn: expected a computation taking (state '
                    f'{state}, hparams), got {set_hparams_fn.type_signature}.')
  return get_hparams_fn, set_hparams_fn
