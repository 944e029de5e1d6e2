"""Metrics aggregators: `sum_then_finalize` and its alternatives.

A metrics aggregator is a function `(metric_finalizers,
local_unfinalized_metrics_type) -> computation` whose computation takes the
clients' unfinalized metrics `{U}@CLIENTS` and returns the metrics at
SERVER. `metric_finalizers` is a dict of per-metric functions or one
function of the whole dict. Pass one as `metrics_aggregator=` to any
algorithm builder.
"""

from __future__ import annotations

import collections

from federax.core import aggregation_intrinsics
from federax.core import federated_computation
from federax.core import intrinsics
from federax.core import jax_computation
from federax.core import type_conversions
from federax.core import types


def _finalize_fn(metric_finalizers):
  if callable(metric_finalizers):
    return metric_finalizers
  if not isinstance(metric_finalizers, dict):
    raise TypeError(f'metric_finalizers: expected a dict of metric name to '
                    f'function, or one function of all metrics, got '
                    f'{type(metric_finalizers).__name__}.')

  def finalize(unfinalized):
    return collections.OrderedDict(
        (name, metric_finalizers[name](value))
        for name, value in unfinalized.items())
  return finalize


def _metrics_type(local_unfinalized_metrics_type) -> types.Type:
  t = type_conversions.to_type(local_unfinalized_metrics_type)
  if isinstance(t, types.FederatedType):
    t = t.member
  if not isinstance(t, types.StructType):
    raise TypeError(f'local_unfinalized_metrics_type: expected a struct of '
                    f'named metrics, got {t}.')
  return t


def sum_then_finalize(metric_finalizers, local_unfinalized_metrics_type):
  """Sums the clients' unfinalized metrics, then finalizes at the server.

  The default: exact for every metric whose unfinalized form adds up
  (totals and counts).

  Example:
    >>> import numpy as np, federax as fx
    >>> aggregate = fx.learning.metrics.sum_then_finalize(
    ...     {'accuracy': lambda v: v[0] / v[1]},
    ...     {'accuracy': (np.float32, [2])})
    >>> result = aggregate([{'accuracy': [3.0, 4.0]}, {'accuracy': [1.0, 4.0]}])
    >>> float(result['accuracy'])
    0.5
  """
  finalize = _finalize_fn(metric_finalizers)
  metrics_type = _metrics_type(local_unfinalized_metrics_type)
  finalize_comp = jax_computation.jax_computation(finalize, metrics_type)

  @federated_computation.federated_computation(
      types.type_at_clients(metrics_type))
  def aggregate(unfinalized):
    return intrinsics.federated_map(
        finalize_comp, aggregation_intrinsics.federated_sum(unfinalized))

  return aggregate
