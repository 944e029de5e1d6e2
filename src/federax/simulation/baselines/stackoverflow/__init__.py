"""Stack Overflow baseline tasks (TFF's `baselines.stackoverflow`).

`create_word_prediction_task` (next word, an LSTM) and
`create_tag_prediction_task` (tags from a bag of words, logistic
regression); `load_word_counts` and `load_tag_counts` read TFF's
published vocabularies. See docs/simulation.md.
"""

from federax.simulation.baselines.stackoverflow.tag_prediction_tasks import (
    create_logistic_regression_model, create_tag_prediction_task)
from federax.simulation.baselines.stackoverflow.vocab import (
    counts_from_client_data, load_tag_counts, load_word_counts)
from federax.simulation.baselines.stackoverflow.word_prediction_models import (
    create_recurrent_model)
from federax.simulation.baselines.stackoverflow.word_prediction_preprocessing \
    import (DEFAULT_SEQUENCE_LENGTH, DEFAULT_TAG_VOCAB_SIZE,
            DEFAULT_WORD_VOCAB_SIZE, SpecialTokens, get_special_tokens)
from federax.simulation.baselines.stackoverflow.word_prediction_tasks import (
    create_word_prediction_task, create_word_prediction_task_from_datasets)
