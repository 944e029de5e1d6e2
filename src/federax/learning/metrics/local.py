"""A client's unfinalized metrics: the model's, plus loss and counts."""

from __future__ import annotations

import collections

from federax.core import jax_support

# Reported for every model, whatever metrics it defines itself.
STANDARD = ('loss', 'num_examples', 'num_batches')


def unfinalized_metrics(model, result) -> collections.OrderedDict:
  """The unfinalized metrics of a client from its `LocalResult`.

  The model's own (`report_local_unfinalized_metrics`), then `loss` as
  `[sum of losses, number of examples]`, `num_examples` and `num_batches`.
  """
  jnp = jax_support.jnp()
  metrics = collections.OrderedDict(
      model.report_local_unfinalized_metrics(result.local_variables))
  clash = [name for name in STANDARD if name in metrics]
  if clash:
    raise ValueError(f'model: report_local_unfinalized_metrics returned '
                     f'{clash}, names federax reports itself for every '
                     f'model; rename the model\'s metrics.')
  metrics['loss'] = jnp.stack([result.loss_sum,
                               result.num_examples.astype(jnp.float32)])
  metrics['num_examples'] = result.num_examples
  metrics['num_batches'] = result.num_batches
  return metrics


def finalizers_of(model):
  """One function from summed unfinalized metrics to the final metrics."""
  model_finalizers = model.metric_finalizers()

  def finalize(unfinalized):
    jnp = jax_support.jnp()
    own = collections.OrderedDict(
        (k, v) for k, v in unfinalized.items() if k not in STANDARD)
    if callable(model_finalizers):
      finalized = collections.OrderedDict(model_finalizers(own))
    else:
      finalized = collections.OrderedDict(
          (name, model_finalizers[name](value)) for name, value in own.items())
    loss = unfinalized['loss']
    finalized['loss'] = loss[0] / jnp.maximum(loss[1], 1.0)
    finalized['num_examples'] = unfinalized['num_examples']
    finalized['num_batches'] = unfinalized['num_batches']
    return finalized

  return finalize
