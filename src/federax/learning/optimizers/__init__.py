"""Optimizers (TFF's `tff.learning.optimizers`): optax, with hparams.

Any optax `GradientTransformation` works on clients and on the server. The
`build_*` helpers return optax optimizers wrapped in
`optax.inject_hyperparams`, so their learning rate and other scalars live
in the optimizer state where `get_hparams`/`set_hparams` read and write
them (and a learning process exposes them as its hparams).
"""

from federax.learning.optimizers.builders import (build_adafactor, build_adagrad,
                                                  build_adam, build_adamw,
                                                  build_rmsprop, build_sgdm,
                                                  build_yogi)
from federax.learning.optimizers.hparams import (as_optimizer, get_hparams,
                                                 set_hparams)

__all__ = ['as_optimizer', 'build_adafactor', 'build_adagrad', 'build_adam',
           'build_adamw', 'build_rmsprop', 'build_sgdm', 'build_yogi',
           'get_hparams', 'set_hparams']
