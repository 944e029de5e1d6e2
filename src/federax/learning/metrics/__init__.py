"""Metrics (TFF's `tff.learning.metrics`): from clients' batches to the server.

Each client accumulates unfinalized metrics over its batches (totals and
counts, which add up across clients); a metrics aggregator combines them
at the server and applies the finalizers.
"""

from federax.learning.metrics.aggregators import sum_then_finalize
from federax.learning.metrics.local import finalizers_of, unfinalized_metrics
from federax.learning.metrics.sampling import finalize_then_sample
from federax.learning.metrics.secure_sum import (
    DEFAULT_SECURE_LOWER_BOUND, DEFAULT_SECURE_UPPER_BOUND,
    create_default_secure_sum_quantization_ranges, secure_sum_then_finalize)

__all__ = ['DEFAULT_SECURE_LOWER_BOUND', 'DEFAULT_SECURE_UPPER_BOUND',
           'create_default_secure_sum_quantization_ranges',
           'finalize_then_sample', 'finalizers_of', 'secure_sum_then_finalize',
           'sum_then_finalize', 'unfinalized_metrics']
