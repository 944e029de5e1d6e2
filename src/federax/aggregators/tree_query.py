"""Tree aggregation (DP-FTRL): private cumulative sums over rounds.

Kairouz et al. 2021, "Practical and Private (Deep) Learning without
Sampling or Shuffling" (arXiv:2103.00039): instead of fresh noise each
round, the noise of the *cumulative* sum of rounds 1..t is the sum of the
Gaussian noises of the O(log t) nodes of a binary tree over the rounds
that cover [1, t]. Each round returns the residual (this round's sum plus
the change in cumulative noise), so the sum of the results of rounds 1..t
is the noised cumulative sum: SGD on the server then is DP-FTRL.

With `use_efficient`, node noises are combined as in Honaker 2015
("Efficient Use of Differentially Private Binary Trees"), which lowers the
variance. The tree keeps one buffer entry per level, `tree_depth` levels
(`2**tree_depth - 1` rounds); then it restarts, and the accounting counts
each tree (`SingleEpochTreeAggregationDpEvent` with one step count per
tree).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from federax.aggregators import dp_checks
from federax.aggregators import dp_query
from federax.aggregators import factory
from federax.aggregators import noise
from federax.aggregators import norms
from federax.aggregators import query_computations


class TreeState(NamedTuple):
  """The tree: a noise buffer per level and the rounds in the tree."""
  level_buffer: Any
  step: Any


def _levels(depth):
  import jax.numpy as jnp
  return jnp.arange(depth, dtype=jnp.int32)


def cumulative_noise(tree: TreeState, depth: int, use_efficient: bool):
  """The noise of the cumulative sum of the `tree.step` rounds so far."""
  import jax
  import jax.numpy as jnp
  levels = _levels(depth)
  bits = ((tree.step >> levels) & 1).astype(jnp.float32)
  if use_efficient:
    bits = bits / (2.0 - 0.5 ** levels.astype(jnp.float32))

  def total(buffer):
    weights = bits.reshape((depth,) + (1,) * (buffer.ndim - 1))
    return jnp.sum(buffer * weights.astype(buffer.dtype), axis=0)

  return jax.tree.map(total, tree.level_buffer)


def add_round(tree: TreeState, depth: int, use_efficient: bool, stddev,
              key) -> TreeState:
  """`tree` with one more round (leaf): new node noise where it completes.

  Adding leaf t+1 completes the node at level c, the number of trailing
  ones of t; the buffer entries below c are no longer needed.
  """
  import jax
  import jax.numpy as jnp
  t = tree.step
  c = jax.lax.population_count(t ^ (t + 1)) - 1
  template = jax.tree.map(lambda b: b[0], tree.level_buffer)

  def node_noise(level):
    return noise.gaussian_like(
        jax.random.key_data(jax.random.fold_in(
            jax.random.wrap_key_data(key), level)), template, stddev)

  if use_efficient:
    def body(k, value):  # value = v_k + (left sibling + right child) / 2
      return jax.tree.map(lambda v, b, r: v + (b[k - 1] + r) / 2,
                          node_noise(k), tree.level_buffer, value)
    node = jax.lax.fori_loop(1, c + 1, body, node_noise(0))
  else:
    node = node_noise(c)
  levels = _levels(depth)

  def update(buffer, value):
    keep = (levels > c).reshape((depth,) + (1,) * (buffer.ndim - 1))
    return jnp.where(keep, buffer, 0).at[c].set(value)

  return TreeState(jax.tree.map(update, tree.level_buffer, node), t + 1)


class TreeResidualSumQuery(dp_query.SumAggregationDPQuery):
  """Clipped sums whose noise comes from a binary tree over rounds.

  Each node's noise is N(0, (l2_norm_clip * noise_multiplier)^2). The
  result of round t is `sum_t + cumulative_noise(t) -
  cumulative_noise(t - 1)`. `record_specs` is the type of the records
  (e.g. `fx.TensorType(np.float32, [10])`), needed for the tree's buffer.

  Example:
    >>> import numpy as np, federax as fx
    >>> query = fx.aggregators.TreeResidualSumQuery(
    ...     l2_norm_clip=1.0, noise_multiplier=0.0, record_specs=np.float32)
    >>> agg = fx.aggregators.DifferentiallyPrivateFactory(query).create(
    ...     fx.TensorType(np.float32))
    >>> float(agg.next(agg.initialize(), [0.5, 3.0]).result)
    1.5
  """

  class GlobalState(NamedTuple):
    l2_norm_clip: Any
    stddev: Any
    tree: TreeState

  def __init__(self, l2_norm_clip: float, noise_multiplier: float,
               record_specs, use_efficient: bool = True,
               tree_depth: int = 16):
    who = 'TreeResidualSumQuery'
    self._l2_norm_clip = dp_checks.positive(l2_norm_clip, 'l2_norm_clip', who)
    self._noise_multiplier = dp_checks.nonnegative(
        noise_multiplier, 'noise_multiplier', who, 'Pass 0.0 for no noise.')
    self.record_type = factory.value_type_of(record_specs, who)
    self._template = query_computations.template_of(self.record_type)
    self._use_efficient = bool(use_efficient)
    self._depth = dp_checks.positive_int(tree_depth, 'tree_depth', who)
    if self._depth > 30:
      raise ValueError(f'{who}: tree_depth: expected at most 30 (a tree of '
                       f'2**30 - 1 rounds), got {tree_depth}.')

  @property
  def noise_multiplier(self) -> float:
    return self._noise_multiplier

  @property
  def rounds_per_tree(self) -> int:
    return 2**self._depth - 1

  def initial_global_state(self):
    import jax
    import jax.numpy as jnp
    buffer = jax.tree.map(
        lambda t: jnp.zeros((self._depth,) + tuple(t.shape), t.dtype),
        self._template)
    return self.GlobalState(
        jnp.float32(self._l2_norm_clip),
        jnp.float32(self._l2_norm_clip * self._noise_multiplier),
        TreeState(buffer, jnp.int32(0)))

  def derive_sample_params(self, global_state):
    return global_state.l2_norm_clip

  def preprocess_record(self, params, record):
    return norms.clip_by_global_l2_norm(record, params)[0]

  def get_noised_result(self, sample_state, global_state, key):
    import dp_accounting
    import jax
    import jax.numpy as jnp
    tree = global_state.tree
    full = tree.step >= self.rounds_per_tree  # Restart with a new tree.
    tree = TreeState(
        jax.tree.map(lambda b: jnp.where(full, jnp.zeros_like(b), b),
                     tree.level_buffer), jnp.where(full, 0, tree.step))
    before = cumulative_noise(tree, self._depth, self._use_efficient)
    tree = add_round(tree, self._depth, self._use_efficient,
                     global_state.stddev, key)
    after = cumulative_noise(tree, self._depth, self._use_efficient)
    result = jax.tree.map(lambda s, a, b: s + (a - b).astype(s.dtype),
                          sample_state, after, before)
    event = dp_accounting.SingleEpochTreeAggregationDpEvent(
        self._noise_multiplier, 1)
    return result, global_state._replace(tree=tree), event

  def rounds_dp_event(self, round_event, num_rounds: int):
    """`SingleEpochTreeAggregationDpEvent` with a step count per tree."""
    import dp_accounting
    if not isinstance(round_event,
                      dp_accounting.SingleEpochTreeAggregationDpEvent):
      raise ValueError(
          f'TreeResidualSumQuery: the rounds of tree aggregation are '
          f'accounted as one tree in which each client takes part at most '
          f'once, not as {type(round_event).__name__}s; leave '
          f'population_size unset (no sampling).')
    if num_rounds == 0:
      return dp_accounting.NoOpDpEvent()
    full, rest = divmod(num_rounds, self.rounds_per_tree)
    counts = [self.rounds_per_tree] * full + ([rest] if rest else [])
    return dp_accounting.SingleEpochTreeAggregationDpEvent(
        self._noise_multiplier, counts)
