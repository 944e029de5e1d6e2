"""The server state of optimizer-based client works: hparams, round number.

FedNova's, q-FedAvg's, FedBuff's and FedDyn's client works keep the same
state as FedAvg's: the client optimizer's hyperparameters (the process's
`client_work` hparams) and the round number (which seeds each client's
shuffling), plus, for FedDyn, extra server-side fields. `build_round_state`
makes the state's type, its initial value and the small computations that
advance it and read and write its hparams.
"""

from __future__ import annotations

import collections
from typing import Any, NamedTuple

import numpy as np

from federax.core import federated_computation
from federax.core import intrinsics
from federax.core import jax_computation
from federax.core import placements
from federax.core import type_conversions
from federax.core import types
from federax.learning.optimizers import hparams as opt_hparams
from federax.learning.templates import client_works


class RoundState(NamedTuple):
  """A client work's state: its type, initial value and computations."""
  state_type: types.StructType   # <hparams=...,round_num=int32,...extra>
  initial: Any                   # the initial value (an OrderedDict)
  init_fn: Any                   # ( -> state@SERVER)
  next_round: Any                # (state -> state): round_num + 1
  get_hparams: Any               # (state -> hparams)
  set_hparams: Any               # (<state,hparams> -> state)

  def process(self, next_fn) -> client_works.ClientWorkProcess:
    """A `ClientWorkProcess` of `init_fn`, `next_fn` and the hparams."""
    return client_works.ClientWorkProcess(
        self.init_fn, next_fn, get_hparams_fn=self.get_hparams,
        set_hparams_fn=self.set_hparams)


def build_round_state(optimizer, initial_trainable, **extra) -> RoundState:
  """The state `<hparams, round_num, **extra>` of a client work.

  `hparams` are those of `optimizer.init(initial_trainable)` (empty for an
  optimizer without `optax.inject_hyperparams`); `extra` are further
  fields with their initial values.

  Example:
    >>> import numpy as np, federax as fx
    >>> from federax.learning.templates import round_state
    >>> state = round_state.build_round_state(
    ...     fx.learning.optimizers.build_sgdm(0.1), np.zeros(2, np.float32))
    >>> print(state.state_type)
    <hparams=<learning_rate=float32>,round_num=int32>
    >>> int(state.next_round(state.initial)['round_num'])
    1
  """
  hparams = opt_hparams.get_hparams(
      opt_hparams.initial_state(optimizer, initial_trainable))
  initial = collections.OrderedDict(hparams=hparams, round_num=np.int32(0))
  initial.update(extra)
  state_t = type_conversions.infer_type(initial)
  state_t = types.StructType(list(state_t.elements), collections.OrderedDict)

  def advance(state):
    new = collections.OrderedDict(state)
    new['round_num'] = state['round_num'] + 1
    return new

  def replace_hparams(state, new_hparams):
    new = collections.OrderedDict(state)
    new['hparams'] = new_hparams
    return new

  @federated_computation.federated_computation()
  def init_fn():
    return intrinsics.federated_value(initial, placements.SERVER)

  return RoundState(
      state_t, initial, init_fn,
      jax_computation.jax_computation(advance, state_t),
      jax_computation.jax_computation(lambda s: s['hparams'], state_t),
      jax_computation.jax_computation(replace_hparams, state_t,
                                      state_t.hparams))
