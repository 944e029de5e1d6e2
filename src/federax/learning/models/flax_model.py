"""`from_flax_module`: a federax `Model` from a flax NNX module.

The module is split once into its graph definition (static), its
`nnx.Param` state (the trainable weights) and the rest (non-trainable:
`nnx.BatchStat` statistics, RNG counters, other variables). Inside the pure
functions the module is merged from the weights, set to `train()` or
`eval()` mode, called on `x`, and its non-Param state read back, so batch
statistics come out updated. Weights are nested dicts of arrays with str
keys (flax's integer keys, e.g. of `nnx.List` layers, become `'0'`, `'1'`,
...), and RNG keys are held as their `uint32` key data, so weights are
plain arrays that federax types, averages and saves.

The loss and metrics are given as for `FunctionalModel`:
`loss_fn(output, label, sample_weight=None)` (the mean over real examples,
see `losses`) and the `metrics_fns` triple. As with Keras, a
`nnx.BatchNorm` in training mode cannot tell padding rows from real ones:
batch statistics include padding unless batches are not padded.
"""

from __future__ import annotations

from typing import Callable

from federax.learning.models import functional


def import_flax_nnx():
  """Imports `flax.nnx`, or says how to install it.

  Example:
    >>> from federax.learning.models import flax_model
    >>> flax_model.import_flax_nnx().__name__
    'flax.nnx'
  """
  try:
    from flax import nnx
  except ImportError as e:
    raise ModuleNotFoundError(
        f'from_flax_module needs flax ({e}). Install it with '
        f'`pip install federax[flax]`.') from e
  return nnx


def _key_of(entry):
  """The dict key a JAX key-path entry stands for, or None for `.value`."""
  import jax
  if isinstance(entry, jax.tree_util.DictKey):
    return entry.key
  if isinstance(entry, jax.tree_util.SequenceKey):
    return entry.idx
  return None


class _StateCodec:
  """Converts an `nnx.State` to nested str-keyed dicts of arrays and back."""

  def __init__(self, state):
    import jax
    with_paths, self._treedef = jax.tree_util.tree_flatten_with_path(state)
    self._paths = []
    self._key_impls = []
    seen = set()
    for path, leaf in with_paths:
      keys = tuple(str(k) for k in map(_key_of, path) if k is not None)
      if keys in seen or not keys:
        raise ValueError(f'from_flax_module: cannot name the state entry '
                         f'{jax.tree_util.keystr(path)} uniquely.')
      seen.add(keys)
      self._paths.append(keys)
      is_key = jax.dtypes.issubdtype(leaf.dtype, jax.dtypes.prng_key)
      self._key_impls.append(jax.random.key_impl(leaf) if is_key else None)
    self.initial = self.to_dict(state)

  def to_dict(self, state) -> dict:
    import jax
    if jax.tree_util.tree_structure(state) != self._treedef:
      raise ValueError(
          'from_flax_module: calling the module changed the structure of its '
          'state (e.g. it stored intermediates with sow, or created variables '
          'lazily). federax needs the same variables before and after a call; '
          'create every variable in __init__.')
    result = {}
    for keys, impl, leaf in zip(self._paths, self._key_impls,
                                jax.tree_util.tree_leaves(state)):
      node = result
      for k in keys[:-1]:
        node = node.setdefault(k, {})
      node[keys[-1]] = jax.random.key_data(leaf) if impl is not None else leaf
    return result

  def to_state(self, tree):
    import jax
    leaves = []
    for keys, impl in zip(self._paths, self._key_impls):
      node = tree
      for k in keys:
        node = node[k]
      leaves.append(jax.random.wrap_key_data(node, impl=impl)
                    if impl is not None else node)
    return jax.tree_util.tree_unflatten(self._treedef, leaves)


