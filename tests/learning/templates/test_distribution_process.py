"""`DistributionProcess` and `build_broadcast_process`."""

import collections

import numpy as np
import pytest

import federax as fx
from learning_parts import CONTEXTS, MPO, W, empty_at_server

T = fx.learning.templates
at_c, at_s = fx.type_at_clients, fx.type_at_server
OD = collections.OrderedDict
INIT = fx.federated_computation(empty_at_server)
PLACEMENT = r'expected a value placed at {0} \(T@{0} or \{{T\}}@{0}\), got {1}'


@pytest.fixture(params=sorted(CONTEXTS))
def backend(request):
  with fx.framework.install_context(CONTEXTS[request.param]):
    yield request.param


def test_broadcast_process(backend):
  process = T.build_broadcast_process(W)
  assert isinstance(process, T.DistributionProcess)
  assert str(process.next.type_signature) == (
      '(<state=<>@SERVER,value=float32[2]@SERVER> -> <state=<>@SERVER,'
      'result=float32[2]@CLIENTS,measurements=<>@SERVER>)')
  output = process.next(process.initialize(), np.array([1, 2], np.float32))
  assert output.result.tolist() == [1.0, 2.0]
  assert output.state == () and output.measurements == ()


def test_broadcast_of_a_struct(backend):
  process = T.build_broadcast_process(OD(a=np.int32, b=(np.float32, [2])))
  result = process.next(process.initialize(),
                        OD(a=np.int32(3), b=np.ones(2, np.float32))).result
  assert int(result['a']) == 3 and result['b'].tolist() == [1.0, 1.0]


def test_broadcast_of_a_placed_type_is_an_error():
  with pytest.raises(TypeError, match=r'value_type: expected an unplaced '
                     r'type, got float32\[2\]@SERVER. Pass the member type.'):
    T.build_broadcast_process(at_s(W))


def _process(state_type, *params, result, measurements=None):
  functions = {
      1: lambda s: MPO(s, result(s), measurements or empty_at_server()),
      2: lambda s, v: MPO(s, result(v), measurements(v) if measurements
                          else empty_at_server()),
      3: lambda s, v, x: MPO(s, result(v), empty_at_server())}
  next_fn = fx.federated_computation(functions[len(params) + 1], state_type,
                                     *params)
  init = (INIT if isinstance(state_type, fx.FederatedType) else
          fx.jax_computation(lambda: np.int32(0)))
  return lambda: T.DistributionProcess(init, next_fn)


@pytest.mark.parametrize('make,match', [
    (_process(fx.to_type(np.int32), at_s(W), result=fx.federated_broadcast),
     'initialize_fn: the state: ' + PLACEMENT.format('SERVER', 'int32')),
    (_process(at_s(()), at_s(W), at_s(W), result=fx.federated_broadcast),
     r'next_fn: expected parameters \(state, value\), got '
     r'<s=<>@SERVER,v=float32\[2\]@SERVER,x=float32\[2\]@SERVER>'),
    (_process(at_s(()), at_c(W), result=lambda v: v),
     'next_fn: the value parameter: ' + PLACEMENT.format(
         'SERVER', r'\{float32\[2\]\}@CLIENTS')),
    (_process(at_s(()), at_s(W), result=lambda v: v),
     'next_fn: the result: ' + PLACEMENT.format('CLIENTS',
                                                r'float32\[2\]@SERVER')),
    (_process(at_s(()), at_s(W), result=fx.federated_broadcast,
              measurements=fx.federated_broadcast),
     'next_fn: the measurements: ' + PLACEMENT.format(
         'SERVER', r'float32\[2\]@CLIENTS')),
])
def test_type_errors(make, match):
  with pytest.raises(TypeError, match=match):
    make()
