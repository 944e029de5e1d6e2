"""Baseline tasks: TFF's `tff.simulation.baselines`.

A `BaselineTask` is a model plus the federated data it trains on, with the
preprocessing that turns the published datasets into the model's input
format: `emnist.create_character_recognition_task`,
`cifar100.create_image_classification_task`,
`shakespeare.create_character_prediction_task`,
`stackoverflow.create_word_prediction_task` and
`stackoverflow.create_tag_prediction_task`. Each takes TFF's
`ClientSpec(num_epochs, batch_size, max_elements, shuffle_buffer_size)`,
runs on the real data (downloaded once) or, with
`use_synthetic_data=True`, on small stand-in clients. Models are flax NNX
modules (`pip install federax[flax]`), imported when a task is built. See
docs/simulation.md.

Example:
  >>> import federax as fx
  >>> baselines = fx.simulation.baselines
  >>> task = baselines.emnist.create_character_recognition_task(
  ...     baselines.ClientSpec(num_epochs=1, batch_size=4), model_id='2nn',
  ...     only_digits=True, use_synthetic_data=True)
  >>> task.client_spec
  ClientSpec(num_epochs=1, batch_size=4, max_elements=None, shuffle=True, seed=0)
"""

from federax.simulation.baselines import cifar100
from federax.simulation.baselines import emnist
from federax.simulation.baselines import shakespeare
from federax.simulation.baselines import stackoverflow
from federax.simulation.baselines import synthetic
from federax.simulation.baselines.baseline_task import BaselineTask
from federax.simulation.baselines.client_spec import ClientSpec
from federax.simulation.baselines.task_data import BaselineTaskDatasets
