"""Byzantine-robust aggregation: median, trimmed mean, Krum, norm bounds."""

from federax.aggregators.robust.factories import (CoordinateWiseMedianFactory,
                                                  KrumFactory,
                                                  TrimmedMeanFactory)

__all__ = ['CoordinateWiseMedianFactory', 'KrumFactory', 'TrimmedMeanFactory']
