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
