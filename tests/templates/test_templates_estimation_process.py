"""`EstimationProcess`: report and map, placed and unplaced."""

import numpy as np
import pytest

import federax as fx

EstimationProcess = fx.templates.EstimationProcess
S = fx.SERVER
at_c, at_s = fx.type_at_clients, fx.type_at_server
CONTEXTS = {
    'jax': fx.backends.jax.create_jax_context(),
    'interpreter': fx.backends.interpreter.create_interpreter_context(),
}
HALFWAY = fx.jax_computation(lambda e, m: (e + m) / 2, np.float32, np.float32)
DOUBLE = fx.jax_computation(lambda e: 2.0 * e, np.float32)
SQUARE = fx.jax_computation(lambda e: e * e, np.float32)


@pytest.fixture(params=sorted(CONTEXTS))
def backend(request):
  with fx.framework.install_context(CONTEXTS[request.param]):
    yield request.param


def federated_parts():
  init = fx.federated_computation(
      lambda: fx.federated_value(np.float32(1.0), S))

  @fx.federated_computation(at_s(np.float32), at_c(np.float32))
  def next_fn(estimate, values):
    return fx.federated_map(HALFWAY, [estimate, fx.federated_max(values)])

  return init, next_fn


PLACED_DOUBLE = fx.federated_computation(
    lambda e: fx.federated_map(DOUBLE, e), at_s(np.float32))
PLACED_SQUARE = fx.federated_computation(
    lambda e: fx.federated_map(SQUARE, e), at_s(np.float32))


@pytest.mark.parametrize('report', [DOUBLE, PLACED_DOUBLE],
                         ids=['unplaced_report', 'placed_report'])
def test_next_and_report(backend, report):
  process = EstimationProcess(*federated_parts(), report)
  state = process.next(process.initialize(), [3.0, 5.0])
  assert float(state) == 3.0
  assert float(process.report(state)) == 6.0
  assert process.report is report
  assert process.report_type == report.type_signature.result


@pytest.mark.parametrize('report,fn,placed', [
    (DOUBLE, SQUARE, False),
    (PLACED_DOUBLE, SQUARE, True),  # mapped over the placed estimate
    (PLACED_DOUBLE, PLACED_SQUARE, True),  # takes the placed estimate
], ids=['unplaced', 'placed_report_unplaced_fn', 'placed_report_placed_fn'])
def test_map(backend, report, fn, placed):
  process = EstimationProcess(*federated_parts(), report).map(fn)
  assert isinstance(process, EstimationProcess)
  assert isinstance(process.report_type, fx.FederatedType) == placed
  state = process.next(process.initialize(), [3.0, 5.0])
  assert float(process.report(state)) == 36.0


def test_map_keeps_initialize_and_next_and_chains():
  init, next_fn = federated_parts()
  process = EstimationProcess(init, next_fn, DOUBLE)
  mapped = process.map(SQUARE).map(DOUBLE)
  assert mapped.initialize is init and mapped.next is next_fn
  assert float(mapped.report(np.float32(3.0))) == 72.0


def test_unplaced_process(backend):
  step = fx.jax_computation(lambda s: s * 2, np.float32)
  process = EstimationProcess(fx.jax_computation(lambda: np.float32(2.0)),
                              step, step)
  assert float(process.report(process.next(process.initialize()))) == 8.0
  assert float(process.map(SQUARE).report(np.float32(3.0))) == 36.0


def test_report_errors():
  init, next_fn = federated_parts()
  with pytest.raises(TypeError, match='report_fn: expected an fx.Computation'):
    EstimationProcess(init, next_fn, lambda e: e)
  with pytest.raises(TypeError, match=r'report_fn: expected a computation '
                     r'taking the state float32@SERVER \(or its member '
                     r'float32\), got \(int32 -> int32\)'):
    EstimationProcess(init, next_fn, fx.jax_computation(lambda e: e, np.int32))
  with pytest.raises(TypeError, match='report_fn: expected a computation '
                     'taking the state float32@SERVER'):
    EstimationProcess(init, next_fn, HALFWAY)


def test_map_errors():
  process = EstimationProcess(*federated_parts(), PLACED_DOUBLE)
  with pytest.raises(TypeError, match='fn: expected an fx.Computation'):
    process.map(lambda e: e)
  with pytest.raises(TypeError, match=r'fn: expected a computation taking '
                     r'the estimate float32@SERVER, got \(int32 -> int32\)'):
    process.map(fx.jax_computation(lambda e: e, np.int32))
  unplaced = EstimationProcess(*federated_parts(), DOUBLE)
  with pytest.raises(TypeError, match=r'the estimate float32, got '
                     r'\(float32@SERVER -> float32@SERVER\)'):
    unplaced.map(PLACED_SQUARE)
