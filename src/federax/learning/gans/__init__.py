"""Federated GANs (TFF's federated GAN research code, on JAX).

The DP-FedAvg-GAN pattern (Augenstein et al., 2020): the discriminator is
trained on the clients' private examples and averaged, optionally with
differential privacy; the generator is trained on the server against the
averaged discriminator. See `build_gan_training_process`.
"""

from federax.learning.gans.gan_spec import GanSpec
from federax.learning.gans.images import (generate, image_grid,
                                          save_image_grid, write_png)
from federax.learning.gans.losses import GanLoss, nonsaturating, wasserstein
from federax.learning.gans.server_training import GanState
from federax.learning.gans.training_process import build_gan_training_process

__all__ = ['GanLoss', 'GanSpec', 'GanState', 'build_gan_training_process',
           'generate', 'image_grid', 'nonsaturating', 'save_image_grid',
           'wasserstein', 'write_png']
