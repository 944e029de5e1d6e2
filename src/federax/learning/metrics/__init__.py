"""Metrics (TFF's `tff.learning.metrics`): from clients' batches to the server.

Each client accumulates unfinalized metrics over its batches (totals and
counts, which add up across clients); a metrics aggregator combines them
at the server and applies the finalizers.
"""

from federax.learning.metrics.aggregators import sum_then_finalize
from federax.learning.metrics.local import finalizers_of, unfinalized_metrics

__all__ = ['finalizers_of', 'sum_then_finalize', 'unfinalized_metrics']
