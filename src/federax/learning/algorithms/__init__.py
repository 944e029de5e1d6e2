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

# FedAvgM, FedNova, q-FedAvg, FedDyn and FedBuff (simulated).
from federax.learning.algorithms.fed_avg_momentum import (  # noqa: E402
    build_fed_avg_with_server_momentum)
from federax.learning.algorithms.fed_buff import build_fed_buff  # noqa: E402
from federax.learning.algorithms.fed_dyn import build_fed_dyn  # noqa: E402
from federax.learning.algorithms.fed_nova import build_fed_nova  # noqa: E402
from federax.learning.algorithms.q_fed_avg import build_q_fed_avg  # noqa: E402
__all__ += ['build_fed_avg_with_server_momentum', 'build_fed_buff',
            'build_fed_dyn', 'build_fed_nova', 'build_q_fed_avg']

# Personalization evaluation.
from federax.learning.algorithms.personalization_eval import (  # noqa: E402
    build_personalization_eval_computation)
from federax.learning.algorithms.personalization_strategies import (  # noqa: E402,E501
    build_evaluate_fn, build_finetune_eval_fn)
__all__ += ['build_evaluate_fn', 'build_finetune_eval_fn',
            'build_personalization_eval_computation']

# Federated Reconstruction.
from federax.learning.algorithms.fed_recon import (  # noqa: E402
    build_fed_recon, build_fed_recon_eval)
__all__ += ['build_fed_recon', 'build_fed_recon_eval']