class FlaxModel(functional.FunctionalModel):
  """A federax `Model` around a flax NNX module; made by `from_flax_module`.

  `graphdef` is the module's static structure; `to_module(weights)`
  rebuilds a module from weights.

  Example:
    >>> import numpy as np
    >>> from flax import nnx
    >>> from federax.learning import models
    >>> model = models.from_flax_module(
    ...     nnx.Linear(2, 1, rngs=nnx.Rngs(0)), models.mean_squared_error,
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None, 1])))
    >>> model.non_trainable_variables
    {}
  """

  def __init__(self, nnx, module, loss_fn, input_spec, metrics_fns):
    graphdef, params, rest = nnx.split(module, nnx.Param, ...)
    params_codec, rest_codec = _StateCodec(params), _StateCodec(rest)
    self.graphdef = graphdef

    def merge(weights, training):
      m = nnx.merge(graphdef, params_codec.to_state(weights.trainable),
                    rest_codec.to_state(weights.non_trainable))
      if training:
        m.train()
      else:
        m.eval()
      return m

    def apply_fn(weights, x, training):
      m = merge(weights, training)
      predictions = m(x)
      _, _, new_rest = nnx.split(m, nnx.Param, ...)
      return predictions, rest_codec.to_dict(new_rest), 0.0

    self._merge = merge
    super().__init__(
        initial_weights=(params_codec.initial, rest_codec.initial),
        predict_on_batch_fn=lambda w, x, training: apply_fn(w, x, training)[0],
        loss_fn=loss_fn, metrics_fns=metrics_fns, input_spec=input_spec)
    self._apply_fn = apply_fn  # Returns the updated non-trainable state.

  def to_module(self, weights, training: bool = False):
    """A new flax module holding `weights` (e.g. after federated training).

    Example:
      >>> import numpy as np
      >>> from flax import nnx
      >>> from federax.learning import models
      >>> model = models.from_flax_module(
      ...     nnx.Linear(2, 1, rngs=nnx.Rngs(0)),
      ...     models.losses.mean_squared_error,
      ...     input_spec=((np.float32, [None, 2]), (np.float32, [None, 1])))
      >>> model.to_module(model.initial_weights).kernel.shape
      (2, 1)
    """
    from federax.learning.models import pure_model
    return self._merge(pure_model._as_weights(weights), training)


def from_flax_module(module, loss_fn: Callable, input_spec,
                     metrics_fns=None) -> FlaxModel:
  """A federax `Model` from a flax NNX module.

  Args:
    module: an `nnx.Module` called as `module(x)`; its `nnx.Param`s are
      the trainable weights, the rest of its state the non-trainable ones.
    loss_fn: `fn(output, label, sample_weight=None)`, the mean over real
      examples (see `losses`).
    input_spec: the spec of one batch, `(x, y)` or `{'x': ..., 'y': ...}`,
      each leaf with a leading batch dimension.
    metrics_fns: as for `FunctionalModel` (see
      `metrics.build_mean_metrics_fns`), or None.

  Example:
    >>> import numpy as np
    >>> from flax import nnx
    >>> from federax.learning import models
    >>> class MLP(nnx.Module):
    ...   def __init__(self, rngs):
    ...     self.hidden = nnx.Linear(2, 8, rngs=rngs)
    ...     self.out = nnx.Linear(8, 3, rngs=rngs)
    ...   def __call__(self, x):
    ...     return self.out(nnx.relu(self.hidden(x)))
    >>> model = models.from_flax_module(
    ...     MLP(nnx.Rngs(0)), models.losses.sparse_categorical_crossentropy,
    ...     input_spec=((np.float32, [None, 2]), (np.int32, [None])))
    >>> sorted(model.trainable_variables)
    ['hidden', 'out']
    >>> out, _ = model.forward_pass(
    ...     model.initial_weights,
    ...     (np.zeros([4, 2], np.float32), np.zeros([4], np.int32)))
    >>> out.predictions.shape
    (4, 3)
  """
  nnx = import_flax_nnx()
  if not isinstance(module, nnx.Module):
    raise TypeError(
        f'from_flax_module(module): expected a flax nnx.Module, got '
        f'{type(module).__name__}. Linen modules are not supported; port '
        f'them to NNX, or write a FunctionalModel around module.apply.')
  return FlaxModel(nnx, module, loss_fn, input_spec, metrics_fns)
