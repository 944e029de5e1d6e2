"""A distributor that keeps the last few global models (for FedBuff).

Asynchronous training is simulated by letting each client start from a
model some server steps old. The distributor's state holds the last
`history_size` models it was given, newest first; each round it pushes
the current model and sends the clients the whole history, from which
each client takes the version its staleness says
(`build_fed_buff_client_work`).
"""

from __future__ import annotations

import collections

import numpy as np

from federax.core import federated_computation
from federax.core import intrinsics
from federax.core import jax_computation
from federax.core import jax_support
from federax.core import placements
from federax.core import type_conversions
from federax.core import types
from federax.learning.templates import distributors
from federax.templates import measured_process


def stacked_type(value_type: types.Type, size: int) -> types.Type:
  """`value_type` with a leading axis of `size` on every tensor.

  Example:
    >>> import numpy as np, federax as fx
    >>> from federax.learning.templates import model_history_distributor
    >>> print(model_history_distributor.stacked_type(
    ...     fx.to_type(((np.float32, [2]), ())), 3))
    <float32[3,2],<>>
  """
  if isinstance(value_type, types.TensorType):
    return types.TensorType(value_type.dtype, [size, *value_type.shape])
  if isinstance(value_type, types.StructType):
    return types.StructType(
        [(name, stacked_type(t, size)) for name, t in value_type.elements],
        value_type.container_type)
  raise TypeError(f'model_weights_type: expected tensors and structs only, '
                  f'got {value_type}.')


def build_model_history_distributor(model_weights_type, history_size: int):
  """Sends clients `<history, num_versions>`: the last models, newest first.

  The state is `<history, num_versions=int32>`: `history` has a leading
  axis of `history_size` (index 0 the newest model) and `num_versions`
  counts the models pushed so far, at most `history_size`. `next(state,
  weights)` pushes `weights` (so index 0 is this round's model) and
  broadcasts the new state. Only entries below `num_versions` are models;
  the others are zeros.

  Example:
    >>> import numpy as np, federax as fx
    >>> from federax.learning.templates import model_history_distributor
    >>> process = model_history_distributor.build_model_history_distributor(
    ...     fx.TensorType(np.float32, [2]), history_size=3)
    >>> state = process.initialize()
    >>> for version in range(4):
    ...   state = process.next(state, np.full(2, version, np.float32)).state
    >>> state['history'][:, 0].tolist(), int(state['num_versions'])
    ([3.0, 2.0, 1.0], 3)
  """
  weights_t = type_conversions.to_type(model_weights_type)
  if isinstance(weights_t, types.FederatedType):
    weights_t = weights_t.member
  if (isinstance(history_size, bool) or not isinstance(history_size, int)
      or history_size < 1):
    raise ValueError(f'history_size: expected an int >= 1, got '
                     f'{history_size!r}.')
  history_t = stacked_type(weights_t, history_size)
  state_t = types.StructType([('history', history_t),
                              ('num_versions', types.TensorType(np.int32))],
                             collections.OrderedDict)
  initial = collections.OrderedDict(
      history=jax_support.internal_to_python(jax_support.zeros(history_t),
                                             history_t),
      num_versions=np.int32(0))

  @jax_computation.jax_computation(state_t, weights_t)
  def push(state, weights):
    import jax
    import jax.numpy as jnp
    history = jax.tree.map(
        lambda h, w: jnp.concatenate([jnp.asarray(w)[None], h[:-1]]),
        state['history'], weights)
    return collections.OrderedDict(
        history=history,
        num_versions=jnp.minimum(state['num_versions'] + 1, history_size))

  @federated_computation.federated_computation()
  def init_fn():
    return intrinsics.federated_value(initial, placements.SERVER)

  @federated_computation.federated_computation(
      init_fn.type_signature.result, types.type_at_server(weights_t))
  def next_fn(state, weights):
    new = intrinsics.federated_map(push, [state, weights])
    return measured_process.MeasuredProcessOutput(
        state=new, result=intrinsics.federated_broadcast(new),
        measurements=intrinsics.federated_value((), placements.SERVER))

  return distributors.DistributionProcess(init_fn, next_fn)
