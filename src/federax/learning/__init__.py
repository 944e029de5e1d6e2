"""Federated learning (TFF's `tff.learning`): models, algorithms, optimizers."""

from federax.learning import algorithms
from federax.learning import metrics
from federax.learning import models
from federax.learning import optimizers
from federax.learning import templates
from federax.learning.client_spec import ClientSpec
from federax.learning.client_weighting import ClientWeighting

__all__ = ['ClientSpec', 'ClientWeighting', 'algorithms', 'metrics', 'models',
           'optimizers', 'templates']

# Federated GANs (imported here so that fx.learning.gans works).
from federax.learning import gans  # noqa: E402
__all__ += ['gans']

# Federated Reconstruction under TFF's older name, tff.learning.reconstruction.
from federax.learning import reconstruction  # noqa: E402
__all__ += ['reconstruction']
