"""A `DPQuery` as federax computations: what a private aggregation runs.

`QueryComputations(query, value_type, record_aggregation_factory)` wraps
the query's pure functions in `jax_computation`s and, inside a federated
computation, `aggregate(...)` runs one round: broadcast the sample
parameters, preprocess the records at the clients, aggregate them (through
the record aggregation process for a `SumAggregationDPQuery`, with
`federated_aggregate` and the query's own accumulate/merge otherwise) and
noise the aggregate at the server with a fresh split of the state's key.
"""

from __future__ import annotations

from federax.aggregators import dp_query
from federax.aggregators import noise
from federax.aggregators import sum_factory
from federax.core import aggregation_intrinsics
from federax.core import intrinsics
from federax.core import jax_computation
from federax.core import jax_support
from federax.core import types

KEY_TYPE = types.TensorType('uint32', [2])


def template_of(value_type: types.Type):
  """`jax.ShapeDtypeStruct`s shaped like a value of `value_type`."""
  if not _fully_defined(value_type):
    raise TypeError(f'value_type: expected fully known shapes for a private '
                    f'aggregation, got {value_type}. Give every dimension.')
  return jax_support.internal_to_python(jax_support.abstract(value_type, 1),
                                        value_type)


def _fully_defined(t) -> bool:
  if isinstance(t, types.TensorType):
    return t.is_fully_defined()
  return all(_fully_defined(c) for c in t.children())


def round_dp_event(query: dp_query.DPQuery, template):
  """The `dp_accounting.DpEvent` that one round of `query` returns."""
  import jax
  events = []

  def one_round():
    state = query.initial_global_state()
    sample = query.initial_sample_state(template)
    key = jax.random.key_data(jax.random.key(0))
    result, new_state, event = query.get_noised_result(sample, state, key)
    events.append(event)
    return result, new_state

  jax.eval_shape(one_round)
  event = events[-1]
  import dp_accounting
  if not isinstance(event, dp_accounting.DpEvent):
    raise TypeError(
        f'{type(query).__name__}.get_noised_result: expected it to return '
        f'(result, new_global_state, dp_event) with dp_event a '
        f'dp_accounting.DpEvent made from Python numbers, got '
        f'{type(event).__name__}. Build the event from the query\'s '
        f'parameters (e.g. dp_accounting.GaussianDpEvent(noise_multiplier)).')
  return event


class QueryComputations:
  """The computations of `query` for client values of `value_type`."""

  def __init__(self, query: dp_query.DPQuery, value_type: types.Type,
               record_aggregation_factory=None):
    self.query = query
    self.initial_state = jax_computation.jax_computation(
        query.initial_global_state)
    state_type = self.initial_state.type_signature.result
    self.state_type = state_type
    self.derive_params = jax_computation.jax_computation(
        query.derive_sample_params, state_type)
    self.preprocess = jax_computation.jax_computation(
        query.preprocess_record, self.derive_params.type_signature.result,
        value_type)
    record_type = self.preprocess.type_signature.result
    if isinstance(query, dp_query.SumAggregationDPQuery):
      factory = record_aggregation_factory or sum_factory.SumFactory()
      self.record_process = factory.create(record_type)
      sample_type = self.record_process.result_type.member
    else:
      self.record_process = None
      template = template_of(value_type)
      self.zero = jax_computation.jax_computation(
          lambda: query.initial_sample_state(template))
      sample_type = self.zero.type_signature.result
      self.accumulate = jax_computation.jax_computation(
          query.accumulate_preprocessed_record, sample_type, record_type)
      self.merge = jax_computation.jax_computation(
          query.merge_sample_states, sample_type, sample_type)
      self.report = jax_computation.jax_computation(lambda s: s, sample_type)

    @jax_computation.jax_computation(sample_type, state_type, KEY_TYPE)
    def noised(sample_state, global_state, key):
      key, round_key = noise.split(key)
      result, new_state, _ = query.get_noised_result(sample_state,
                                                     global_state, round_key)
      return result, new_state, key

    self.noised = noised
    self.metrics = jax_computation.jax_computation(query.derive_metrics,
                                                   state_type)

  def initialize_aggregation(self):
    """The record aggregation's initial state (`<>` without one)."""
    if self.record_process is None:
      return sum_factory.empty_at_server()
    return self.record_process.initialize()

  def aggregate(self, query_state, agg_state, key, value):
    """One round: `(result, new_query_state, new_key, agg_state,
    agg_measurements)`, all at SERVER."""
    params = intrinsics.federated_broadcast(
        intrinsics.federated_map(self.derive_params, query_state))
    records = intrinsics.federated_map(self.preprocess, [params, value])
    if self.record_process is None:
      sample = aggregation_intrinsics.federated_aggregate(
          records, self.zero(), self.accumulate, self.merge, self.report)
      measurements = sum_factory.empty_at_server()
    else:
      output = self.record_process.next(agg_state, records)
      sample, agg_state, measurements = (output.result, output.state,
                                         output.measurements)
    result, new_query_state, new_key = intrinsics.federated_map(
        self.noised, [sample, query_state, key])
    return result, new_query_state, new_key, agg_state, measurements
