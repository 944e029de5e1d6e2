"""`ClientWeighting`: how much each client's update counts in the mean."""

from __future__ import annotations

import enum


class ClientWeighting(enum.Enum):
  """TFF's weighting choices; a function of the client's metrics also works.

  `NUM_EXAMPLES` weighs a client by the examples it trained on, `UNIFORM`
  weighs every client equally. A callable receives the client's
  unfinalized metrics and returns its float32 weight.

  Example:
    >>> import federax as fx
    >>> fx.learning.ClientWeighting.NUM_EXAMPLES
    <ClientWeighting.NUM_EXAMPLES: 'num_examples'>
  """
  NUM_EXAMPLES = 'num_examples'
  UNIFORM = 'uniform'


def check(value) -> ClientWeighting:
  if value is None:
    return ClientWeighting.NUM_EXAMPLES
  if isinstance(value, ClientWeighting) or callable(value):
    return value
  raise TypeError(f'client_weighting: expected an fx.learning.ClientWeighting '
                  f'or a function of the client\'s metrics returning a '
                  f'float32 weight, got {value!r}.')


def weight_of(weighting, unfinalized_metrics):
  """The float32 weight of a client (inside its JAX computation)."""
  import jax.numpy as jnp
  if weighting is ClientWeighting.NUM_EXAMPLES:
    return unfinalized_metrics['num_examples'].astype(jnp.float32)
  if weighting is ClientWeighting.UNIFORM:
    return jnp.float32(1.0)
  return jnp.asarray(weighting(unfinalized_metrics), jnp.float32)
