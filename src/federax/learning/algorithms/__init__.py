"""Learning algorithms (TFF's `tff.learning.algorithms`)."""

from federax.learning.algorithms.fed_avg import (
    build_unweighted_fed_avg, build_weighted_fed_avg,
    build_weighted_fed_avg_with_optimizer_schedule)
from federax.learning.algorithms.fed_prox import (build_unweighted_fed_prox,
                                                  build_weighted_fed_prox)

__all__ = ['build_unweighted_fed_avg', 'build_unweighted_fed_prox',
           'build_weighted_fed_avg',
           'build_weighted_fed_avg_with_optimizer_schedule',
           'build_weighted_fed_prox']
