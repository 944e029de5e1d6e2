"""Staged evaluation: a round cut at its broadcast and its aggregation.

A round `(<S@SERVER,{D}@CLIENTS> -> <S@SERVER,M@SERVER>)` that talks to the
clients once (values go out through broadcasts, come back through one
stage of aggregations) splits into local pieces: what the server computes
before broadcasting (`prepare`), what each client computes (`work`), how
the aggregations fold client values, and what the server computes from
their results (`update`). Each piece is found by running the vectorized
evaluator over the round in a mode that stops, or substitutes values, at
the cut. `federax.compiler.forms` wraps the pieces into `MapReduceForm`
and `DistributeAggregateForm`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from federax.backends.jax import aggregation as agg_lib
from federax.backends.jax import clients as clients_lib
from federax.backends.jax import ingest
from federax.backends.jax.evaluator import Evaluator
from federax.core import jax_support
from federax.core import placements
from federax.core import types


class NotFitting(TypeError):
  """The round does not fit the form; the message names the construct."""


class _Cut(Exception):
  """Raised when evaluation reaches the aggregation stage."""


class _Stager(Evaluator):
  """The evaluator, stopping at (or substituting) the cut.

  Modes: `'cut'` stops at the first aggregation stage; `'update'` takes the
  aggregation results from `results` and runs to the end. `broadcasts`, when
  given, replaces the values the server sends to the clients, in order.
  """

  def __init__(self, mode, broadcasts=None, results=None):
    super().__init__(None, [])
    self.mode = mode
    self.given_broadcasts = broadcasts
    self.results = results
    self.sent: list = []       # values sent to the clients, in order
    self.aggregations: list = []
    self.stages = 0

  def broadcast(self, value):
    if self.stages:
      raise NotFitting(
          'the round sends a value to the clients after aggregating from '
          'them (a second round trip); a form has one broadcast and one '
          'aggregation stage.')
    if self.given_broadcasts is not None:
      value = self.given_broadcasts[len(self.sent)]
    self.sent.append(value)
    return clients_lib.Broadcast(value)

  def flush(self, outputs=()):
    del outputs  # Rounds with CLIENTS-placed results are rejected up front.
    todo = [p for p in self.pending if not p.done]
    self.pending = []
    if not todo:
      return []
    if self.stages:
      raise NotFitting('the round aggregates twice, the second time from '
                       'values computed after the first aggregation; a form '
                       'has one aggregation stage.')
    self.stages += 1
    self.aggregations = [p.aggregation for p in todo]
    if self.mode == 'cut':
      raise _Cut()
    for p, r in zip(todo, self.results):
      p.done, p.value = True, r
    return []


def _check_round(comp):
  ft = comp.type_signature
  p = ft.parameter
  ok = (isinstance(p, types.StructType) and len(p) == 2 and
        isinstance(p[0], types.FederatedType) and
        p[0].placement is placements.SERVER and ingest.is_clients(p[1]))
  if not ok:
    raise NotFitting(f'a form needs a round of type (<S@SERVER,{{D}}@CLIENTS> '
                     f'-> ...), got {ft}.')
  r = ft.result
  if not _all_at_server(r):
    raise NotFitting(f'a form needs a round returning SERVER-placed values '
                     f'(<S@SERVER,M@SERVER> or S@SERVER), got {r}.')
  if 'federated_select' in _uris(comp):
    raise NotFitting('federated_select has no place in a MapReduceForm.')
  return p[0].member, p[1].member


def _all_at_server(t) -> bool:
  if isinstance(t, types.StructType):
    return all(_all_at_server(e) for e in t)
  return (isinstance(t, types.FederatedType) and
          t.placement is placements.SERVER)


def _uris(comp):
  from federax.core import transformations
  return transformations.intrinsic_uris(comp.building_block)


def _run(comp, stager: _Stager, state):
  """Evaluates the round with `state` at the server; client data unused."""
  stager.inputs.append(None)
  fn = stager.evaluate(comp.building_block)
  try:
    result = fn((state, clients_lib.Input(0)))
    stager.flush()
    return stager.resolve(result)
  except _Cut:
    return None


class Stages:
  """The local pieces of a round, as pure JAX functions on internal values."""

  def __init__(self, comp):
    self.comp = comp
    self.state_type, self.data_type = _check_round(comp)

  def _zeros_state(self):
    return jax_support.zeros(self.state_type)

  def aggregations(self) -> list:
    """Fresh aggregation objects of the round (for the current trace)."""
    stager = _Stager('cut')
    _run(self.comp, stager, self._zeros_state())
    return stager.aggregations

  def prepare(self, state):
    """The values the server sends to the clients."""
    stager = _Stager('cut')
    _run(self.comp, stager, state)
    return tuple(stager.sent)

  def work(self, data, sent):
    """One client's inputs to each aggregation."""
    stager = _Stager('cut', broadcasts=list(sent))
    _run(self.comp, stager, self._zeros_state())
    batched = jax.tree_util.tree_map(lambda x: x[None], data)
    chunk = clients_lib.Chunk([batched], jnp.ones((1,), bool), 1,
                              lambda tree: tree)
    rows = [a.node.compute(chunk) for a in stager.aggregations]
    return tuple(jax.tree_util.tree_map(lambda x: x[0], r) for r in rows)

  def update(self, state, results):
    """The round's result given the aggregation results."""
    stager = _Stager('update', results=list(results))
    return _run(self.comp, stager, state)


def accumulate(aggregation: agg_lib.Aggregation, acc, value):
  """Folds one client's `value` into an accumulator."""
  rows = jax.tree_util.tree_map(lambda x: jnp.asarray(x)[None], value)
  return aggregation.step(acc, rows, jnp.ones((1,), bool))
