"""`build_sgdm`, `build_adam`, ...: optax optimizers with TFF's defaults."""

from __future__ import annotations


def _check_rate(learning_rate, who):
  if callable(learning_rate):
    return
  if not isinstance(learning_rate, (int, float)) or learning_rate < 0:
    raise ValueError(f'{who}: learning_rate: expected a number >= 0 or an '
                     f'optax schedule (step -> rate), got {learning_rate!r}.')


def _injected(factory, who, learning_rate, **hparams):
  import optax
  _check_rate(learning_rate, who)
  for name, value in hparams.items():
    if value is not None and (not isinstance(value, (int, float)) or
                              value < 0):
      raise ValueError(f'{who}: {name}: expected a number >= 0, got '
                       f'{value!r}.')
  return optax.inject_hyperparams(factory)(learning_rate=learning_rate,
                                           **hparams)


def build_sgdm(learning_rate: float = 0.01, momentum: float | None = None):
  """SGD, with heavy-ball momentum when `momentum` is given.

  Example:
    >>> import numpy as np, federax as fx
    >>> opt = fx.learning.optimizers.build_sgdm(learning_rate=0.1)
    >>> state = opt.init(np.zeros(2, np.float32))
    >>> updates, state = opt.update(np.ones(2, np.float32), state)
    >>> updates.tolist()
    [-0.10000000149011612, -0.10000000149011612]
  """
  import optax
  if momentum is None:
    return _injected(optax.sgd, 'build_sgdm', learning_rate)
  return _injected(optax.sgd, 'build_sgdm', learning_rate, momentum=momentum)


def build_adam(learning_rate: float = 0.001, beta_1: float = 0.9,
               beta_2: float = 0.999, epsilon: float = 1e-7):
  """Adam (Kingma and Ba, 2015) with TFF's defaults.

  Example:
    >>> import federax as fx
    >>> sorted(fx.learning.optimizers.get_hparams(
    ...     fx.learning.optimizers.build_adam().init({'w': 0.0})))
    ['b1', 'b2', 'eps', 'eps_root', 'learning_rate']
  """
  import optax
  return _injected(optax.adam, 'build_adam', learning_rate, b1=beta_1,
                   b2=beta_2, eps=epsilon)


def build_adamw(learning_rate: float = 0.001, beta_1: float = 0.9,
                beta_2: float = 0.999, epsilon: float = 1e-7,
                weight_decay: float = 0.004):
  """AdamW: Adam with decoupled weight decay (Loshchilov and Hutter, 2019).

  Example:
    >>> import federax as fx
    >>> opt = fx.learning.optimizers.build_adamw(weight_decay=0.01)
    >>> round(float(fx.learning.optimizers.get_hparams(
    ...     opt.init({'w': 0.0}))['weight_decay']), 6)
    0.01
  """
  import optax
  return _injected(optax.adamw, 'build_adamw', learning_rate, b1=beta_1,
                   b2=beta_2, eps=epsilon, weight_decay=weight_decay)


def build_adagrad(learning_rate: float = 0.01,
                  initial_preconditioner_value: float = 0.1,
                  epsilon: float = 1e-7):
  """Adagrad (Duchi et al., 2011).

  Example:
    >>> import federax as fx
    >>> opt = fx.learning.optimizers.build_adagrad(learning_rate=0.5)
    >>> float(fx.learning.optimizers.get_hparams(
    ...     opt.init({'w': 0.0}))['learning_rate'])
    0.5
  """
  import optax
  return _injected(optax.adagrad, 'build_adagrad', learning_rate,
                   initial_accumulator_value=initial_preconditioner_value,
                   eps=epsilon)


def build_yogi(learning_rate: float = 0.01, beta_1: float = 0.9,
               beta_2: float = 0.999, epsilon: float = 1e-3):
  """Yogi (Zaheer et al., 2018), the adaptive server optimizer of FedYogi.

  Example:
    >>> import federax as fx
    >>> opt = fx.learning.optimizers.build_yogi()
    >>> round(float(fx.learning.optimizers.get_hparams(
    ...     opt.init({'w': 0.0}))['eps']), 6)
    0.001
  """
  import optax
  return _injected(optax.yogi, 'build_yogi', learning_rate, b1=beta_1,
                   b2=beta_2, eps=epsilon)


def build_rmsprop(learning_rate: float = 0.01, decay: float = 0.9,
                  epsilon: float = 1e-7):
  """RMSprop (Hinton's lecture notes), with TFF's defaults.

  Example:
    >>> import federax as fx
    >>> opt = fx.learning.optimizers.build_rmsprop()
    >>> round(float(fx.learning.optimizers.get_hparams(
    ...     opt.init({'w': 0.0}))['decay']), 6)
    0.9
  """
  import optax
  return _injected(optax.rmsprop, 'build_rmsprop', learning_rate,
                   decay=decay, eps=epsilon)


def build_adafactor(learning_rate: float = 0.01):
  """Adafactor (Shazeer and Stern, 2018): memory-light adaptive rates.

  Example:
    >>> import federax as fx
    >>> opt = fx.learning.optimizers.build_adafactor(0.05)
    >>> import numpy as np
    >>> round(float(fx.learning.optimizers.get_hparams(
    ...     opt.init({'w': np.zeros(3, np.float32)}))['learning_rate']), 6)
    0.05
  """
  import optax
  return _injected(optax.adafactor, 'build_adafactor', learning_rate)
