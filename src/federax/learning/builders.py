"""TFF's no-argument builders (`model_fn`, `loss_fn`, `metrics_fn`, ...)."""

from __future__ import annotations

import inspect


def is_builder(fn) -> bool:
  """Whether `fn` can be called with no argument (TFF passes builders such
  as `lambda: tf.keras.losses.MeanSquaredError()` where federax also takes
  the function itself). False when its signature cannot be read.

  Example:
    >>> from federax.learning import builders
    >>> builders.is_builder(lambda: 1), builders.is_builder(lambda x, y=2: x)
    (True, False)
  """
  try:
    params = inspect.signature(fn).parameters.values()
  except (TypeError, ValueError):
    return False
  return not any(p.default is p.empty and p.kind in (
      p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
                 for p in params)
