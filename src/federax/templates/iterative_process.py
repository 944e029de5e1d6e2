"""`IterativeProcess`: an `initialize` computation and a `next` computation.

As in TFF: `initialize` takes no argument and returns the state; `next`
takes the state (and possibly more, e.g. client data) and returns the new
state, alone or as the first element of a struct (the rest being metrics or
other outputs).
"""

from __future__ import annotations

from federax.core import computation as computation_lib
from federax.core import types
from federax.templates import checks


class IterativeProcess:
  """A process that repeats `next` on a state made by `initialize`.

  Example:
    >>> import numpy as np, federax as fx
    >>> init = fx.federated_computation(
    ...     lambda: fx.federated_value(np.int32(0), fx.SERVER))
    >>> @fx.federated_computation(fx.type_at_server(np.int32),
    ...                           fx.type_at_clients(np.int32))
    ... def next_fn(state, data):
    ...   return fx.federated_map(fx.jax_computation(
    ...       lambda s, t: s + t, np.int32, np.int32),
    ...       [state, fx.federated_sum(data)])
    >>> process = fx.templates.IterativeProcess(init, next_fn)
    >>> print(process.state_type)
    int32@SERVER
    >>> state = process.initialize()
    >>> for _ in range(3):
    ...   state = process.next(state, [1, 2])
    >>> int(state)
    9
  """

  def __init__(self, initialize_fn, next_fn):
    checks.check_computation(initialize_fn, 'initialize_fn')
    checks.check_computation(next_fn, 'next_fn')
    init_type = initialize_fn.type_signature
    if init_type.parameter is not None:
      raise TypeError(f'initialize_fn: expected a computation with no '
                      f'parameter, got one of type {init_type}.')
    state = init_type.result
    next_type = next_fn.type_signature
    params = checks.parameters(next_fn)
    if not params:
      raise TypeError(f'next_fn: expected a computation taking the state '
                      f'{state}, got one of type {next_type}.')
    first = params[0]
    if not first.is_assignable_from(state):
      raise TypeError(
          f'next_fn: its first parameter has type {first}, which does not '
          f'accept the state {state} that initialize_fn returns. Make the '
          f'types agree.')
    result = next_type.result
    returned = result[0] if isinstance(result, types.StructType) and len(
        result) and not state.is_assignable_from(result) else result
    if not state.is_assignable_from(returned):
      raise TypeError(
          f'next_fn: expected it to return the state {state} (alone or as '
          f'the first element of a struct), got {result}.')
    self._initialize_fn = initialize_fn
    self._next_fn = next_fn

  @property
  def initialize(self) -> computation_lib.Computation:
    return self._initialize_fn

  @property
  def next(self) -> computation_lib.Computation:
    return self._next_fn

  @property
  def state_type(self) -> types.Type:
    """The type of the state (`initialize`'s result type)."""
    return self._initialize_fn.type_signature.result
