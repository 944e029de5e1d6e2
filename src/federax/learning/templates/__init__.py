"""Learning process templates (TFF's `tff.learning.templates`)."""

from federax.learning.templates.apply_optimizer_finalizer import (
    build_apply_optimizer_finalizer)
from federax.learning.templates.client_works import (ClientResult,
                                                     ClientWorkProcess)
from federax.learning.templates.composers import (LearningAlgorithmState,
                                                  compose_learning_process)
from federax.learning.templates.distributors import (DistributionProcess,
                                                     build_broadcast_process)
from federax.learning.templates.encoded_broadcast import (
    build_encoded_broadcast_process)
from federax.learning.templates.fed_eval_client_work import (
    build_fed_eval_client_work)
from federax.learning.templates.fed_sgd_client_work import (
    build_fed_sgd_client_work)
from federax.learning.templates.finalizers import FinalizerProcess
from federax.learning.templates.learning_process import (LearningProcess,
                                                         LearningProcessOutput)
from federax.learning.templates.mime_lite_client_work import (
    build_mime_lite_client_work)
from federax.learning.templates.model_delta_client_work import (
    build_model_delta_client_work)
from federax.learning.templates.scaffold_client_work import (
    build_scaffold_client_work)

__all__ = ['ClientResult', 'ClientWorkProcess', 'DistributionProcess',
           'FinalizerProcess', 'LearningAlgorithmState', 'LearningProcess',
           'LearningProcessOutput', 'build_apply_optimizer_finalizer',
           'build_broadcast_process', 'build_encoded_broadcast_process',
           'build_fed_eval_client_work',
           'build_fed_sgd_client_work',
           'build_mime_lite_client_work', 'build_model_delta_client_work',
           'build_scaffold_client_work', 'compose_learning_process']

# FedNova, q-FedAvg, FedDyn and FedBuff parts.
from federax.learning.templates.fed_buff_client_work import (  # noqa: E402
    build_fed_buff_client_work)
from federax.learning.templates.fed_dyn_client_work import (  # noqa: E402
    build_fed_dyn_client_work)
from federax.learning.templates.fed_nova_client_work import (  # noqa: E402
    build_fed_nova_client_work, build_fed_nova_finalizer)
from federax.learning.templates.model_history_distributor import (  # noqa: E402,E501
    build_model_history_distributor)
from federax.learning.templates.q_fed_avg_client_work import (  # noqa: E402
    build_q_fed_avg_client_work)
__all__ += ['build_fed_buff_client_work', 'build_fed_dyn_client_work',
            'build_fed_nova_client_work', 'build_fed_nova_finalizer',
            'build_model_history_distributor', 'build_q_fed_avg_client_work']

# Federated Reconstruction.
from federax.learning.templates.reconstruction_client_work import (  # noqa: E402,E501
    build_fed_recon_client_work, build_fed_recon_eval_client_work)
__all__ += ['build_fed_recon_client_work', 'build_fed_recon_eval_client_work']
