"""`federax train`: a federated training run from flags or a config file.

`TrainConfig` holds every setting (`config.py`: defaults, config files,
validation); `run.train(config)` loads the data (`data.py`), builds the
model (`models.py`), the aggregator and the learning process
(`algorithms.py`), trains with `fx.simulation.train_model` and writes the
metrics CSV, TensorBoard events, checkpoints and a plot (`plot.py`) into
the output directory.

Example:
  >>> from federax.apps import train
  >>> config = train.TrainConfig(dataset='digits', rounds=2)
  >>> config.resolved().model, config.resolved().output_dir
  ('mlp', 'runs/digits_fedavg_mlp')
"""

from federax.apps.train.config import ConfigError, TrainConfig
from federax.apps.train.run import TrainSummary, train
