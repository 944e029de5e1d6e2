"""Reading and writing optimizer hyperparameters; accepting optimizers."""

from __future__ import annotations

import collections


def as_optimizer(value, argument: str):
  """`value` as an optax `GradientTransformation`.

  Accepts one, or a callable with no argument that returns one (TFF's
  `client_optimizer_fn`).

  Example:
    >>> import optax, federax as fx
    >>> opt = fx.learning.optimizers.as_optimizer(lambda: optax.sgd(0.1),
    ...                                           'client_optimizer_fn')
    >>> isinstance(opt, optax.GradientTransformation)
    True
  """
  import optax
  if isinstance(value, optax.GradientTransformation):
    return value
  if callable(value):
    try:
      made = value()
    except TypeError:
      made = None
    if isinstance(made, optax.GradientTransformation):
      return made
  raise TypeError(
      f'{argument}: expected an optax GradientTransformation (e.g. '
      f'fx.learning.optimizers.build_sgdm(0.1) or optax.adam(1e-3)) or a '
      f'function with no argument returning one, got {value!r}.')


def initial_state(optimizer, params):
  """`optimizer.init(params)`, computed as one compiled program.

  Run eagerly, each operation of `init` would compile a program of its own
  (tens of milliseconds each); processes call this when they are built.

  Example:
    >>> import numpy as np, federax as fx
    >>> state = fx.learning.optimizers.hparams.initial_state(
    ...     fx.learning.optimizers.build_sgdm(0.1, 0.9), np.zeros(2))
    >>> round(float(fx.learning.optimizers.get_hparams(state)['momentum']), 6)
    0.9
  """
  import jax
  return jax.jit(optimizer.init)(params)


def _injected_state(opt_state):
  return opt_state if hasattr(opt_state, 'hyperparams') and hasattr(
      opt_state, 'inner_state') else None


def get_hparams(opt_state) -> collections.OrderedDict:
  """The hyperparameters held in an optimizer state (empty if none).

  States of optimizers made with `optax.inject_hyperparams` (every
  `fx.learning.optimizers.build_*`) hold them; others hold none.

  Example:
    >>> import numpy as np, federax as fx
    >>> state = fx.learning.optimizers.build_sgdm(0.1, 0.9).init(np.zeros(2))
    >>> {k: round(float(v), 3) for k, v in
    ...  fx.learning.optimizers.get_hparams(state).items()}
    {'learning_rate': 0.1, 'momentum': 0.9}
  """
  injected = _injected_state(opt_state)
  if injected is None:
    return collections.OrderedDict()
  return collections.OrderedDict(sorted(injected.hyperparams.items()))


def set_hparams(opt_state, hparams):
  """The optimizer state with its hyperparameters replaced by `hparams`.

  Example:
    >>> import numpy as np, federax as fx
    >>> opts = fx.learning.optimizers
    >>> state = opts.build_sgdm(0.1).init(np.zeros(2))
    >>> state = opts.set_hparams(state, {'learning_rate': 0.5})
    >>> float(opts.get_hparams(state)['learning_rate'])
    0.5
  """
  injected = _injected_state(opt_state)
  hparams = dict(hparams)
  if injected is None:
    if hparams:
      raise ValueError(
          f'hparams: this optimizer state holds no hyperparameters, got '
          f'{sorted(hparams)}. Build the optimizer with '
          f'fx.learning.optimizers.build_* or optax.inject_hyperparams.')
    return opt_state
  unknown = set(hparams) - set(injected.hyperparams)
  if unknown:
    raise ValueError(f'hparams: unknown names {sorted(unknown)}; expected '
                     f'some of {sorted(injected.hyperparams)}.')
  import jax.numpy as jnp
  new = dict(injected.hyperparams)
  for name, value in hparams.items():
    old = injected.hyperparams[name]
    new[name] = jnp.asarray(value, getattr(old, 'dtype', None))
  return injected._replace(hyperparams=new)
