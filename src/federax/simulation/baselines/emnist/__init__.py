"""EMNIST baseline tasks (TFF's `tff.simulation.baselines.emnist`).

`create_character_recognition_task` with the models of
`emnist_models` ('cnn_dropout', 'cnn', '2nn'). See docs/simulation.md.
"""

from federax.simulation.baselines.emnist.char_recognition_tasks import (
    CharacterRecognitionModel, create_character_recognition_task,
    create_character_recognition_task_from_datasets, create_preprocess_fn)
from federax.simulation.baselines.emnist.emnist_models import (
    create_conv_dropout_model, create_original_fedavg_cnn_model,
    create_two_hidden_layer_model)
