"""Learning algorithms (TFF's `tff.learning.algorithms`)."""

from federax.learning.algorithms.fed_avg import (
    build_unweighted_fed_avg, build_weighted_fed_avg,
    build_weighted_fed_avg_with_optimizer_schedule)
from federax.learning.algorithms.fed_eval import build_fed_eval
from federax.learning.algorithms.fed_prox import (build_unweighted_fed_prox,
                                                  build_weighted_fed_prox)
from federax.learning.algorithms.fed_sgd import build_fed_sgd
from federax.learning.algorithms.mime_lite import (build_unweighted_mime_lite,
                                                   build_weighted_mime_lite)
from federax.learning.algorithms.scaffold import build_scaffold

__all__ = ['build_fed_eval', 'build_fed_sgd', 'build_scaffold',
           'build_unweighted_fed_avg', 'build_unweighted_fed_prox',
           'build_unweighted_mime_lite', 'build_weighted_fed_avg',
           'build_weighted_fed_avg_with_optimizer_schedule',
           'build_weighted_fed_prox', 'build_weighted_mime_lite']

# Federated k-means clustering.
from federax.learning.algorithms.kmeans_clustering import build_fed_kmeans  # noqa: E402,E501
__all__ += ['build_fed_kmeans']
