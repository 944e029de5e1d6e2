"""Partially local models (TFF's `tff.learning.reconstruction`).

Federated Reconstruction under the names of TFF's original module; the
same objects as `fx.learning.models.ReconstructionModel`,
`fx.learning.algorithms.build_fed_recon` (here `build_training_process`)
and `fx.learning.algorithms.build_fed_recon_eval` (here
`build_federated_evaluation`; like TFF's current `build_fed_recon_eval` it
returns a `LearningProcess`). See docs/personalization_and_reconstruction.md.

Example:
  >>> import federax as fx
  >>> fx.learning.reconstruction.build_training_process is (
  ...     fx.learning.algorithms.build_fed_recon)
  True
"""

from federax.learning.algorithms.fed_recon import build_fed_recon
from federax.learning.algorithms.fed_recon import build_fed_recon_eval
from federax.learning.models.reconstruction_model import (
    ReconstructionBatchOutput, ReconstructionModel)
from federax.learning.models.reconstruction_split import (
    DatasetSplit, build_dataset_split_fn, simple_dataset_split_fn)

Model = ReconstructionModel
build_training_process = build_fed_recon
build_federated_evaluation = build_fed_recon_eval
get_global_variables = ReconstructionModel.get_global_variables
get_local_variables = ReconstructionModel.get_local_variables
has_only_global_variables = ReconstructionModel.has_only_global_variables

__all__ = ['DatasetSplit', 'Model', 'ReconstructionBatchOutput',
           'ReconstructionModel', 'build_dataset_split_fn',
           'build_federated_evaluation', 'build_training_process',
           'get_global_variables', 'get_local_variables',
           'has_only_global_variables', 'simple_dataset_split_fn']
