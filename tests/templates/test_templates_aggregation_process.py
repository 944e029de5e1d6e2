"""`AggregationProcess`: placement checks, weighted and unweighted."""

import numpy as np
import pytest

import federax as fx

AggregationProcess = fx.templates.AggregationProcess
MPO = fx.templates.MeasuredProcessOutput
S = fx.SERVER
at_c, at_s = fx.type_at_clients, fx.type_at_server
CONTEXTS = {
    'jax': fx.backends.jax.create_jax_context(),
    'interpreter': fx.backends.interpreter.create_interpreter_context(),
}
INIT = fx.federated_computation(lambda: fx.federated_value(np.int32(0), S))
COUNT = fx.jax_computation(lambda c: c + 1, np.int32)


@pytest.fixture(params=sorted(CONTEXTS))
def backend(request):
  with fx.framework.install_context(CONTEXTS[request.param]):
    yield request.param


@fx.federated_computation(at_s(np.int32), at_c(np.float32))
def sum_and_count(state, value):
  return MPO(fx.federated_map(COUNT, state), fx.federated_sum(value),
             fx.federated_max(value))


@fx.federated_computation(at_s(np.int32), at_c(np.float32), at_c(np.float32))
def weighted_mean(state, value, weight):
  return MPO(state, fx.federated_mean(value, weight),
             fx.federated_sum(weight))


def test_unweighted(backend):
  process = AggregationProcess(INIT, sum_and_count)
  assert not process.is_weighted
  assert str(process.value_type) == 'float32'
  output = process.next(process.initialize(), [1.0, 2.5])
  assert (int(output.state), float(output.result),
          float(output.measurements)) == (1, 3.5, 2.5)


def test_weighted(backend):
  process = AggregationProcess(INIT, weighted_mean)
  assert process.is_weighted
  output = process.next(process.initialize(), [1.0, 4.0], [3.0, 1.0])
  assert float(output.result) == 1.75 and float(output.measurements) == 4.0


def test_is_a_measured_process():
  process = AggregationProcess(INIT, sum_and_count)
  assert isinstance(process, fx.templates.MeasuredProcess)
  assert str(process.result_type) == 'float32@SERVER'


def _next(*params, result=None, measurements=None):
  """A next_fn with `params` types returning the given parts."""
  def output(args):
    state = args[0]
    return MPO(state, result(*args) if result else fx.federated_sum(args[1]),
               measurements(*args) if measurements else state)

  functions = {1: lambda s: output([s]),
               2: lambda s, v: output([s, v]),
               3: lambda s, v, w: output([s, v, w]),
               4: lambda s, v, w, x: output([s, v, w, x])}
  return fx.federated_computation(functions[len(params)], *params)


PLACEMENT = r'expected a value placed at {0} \(T@{0} or \{{T\}}@{0}\), got {1}'


@pytest.mark.parametrize('init,next_fn,match', [
    (fx.jax_computation(lambda: np.int32(0)),
     fx.jax_computation(lambda s, v: MPO(s, v, v), np.int32, np.float32),
     'initialize_fn: the state: ' + PLACEMENT.format('SERVER', 'int32')),
    (INIT, _next(at_s(np.int32), result=lambda s: s),
     r'next_fn: expected parameters \(state, value\) or \(state, value, '
     r'weight\), got int32@SERVER \(1 parameters\)'),
    (INIT, _next(at_s(np.int32), at_c(np.float32), at_c(np.float32),
                 at_c(np.float32)), r'\(4 parameters\)'),
    (INIT, _next(at_s(np.int32), at_s(np.float32), result=lambda s, v: v),
     'next_fn: the value parameter: ' + PLACEMENT.format(
         'CLIENTS', 'float32@SERVER')),
    (INIT, _next(at_s(np.int32), at_c(np.float32), at_s(np.float32)),
     'next_fn: the weight parameter: ' + PLACEMENT.format(
         'CLIENTS', 'float32@SERVER')),
    (INIT, _next(at_s(np.int32), at_c(np.float32), result=lambda s, v: v),
     'next_fn: the result: ' + PLACEMENT.format('SERVER',
                                                r'\{float32\}@CLIENTS')),
    (INIT, _next(at_s(np.int32), at_c(np.float32),
                 measurements=lambda s, v: v),
     'next_fn: the measurements: ' + PLACEMENT.format(
         'SERVER', r'\{float32\}@CLIENTS')),
])
def test_type_errors(init, next_fn, match):
  with pytest.raises(TypeError, match=match):
    AggregationProcess(init, next_fn)
