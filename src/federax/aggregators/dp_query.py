"""`DPQuery`: a differentially private aggregation, as pure functions.

The interface of TF Privacy's `DPQuery`, over JAX pytrees. A query says how
each client's record is prepared (clipped, ...), how records are
accumulated and merged, and how the aggregate is noised on the server:

- `initial_global_state()`: the server-side state (clipping norm, noise
  scale, ...), a pytree of arrays, carried across rounds;
- `derive_sample_params(global_state)`: what the clients need this round
  (broadcast to them), e.g. the clipping norm;
- `initial_sample_state(template)`: the zero of the accumulation, for
  records shaped like `template` (a pytree of arrays or
  `jax.ShapeDtypeStruct`s);
- `preprocess_record(params, record)`: a client's record, prepared;
- `accumulate_preprocessed_record(sample_state, preprocessed)` and
  `merge_sample_states(a, b)`: the aggregation;
- `get_noised_result(sample_state, global_state, key)`: `(result,
  new_global_state, dp_event)`, noise drawn with the JAX PRNG `key` (raw
  `uint32[2]` key data, see `jax.random.wrap_key_data`); `dp_event` is
  the `dp_accounting.DpEvent` of the round, a Python object made from the
  query's parameters (not from traced values);
- `derive_metrics(global_state)`: a dict of values to measure.

Everything but `dp_event` runs inside JAX code and must be traceable.
`SumAggregationDPQuery` is a query whose accumulation is a sum (most are);
`fx.aggregators.DifferentiallyPrivateFactory` then aggregates its records
with a sum factory (so a secure sum can be put underneath).
"""

from __future__ import annotations

import abc
import collections


def _tree_add(a, b):
  import jax
  return jax.tree.map(lambda x, y: x + y, a, b)


class DPQuery(abc.ABC):
  """The interface of a differentially private query (TF Privacy's).

  Example (a query that sums records clipped to [-1, 1] with no noise):
    >>> import numpy as np, jax.numpy as jnp, federax as fx
    >>> import dp_accounting
    >>> class ClippedSum(fx.aggregators.DPQuery):
    ...   def initial_sample_state(self, template):
    ...     return jnp.zeros(template.shape, template.dtype)
    ...   def preprocess_record(self, params, record):
    ...     return jnp.clip(record, -1.0, 1.0)
    ...   def accumulate_preprocessed_record(self, sample_state, record):
    ...     return sample_state + record
    ...   def merge_sample_states(self, a, b):
    ...     return a + b
    ...   def get_noised_result(self, sample_state, global_state, key):
    ...     return sample_state, global_state, dp_accounting.NonPrivateDpEvent()
    >>> agg = fx.aggregators.DifferentiallyPrivateFactory(ClippedSum()).create(
    ...     fx.TensorType(np.float32))
    >>> float(agg.next(agg.initialize(), [0.5, 3.0, -0.25]).result)
    1.25
  """

  def initial_global_state(self):
    """The initial server-side state (default: `()`)."""
    return ()

  def derive_sample_params(self, global_state):
    """What clients need to preprocess their records (default: `()`)."""
    del global_state
    return ()

  @abc.abstractmethod
  def initial_sample_state(self, template):
    """The zero of the accumulation for records shaped like `template`."""

  def preprocess_record(self, params, record):
    """A client's record, prepared for accumulation (default: unchanged)."""
    del params
    return record

  @abc.abstractmethod
  def accumulate_preprocessed_record(self, sample_state, preprocessed_record):
    """`sample_state` with one more preprocessed record."""

  @abc.abstractmethod
  def merge_sample_states(self, sample_state_1, sample_state_2):
    """Two partial accumulations combined."""

  @abc.abstractmethod
  def get_noised_result(self, sample_state, global_state, key):
    """`(result, new_global_state, dp_event)` from the accumulation."""

  def derive_metrics(self, global_state):
    """Values to measure each round (default: none)."""
    del global_state
    return collections.OrderedDict()

  def rounds_dp_event(self, round_event, num_rounds: int):
    """The DP event of `num_rounds` rounds whose events are `round_event`.

    By default the rounds compose (`SelfComposedDpEvent`); queries whose
    rounds share noise (tree aggregation) override this.
    """
    import dp_accounting
    return dp_accounting.SelfComposedDpEvent(round_event, num_rounds)


class SumAggregationDPQuery(DPQuery):
  """A `DPQuery` whose records are summed: the sample state is their sum.

  Subclasses give `get_noised_result` (and usually `preprocess_record`);
  the zero is zeros like the template and accumulating is adding.
  """

  def initial_sample_state(self, template):
    import jax
    import jax.numpy as jnp
    return jax.tree.map(lambda t: jnp.zeros(t.shape, t.dtype), template)

  def accumulate_preprocessed_record(self, sample_state, preprocessed_record):
    return _tree_add(sample_state, preprocessed_record)

  def merge_sample_states(self, sample_state_1, sample_state_2):
    return _tree_add(sample_state_1, sample_state_2)
