"""Objects with `__fx_stacked__` (datasets) are sequence values everywhere."""

import numpy as np
import pytest

import federax as fx
from federax.backends.jax import ingest
from federax.core import value_conversion

POINT = fx.StructType([('x', (np.float32, [2])), ('y', np.int32)], dict)
CONTEXTS = {
    'interpreter': fx.backends.interpreter.create_interpreter_context(),
    'jax': fx.backends.jax.create_jax_context(),
}


class Examples:
  """A minimal dataset: stacked arrays behind the hook, counted calls."""

  def __init__(self, n, ragged=False):
    self.n, self.ragged, self.calls = n, ragged, 0

  def __fx_stacked__(self):
    self.calls += 1
    if self.ragged:
      return None
    return {'x': np.arange(2 * self.n, dtype=np.float32).reshape(self.n, 2),
            'y': np.arange(self.n, dtype=np.int32)}

  def __iter__(self):
    for i in range(self.n):
      yield {'x': np.array([2 * i, 2 * i + 1], np.float32), 'y': np.int32(i)}


@fx.jax_computation(fx.SequenceType(POINT))
def total(points):
  return points.reduce(np.float32(0), lambda s, p: s + p['x'].sum() +
                       p['y'].astype(np.float32))


def _expected(n):
  return float(np.arange(2 * n).sum() + np.arange(n).sum())


@fx.federated_computation(fx.type_at_clients(fx.SequenceType(POINT)))
def totals(data):
  return fx.federated_map(total, data)


@pytest.mark.parametrize('backend', sorted(CONTEXTS))
def test_hook_object_is_a_sequence_argument(backend):
  with fx.framework.install_context(CONTEXTS[backend]):
    assert float(total(Examples(4))) == _expected(4)
    # A ragged dataset (hook returns None) is iterated for its elements.
    assert float(total(Examples(3, ragged=True))) == _expected(3)


@pytest.mark.parametrize('backend', sorted(CONTEXTS))
def test_hook_objects_as_client_data(backend):
  clients = [Examples(1), Examples(3), Examples(2)]
  with fx.framework.install_context(CONTEXTS[backend]):
    result = totals(clients)
  assert [float(r) for r in result] == [_expected(n) for n in (1, 3, 2)]


def test_jax_ingest_uses_the_stacked_form_once_per_client():
  clients = [Examples(2), Examples(5)]
  member = fx.SequenceType(POINT)
  sequence = ingest.ingest(clients, fx.type_at_clients(member), 'data',
                           value_conversion.Cardinality())
  assert [c.calls for c in clients] == [1, 1]
  assert sequence.length.tolist() == [2, 5]


def test_stacked_form_and_length():
  assert value_conversion.stacked_length(Examples(3), POINT) == 3
  plain = [1, 2]
  assert value_conversion.stacked_form(plain) is plain


def test_mismatched_stacked_form_reports_the_element():
  int_total = fx.jax_computation(fx.SequenceType(np.int32))(
      lambda s: s.reduce(np.int32(0), lambda a, b: a + b))
  with pytest.raises(TypeError, match=(r's\[0\]: expected int32, got '
                                      r'<x=float32\[2\],y=int32>')):
    int_total(Examples(2))
