"""Shakespeare baseline tasks (TFF's `tff.simulation.baselines.shakespeare`).

`create_character_prediction_task`: next-character prediction with an
LSTM. See docs/simulation.md.
"""

from federax.simulation.baselines.shakespeare.char_prediction_models import (
    create_recurrent_model)
from federax.simulation.baselines.shakespeare import (
    char_prediction_preprocessing)
from federax.simulation.baselines.shakespeare.char_prediction_preprocessing \
    import CHAR_VOCAB, create_preprocess_fn, get_special_tokens
from federax.simulation.baselines.shakespeare.char_prediction_tasks import (
    DEFAULT_SEQUENCE_LENGTH, VOCAB_LENGTH, create_character_prediction_task,
    create_character_prediction_task_from_datasets)
