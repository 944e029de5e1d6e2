"""`MeasuredProcess` and `MeasuredProcessOutput`."""

import collections

import numpy as np
import pytest

import federax as fx

MeasuredProcess = fx.templates.MeasuredProcess
MPO = fx.templates.MeasuredProcessOutput
OD = collections.OrderedDict
CONTEXTS = {
    'jax': fx.backends.jax.create_jax_context(),
    'interpreter': fx.backends.interpreter.create_interpreter_context(),
}
INIT = fx.jax_computation(lambda: np.int32(0))


@pytest.fixture(params=sorted(CONTEXTS))
def backend(request):
  with fx.framework.install_context(CONTEXTS[request.param]):
    yield request.param


def counting_mean():
  init = fx.federated_computation(
      lambda: fx.federated_value(np.int32(0), fx.SERVER))
  add_one = fx.jax_computation(lambda c: c + 1, np.int32)

  @fx.federated_computation(fx.type_at_server(np.int32),
                            fx.type_at_clients(np.float32))
  def next_fn(calls, values):
    return MPO(state=fx.federated_map(add_one, calls),
               result=fx.federated_mean(values),
               measurements=fx.federated_zip(OD(
                   max=fx.federated_max(values),
                   min=fx.federated_min(values))))

  return MeasuredProcess(init, next_fn)


def test_next_returns_a_measured_process_output(backend):
  process = counting_mean()
  output = process.next(process.initialize(), [1.0, 2.0, 6.0])
  assert isinstance(output, MPO)
  assert int(output.state) == 1 and float(output.result) == 3.0
  assert output.measurements == OD(max=6.0, min=1.0)
  output = process.next(output.state, [4.0])
  assert int(output.state) == 2 and float(output.result) == 4.0


def test_types():
  process = counting_mean()
  assert str(process.state_type) == 'int32@SERVER'
  assert str(process.result_type) == 'float32@SERVER'
  assert str(process.measurements_type) == '<max=float32,min=float32>@SERVER'


def test_an_ordered_dict_with_the_three_names_is_accepted(backend):
  process = MeasuredProcess(INIT, fx.jax_computation(
      lambda s: OD(state=s + 1, result=s * 2, measurements=()), np.int32))
  output = process.next(np.int32(2))
  assert int(output['state']) == 3 and int(output['result']) == 4


def test_unplaced_process(backend):
  process = MeasuredProcess(INIT, fx.jax_computation(
      lambda s, x: MPO(s + 1, x * 2, x), np.int32, np.float32))
  assert str(process.result_type) == 'float32'
  output = process.next(np.int32(1), np.float32(2.0))
  assert (int(output.state), float(output.result),
          float(output.measurements)) == (2, 4.0, 2.0)


@pytest.mark.parametrize('result,match', [
    (lambda s: (s, s, s),
     r'next_fn: expected it to return a struct <state, result, '
     r'measurements> \(e.g. a fx.templates.MeasuredProcessOutput\), got '
     r'<int32,int32,int32>'),
    (lambda s: OD(state=s, result=s, metrics=s),
     'got <state=int32,result=int32,metrics=int32>'),
    # A plain dict is a sorted mapping: its names come in the wrong order.
    (lambda s: dict(state=s, result=s, measurements=s),
     'got <measurements=int32,result=int32,state=int32>'),
    (lambda s: MPO(s * 0.5, s, s),
     r'expected it to return the state int32.*got <state=float32,'),
])
def test_type_errors(result, match):
  with pytest.raises(TypeError, match=match):
    MeasuredProcess(INIT, fx.jax_computation(result, np.int32))


def test_is_an_iterative_process():
  assert isinstance(counting_mean(), fx.templates.IterativeProcess)
