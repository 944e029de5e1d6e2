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
from federax.aggregators.secure_modular_sum import SecureModularSumFactory  # noqa: E402,E501
from federax.aggregators.secure_sum_factory import SecureSumFactory  # noqa: E402,E501
__all__ += ['SecureModularSumFactory', 'SecureSumFactory']
