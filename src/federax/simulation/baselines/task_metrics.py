"""Losses and metrics of the baseline tasks that ignore padding.

Two kinds of padding meet in a batch: rows a learning process adds to fill
the last batch (`sample_weight` 0), and pad tokens inside a sequence
(Shakespeare, Stack Overflow). The token losses and metrics here weigh each
token by both, as TFF's `MaskedCategoricalAccuracy` and `NumTokensCounter`
mask pad tokens. The multi-label ones are the Stack Overflow tag task's
(Keras' `Precision` and `Recall(top_k=5)`). Metric states are totals and
counts, which sum across clients.
"""

from __future__ import annotations


def _token_weights(labels, sample_weight, masked_tokens):
  import jax.numpy as jnp
  labels = jnp.asarray(labels)
  weight = jnp.ones(labels.shape, jnp.float32)
  if sample_weight is not None:
    row = jnp.asarray(sample_weight, jnp.float32)
    weight = weight * row.reshape(row.shape + (1,) * (labels.ndim - 1))
  for token in masked_tokens:
    weight = weight * (labels != token).astype(jnp.float32)
  return weight


def build_masked_sequence_loss(masked_tokens=(0,)):
  """Cross-entropy from logits `[B, T, V]`, averaged over real tokens.

  A token counts when its row is real and its label is not in
  `masked_tokens` (the pad token by default).

  Example:
    >>> import numpy as np
    >>> loss = build_masked_sequence_loss()
    >>> logits = np.zeros((1, 3, 4), np.float32)
    >>> round(float(loss(logits, np.array([[1, 2, 0]]))), 4)   # log(4)
    1.3863
  """
  masked_tokens = tuple(masked_tokens)

  def loss_fn(predictions, labels, sample_weight=None):
    import jax
    import jax.numpy as jnp
    labels = jnp.asarray(labels).astype(jnp.int32)
    log_p = jax.nn.log_softmax(jnp.asarray(predictions, jnp.float32), -1)
    nll = -jnp.take_along_axis(log_p, labels[..., None], axis=-1)[..., 0]
    weight = _token_weights(labels, sample_weight, masked_tokens)
    total = jnp.sum(jnp.where(weight != 0, nll, 0.0) * weight)
    count = jnp.sum(weight)
    return jnp.where(count != 0, total / jnp.where(count != 0, count, 1.0),
                     0.0)

  return loss_fn


def build_token_metrics_fns(accuracies):
  """The `metrics_fns` triple for `num_tokens` and masked accuracies.

  `accuracies` maps a metric name to the tokens it ignores; `num_tokens`
  (int32) counts the tokens of the first entry's mask.

  Example:
    >>> import numpy as np
    >>> from federax.learning import models
    >>> init, update, finalize = build_token_metrics_fns({'accuracy': [0]})
    >>> logits = np.eye(3, dtype=np.float32)[None]       # predicts 0, 1, 2
    >>> out = models.BatchOutput(loss=0.0, predictions=logits, num_examples=1)
    >>> state = update(init(), np.array([[0, 1, 1]]), out)
    >>> {k: float(v) for k, v in sorted(finalize(state).items())}
    {'accuracy': 0.5, 'num_tokens': 2.0}
  """
  names = sorted(accuracies)
  first = next(iter(accuracies))

  def init():
    import numpy as np
    state = {name: {'count': np.zeros((), np.float32),
                    'total': np.zeros((), np.float32)} for name in names}
    state['num_tokens'] = np.zeros((), np.int32)
    return state

  def update(state, labels, batch_output, sample_weight=None):
    import jax.numpy as jnp
    labels = jnp.asarray(labels).astype(jnp.int32)
    hit = (jnp.argmax(batch_output.predictions, axis=-1) == labels).astype(
        jnp.float32)
    new = {}
    for name in names:
      weight = _token_weights(labels, sample_weight, accuracies[name])
      new[name] = {
          'count': state[name]['count'] + jnp.sum(weight),
          'total': state[name]['total'] + jnp.sum(hit * weight)}
    tokens = jnp.sum(_token_weights(labels, sample_weight, accuracies[first]))
    new['num_tokens'] = state['num_tokens'] + tokens.astype(jnp.int32)
    return new

  def finalize(state):
    import jax.numpy as jnp
    result = {'num_tokens': state['num_tokens']}
    for name in names:
      count = state[name]['count']
      result[name] = jnp.where(
          count != 0, state[name]['total'] / jnp.where(count != 0, count, 1.0),
          0.0)
    return result

  return init, update, finalize


def binary_crossentropy(predictions, labels, sample_weight=None):
  """Sigmoid cross-entropy from logits `[B, K]`, the mean over labels and
  real examples.

  Example:
    >>> import numpy as np
    >>> round(float(binary_crossentropy(np.zeros((2, 3)), np.ones((2, 3)))), 4)
    0.6931
  """
  import jax.numpy as jnp
  from federax.learning.models import losses
  logits = jnp.asarray(predictions, jnp.float32)
  labels = jnp.asarray(labels, jnp.float32)
  values = (jnp.maximum(logits, 0.0) - logits * labels +
            jnp.log1p(jnp.exp(-jnp.abs(logits))))
  return losses.weighted_mean(values, sample_weight)


def build_multilabel_metrics_fns(top_k: int = 5):
  """`precision` (sigmoid above 0.5) and `recall_at_{top_k}` (among the
  `top_k` highest scores and above 0.5, as Keras' `Recall(top_k=...)`).

  Example:
    >>> import numpy as np
    >>> from federax.learning import models
    >>> init, update, finalize = build_multilabel_metrics_fns(top_k=1)
    >>> logits = np.array([[2.0, 1.0, -1.0]], np.float32)
    >>> out = models.BatchOutput(loss=0.0, predictions=logits, num_examples=1)
    >>> state = update(init(), np.array([[1.0, 1.0, 0.0]]), out)
    >>> {k: float(v) for k, v in finalize(state).items()}
    {'precision': 1.0, 'recall_at_1': 0.5}
  """
  recall = f'recall_at_{top_k}'

  def init():
    import numpy as np
    zeros = {'count': np.zeros((), np.float32),
             'total': np.zeros((), np.float32)}
    return {'precision': dict(zeros), recall: dict(zeros)}

  def update(state, labels, batch_output, sample_weight=None):
    import jax
    import jax.numpy as jnp
    logits = jnp.asarray(batch_output.predictions, jnp.float32)
    truth = (jnp.asarray(labels) > 0).astype(jnp.float32)
    row = jnp.ones(logits.shape[:1], jnp.float32) if sample_weight is None \
        else jnp.asarray(sample_weight, jnp.float32)
    truth = truth * row[:, None]
    positive = (logits > 0).astype(jnp.float32) * row[:, None]
    k = min(top_k, logits.shape[-1])
    threshold = jax.lax.top_k(logits, k)[0][:, -1:]
    top = (logits >= threshold).astype(jnp.float32) * positive
    return {
        'precision': {
            'count': state['precision']['count'] + jnp.sum(positive),
            'total': state['precision']['total'] + jnp.sum(positive * truth)},
        recall: {
            'count': state[recall]['count'] + jnp.sum(truth),
            'total': state[recall]['total'] + jnp.sum(top * truth)}}

  def finalize(state):
    import jax.numpy as jnp
    return {name: jnp.where(s['count'] != 0, s['total'] / jnp.where(
        s['count'] != 0, s['count'], 1.0), 0.0) for name, s in state.items()}

  return init, update, finalize
