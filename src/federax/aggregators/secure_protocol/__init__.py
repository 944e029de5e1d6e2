"""Secure aggregation by pairwise masking (Bonawitz et al., CCS 2017).

By default, backends simulate the secure-sum intrinsics with plain sums.
Give an execution context a `MaskedSecureAggregation` (the
`secure_aggregation=` argument of `fx.backends.jax.create_jax_context` or
`fx.backends.interpreter.create_interpreter_context`), or use
`masked_secure_sums()`, and each secure sum runs the real protocol: key
agreement, pairwise and self masks, Shamir shares of the mask keys so that
clients may drop out, and unmasking at the server, which only ever sees
masked vectors.
"""

import contextlib

from federax.aggregators.secure_protocol.protocol import (
    MaskedSecureAggregation, ServerView)


@contextlib.contextmanager
def masked_secure_sums(threshold=None, dropouts=(), late_dropouts=(),
                       seed=None, record=False, backend: str = 'jax'):
  """A `with` block whose secure sums run the masking protocol.

  Installs a new context of `backend` (`'jax'` or `'interpreter'`) whose
  secure sums run a `MaskedSecureAggregation` made of the arguments, and
  yields that protocol object (its `last_view` shows what the server saw).

  Example:
    >>> import numpy as np, federax as fx
    >>> total = fx.federated_computation(
    ...     lambda x: fx.federated_secure_sum_bitwidth(x, 4),
    ...     fx.type_at_clients(np.int32))
    >>> with fx.aggregators.secure_protocol.masked_secure_sums(
    ...     seed=0) as protocol:
    ...   print(total([3, 9, 15]))
    27
    >>> sorted(protocol.last_view.masked_inputs)
    [0, 1, 2]
  """
  from federax import backends
  protocol = MaskedSecureAggregation(threshold, dropouts, late_dropouts, seed,
                                     record)
  if backend == 'jax':
    context = backends.jax.create_jax_context(secure_aggregation=protocol)
  elif backend == 'interpreter':
    context = backends.interpreter.create_interpreter_context(
        secure_aggregation=protocol)
  else:
    raise ValueError(f"backend: expected 'jax' or 'interpreter', got "
                     f'{backend!r}.')
  from federax.core import context_stack
  with context_stack.install(context):
    yield protocol


__all__ = ['MaskedSecureAggregation', 'ServerView', 'masked_secure_sums']
