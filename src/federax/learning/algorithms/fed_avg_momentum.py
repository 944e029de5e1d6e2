"""FedAvgM: FedAvg with server momentum (Hsu, Qi and Brown, 2019).

T.-M. H. Hsu, H. Qi, M. Brown. "Measuring the Effects of Non-Identical
Data Distribution for Federated Visual Classification", arXiv:1909.06335.
"""

from __future__ import annotations

from federax.learning.algorithms import fed_avg
from federax.learning.optimizers import builders
from federax.learning.templates import fed_nova_client_work
from federax.learning.templates import scaffold_client_work


def build_fed_avg_with_server_momentum(
    model_fn, client_optimizer_fn, server_learning_rate: float = 1.0,
    server_momentum: float = 0.9, *, client_weighting=None,
    model_distributor=None, model_aggregator=None, metrics_aggregator=None,
    client_spec=None):
  """FedAvgM: FedAvg whose server applies the mean update with momentum.

  Hsu et al. (2019), "Measuring the Effects of Non-Identical Data
  Distribution for Federated Visual Classification". Clients train as in
  `build_weighted_fed_avg`; the server treats the weighted mean of the
  clients' deltas `d = mean(w - w_i)` as a gradient and takes a heavy-ball
  step: `v = server_momentum * v + d`, `w = w - server_learning_rate * v`
  (the state's `finalizer` holds `v`; both numbers are its hparams). With
  `server_momentum=0` and `server_learning_rate=1` this is FedAvg.

  It is `build_weighted_fed_avg(..., server_optimizer_fn=
  fx.learning.optimizers.build_sgdm(server_learning_rate,
  server_momentum))`; the keyword arguments are FedAvg's.

  Example:
    >>> import numpy as np, federax as fx
    >>> model = fx.learning.models.FunctionalModel(
    ...     initial_weights=((np.zeros(2, np.float32),), ()),
    ...     predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...     loss_fn=fx.learning.models.mean_squared_error,
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> process = fx.learning.algorithms.build_fed_avg_with_server_momentum(
    ...     model, fx.learning.optimizers.build_sgdm(0.1),
    ...     server_momentum=0.5)
    >>> hparams = process.get_hparams(process.initialize())['finalizer']
    >>> {k: round(float(v), 2) for k, v in hparams.items()}
    {'learning_rate': 1.0, 'momentum': 0.5}
  """
  rate = scaffold_client_work.check_learning_rate(server_learning_rate,
                                                  'server_learning_rate')
  momentum = fed_nova_client_work.check_momentum(server_momentum,
                                                'server_momentum')
  return fed_avg.build_weighted_fed_avg(
      model_fn, client_optimizer_fn, builders.build_sgdm(rate, momentum),
      client_weighting=client_weighting, model_distributor=model_distributor,
      model_aggregator=model_aggregator,
      metrics_aggregator=metrics_aggregator, client_spec=client_spec)
