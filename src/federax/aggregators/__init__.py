"""Aggregation factories (TFF's `tff.aggregators`)."""

from federax.aggregators.factory import (UnweightedAggregationFactory,
                                         WeightedAggregationFactory)
from federax.aggregators.mean import MeanFactory, UnweightedMeanFactory
from federax.aggregators.sum_factory import SumFactory

__all__ = ['MeanFactory', 'SumFactory', 'UnweightedAggregationFactory',
           'UnweightedMeanFactory', 'WeightedAggregationFactory']

# Compression: quantization, rotations, sparsification, encoding stages.
from federax.aggregators import compression as _compression
from federax.aggregators.compression import *  # noqa: E402,F401,F403
__all__ += _compression.__all__

# Secure aggregation: secure sums and the pairwise-masking protocol.
from federax.aggregators import secure_protocol  # noqa: E402
__all__ += ['secure_protocol']
from federax.aggregators.secure_modular_sum import SecureModularSumFactory  # noqa: E402,E501
from federax.aggregators.secure_sum_factory import SecureSumFactory  # noqa: E402,E501
__all__ += ['SecureModularSumFactory', 'SecureSumFactory']

# Norms and differential privacy: clipping, zeroing, quantiles, DP queries.
from federax.aggregators.clipping import (  # noqa: E402
    clipping_factory, zeroing_factory)
from federax.aggregators.differential_privacy import (  # noqa: E402
    DifferentiallyPrivateFactory, DPAggregatorState)
from federax.aggregators.dp_aggregator import dp_aggregator  # noqa: E402
from federax.aggregators.dp_query import (  # noqa: E402
    DPQuery, SumAggregationDPQuery)
from federax.aggregators.gaussian_query import (  # noqa: E402
    GaussianSumQuery, NoPrivacyAverageQuery, NormalizedQuery)
from federax.aggregators.privacy_accounting import (  # noqa: E402
    compute_epsilon, dp_event_of)
from federax.aggregators.quantile_estimation import (  # noqa: E402
    PrivateQuantileEstimationProcess)
from federax.aggregators.quantile_query import (  # noqa: E402
    NoPrivacyQuantileEstimatorQuery, QuantileAdaptiveClipSumQuery,
    QuantileEstimatorQuery)
from federax.aggregators.tree_query import TreeResidualSumQuery  # noqa: E402
__all__ += ['DPAggregatorState', 'DPQuery', 'DifferentiallyPrivateFactory',
            'GaussianSumQuery', 'NoPrivacyAverageQuery',
            'NoPrivacyQuantileEstimatorQuery', 'NormalizedQuery',
            'PrivateQuantileEstimationProcess',
            'QuantileAdaptiveClipSumQuery', 'QuantileEstimatorQuery',
            'SumAggregationDPQuery', 'TreeResidualSumQuery', 'clipping_factory',
            'compute_epsilon', 'dp_aggregator', 'dp_event_of',
            'zeroing_factory']

# Robust aggregation: median, trimmed mean, Krum, norm bounds; attacks.
from federax.aggregators import attacks  # noqa: E402
from federax.aggregators.robust import (  # noqa: E402
    CoordinateWiseMedianFactory, KrumFactory, TrimmedMeanFactory)
__all__ += ['CoordinateWiseMedianFactory', 'KrumFactory',
            'TrimmedMeanFactory', 'attacks']
from federax.aggregators.robust.presets import (  # noqa: E402
    norm_bounded_mean, robust_aggregator)
from federax.aggregators.secure_aggregator import secure_aggregator  # noqa: E402,E501
__all__ += ['norm_bounded_mean', 'robust_aggregator', 'secure_aggregator']

# Basics: weighting, concatenation, measurements, sampling.
from federax.aggregators.concat import concat_factory  # noqa: E402
from federax.aggregators.factory_utils import as_weighted_aggregator  # noqa: E402,E501
__all__ += ['as_weighted_aggregator', 'concat_factory']
from federax.aggregators.measurements import add_measurements  # noqa: E402
from federax.aggregators.sampling import UnweightedReservoirSamplingFactory  # noqa: E402,E501
__all__ += ['UnweightedReservoirSamplingFactory', 'add_measurements']
