"""Simulation: TFF's `tff.simulation`.

`fx.simulation.datasets` has `Dataset`, `ClientData` and the federated
datasets; `build_uniform_sampling_fn`/`build_weighted_sampling_fn` pick
each round's clients; `build_straggler_fn` makes some of them fail or do
partial work; `run_training_process` and `train_model` run training loops
with checkpoints, metrics and a progress bar (docs/programs.md);
`fx.simulation.baselines` has TFF's baseline tasks. See
docs/simulation.md. Importing this loads numpy only.

Example:
  >>> import federax as fx
  >>> cd = fx.simulation.datasets.ClientData.from_arrays(
  ...     {'a': {'y': [1, 2]}, 'b': {'y': [3]}})
  >>> sample = fx.simulation.build_uniform_sampling_fn(cd.client_ids,
  ...                                                  random_seed=0)
  >>> len(sample(round_num=1, size=2))
  2
"""

from federax.simulation import baselines
from federax.simulation import datasets
from federax.simulation.sampling import (build_num_examples_sampling_fn,
                                         build_uniform_sampling_fn,
                                         build_weighted_sampling_fn)
from federax.simulation.stragglers import Participation, build_straggler_fn
from federax.simulation.progress import ProgressBar
from federax.simulation.train_model import (TrainResult, build_evaluation_fn,
                                            train_model)
from federax.simulation.training_loop import (
    EVALUATION_METRICS_PREFIX, EVALUATION_TIME_KEY, ROUND_NUMBER_KEY,
    ROUND_TIME_KEY, TRAINING_TIME_KEY, run_training_process)
