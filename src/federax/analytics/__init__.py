"""Federated analytics (TFF's `tff.analytics`): heavy hitters, histograms,
quantiles, with secure sums and differential privacy as options."""

from federax.analytics.histograms import build_histogram_process, histogram
from federax.analytics.iblt import IbltParams
from federax.analytics.iblt_heavy_hitters import (build_iblt_heavy_hitters,
                                                  heavy_hitters)
from federax.analytics.privacy import gaussian_threshold
from federax.analytics.quantile_estimation import (build_quantile_estimation_process,
                                         quantiles)
from federax.analytics.sketching import HeavyHitters
from federax.analytics.strings import (decode_strings, encode_client_strings,
                                       encode_strings)

__all__ = ['HeavyHitters', 'IbltParams', 'build_histogram_process',
           'build_iblt_heavy_hitters', 'build_quantile_estimation_process',
           'decode_strings', 'encode_client_strings', 'encode_strings',
           'gaussian_threshold', 'heavy_hitters', 'histogram', 'quantiles']
