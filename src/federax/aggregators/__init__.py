"""Aggregation factories (TFF's `tff.aggregators`)."""

from federax.aggregators.factory import (UnweightedAggregationFactory,
                                         WeightedAggregationFactory)
from federax.aggregators.mean import MeanFactory, UnweightedMeanFactory
from federax.aggregators.sum_factory import SumFactory

__all__ = ['MeanFactory', 'SumFactory', 'UnweightedAggregationFactory',
           'UnweightedMeanFactory', 'WeightedAggregationFactory']
