"""Aggregation factories (TFF's `tff.aggregators`)."""

from federax.aggregators.factory import (UnweightedAggregationFactory,
                                         WeightedAggregationFactory)
from federax.aggregators.mean import MeanFactory, UnweightedMeanFactory
from federax.aggregators.sum_factory import SumFactory

__all__ = ['MeanFactory', 'SumFactory', 'UnweightedAggregationFactory',
           'UnweightedMeanFactory', 'WeightedAggregationFactory']

# Secure aggregation: secure sums and the pairwise-masking protocol.
from federax.aggregators import secure_protocol  # noqa: E402
__all__ += ['secure_protocol']
