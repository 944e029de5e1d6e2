"""`DistributeAggregateForm`: a round as five placed stages.

As in TFF (`tff.backends.mapreduce.DistributeAggregateForm`), a round that
fits the form is

    <sent, intermediate> = server_prepare(state)
    at_clients           = client_broadcast(sent)
    outputs              = client_work(<client_data, at_clients>)
    results              = client_to_server_aggregation(<intermediate, outputs>)
    <state, metrics>     = server_result(<intermediate, results>)

where, unlike the `MapReduceForm`, each stage is a federated computation
with placements: the stages are what a deployment runs on the server, sends
over the network, runs on the clients, and aggregates. federax builds it
from the round's `MapReduceForm`.
"""

from __future__ import annotations

import dataclasses

from federax.compiler.forms import map_reduce_form as mrf_lib
from federax.core import computation as computation_lib
from federax.core import types


@dataclasses.dataclass(frozen=True)
class DistributeAggregateForm:
  """The five placed stages of a round (see the module doc)."""

  type_signature: types.FunctionType
  server_prepare: computation_lib.Computation     # (S@S -> <B@S,I@S>)
  client_broadcast: computation_lib.Computation   # (B@S -> B@C)
  client_work: computation_lib.Computation        # (<{D}@C,B@C> -> {A}@C)
  client_to_server_aggregation: computation_lib.Computation
  server_result: computation_lib.Computation      # (<I@S,R@S> -> <S@S,M@S>)

  def summary(self) -> str:
    """One line per stage with its type signature."""
    return '\n'.join(f'{f.name}: {getattr(self, f.name).type_signature}'
                     for f in dataclasses.fields(self)[1:])


def get_distribute_aggregate_form_for_computation(comp):
  """The `DistributeAggregateForm` of a round `(<S@SERVER,{D}@CLIENTS> -> ...)`.

  Example:
    >>> import numpy as np, federax as fx
    >>> @fx.federated_computation(fx.type_at_server(np.float32),
    ...                           fx.type_at_clients(np.float32))
    ... def round_(state, data):
    ...   return fx.federated_mean(fx.federated_map(fx.jax_computation(
    ...       lambda x, s: x * s, np.float32, np.float32),
    ...       [data, fx.federated_broadcast(state)]))
    >>> daf = fx.compiler.get_distribute_aggregate_form_for_computation(round_)
    >>> print(daf.client_broadcast.type_signature)
    (<float32>@SERVER -> <float32>@CLIENTS)
    >>> again = fx.compiler.get_computation_for_distribute_aggregate_form(daf)
    >>> float(again(2.0, [1.0, 2.0]))
    3.0
  """
  from federax.compiler.forms import extraction
  from federax.core import aggregation_intrinsics as agg
  from federax.core import intrinsics as fc
  from federax.core.federated_computation import federated_computation
  from federax.core.placements import SERVER

  form = extraction.get_map_reduce_form_for_computation(comp)
  s_at = comp.type_signature.parameter[0]
  d_at = comp.type_signature.parameter[1]
  b = form.prepare.type_signature.result
  work_out = form.work.type_signature.result

  @federated_computation(s_at)
  def server_prepare(state):
    return fc.federated_map(form.prepare, state), state

  @federated_computation(types.type_at_server(b))
  def client_broadcast(sent):
    return fc.federated_broadcast(sent)

  @federated_computation(d_at, types.type_at_clients(b, all_equal=True))
  def client_work(data, sent):
    return fc.federated_map(form.work, [data, sent])

  bounds = (form.secure_sum_bitwidth, form.secure_sum_max_input,
            form.secure_modular_sum_modulus)
  secure_ops = (agg.federated_secure_sum_bitwidth, agg.federated_secure_sum,
                agg.federated_secure_modular_sum)

  @federated_computation(s_at, types.type_at_clients(work_out))
  def client_to_server_aggregation(intermediate, outputs):
    del intermediate  # The state does not change how clients are aggregated.
    results = [fc.federated_value((), SERVER) if mrf_lib._is_empty(
        work_out[0]) else agg.federated_aggregate(
            outputs[0], form.zero(), form.accumulate, form.merge,
            form.report)]
    for i, (bound, op) in enumerate(zip(bounds, secure_ops), start=1):
      results.append(fc.federated_value((), SERVER) if mrf_lib._is_empty(
          work_out[i]) else op(outputs[i], bound()))
    return fc.federated_zip(results)

  results_at = client_to_server_aggregation.type_signature.result
  round_result = comp.type_signature.result

  @federated_computation(s_at, results_at)
  def server_result(intermediate, results):
    new = fc.federated_map(form.update, [intermediate, results])
    return mrf_lib.unzip(new, round_result)

  return DistributeAggregateForm(comp.type_signature, server_prepare,
                                 client_broadcast, client_work,
                                 client_to_server_aggregation, server_result)


def get_computation_for_distribute_aggregate_form(form):
  """The federated round a `DistributeAggregateForm` describes."""
  from federax.core.federated_computation import federated_computation
  ft = form.type_signature

  def round_(state, data):
    sent, intermediate = form.server_prepare(state)
    outputs = form.client_work(data, form.client_broadcast(sent))
    results = form.client_to_server_aggregation(intermediate, outputs)
    return form.server_result(intermediate, results)

  return federated_computation(
      mrf_lib._named(round_, ft.parameter.names()), *ft.parameter)
