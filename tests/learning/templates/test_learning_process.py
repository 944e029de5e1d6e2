"""`LearningProcess`: checks, model weights and hparams accessors."""

import collections

import numpy as np
import pytest

import federax as fx
from learning_parts import CONTEXTS

T = fx.learning.templates
LPO = T.LearningProcessOutput
at_c, at_s = fx.type_at_clients, fx.type_at_server
OD = collections.OrderedDict
PLACEMENT = r'expected a value placed at {0} \(T@{0} or \{{T\}}@{0}\), got {1}'
INIT = fx.federated_computation(
    lambda: fx.federated_value(np.float32(0.0), fx.SERVER))
ADD = fx.jax_computation(lambda s, t: s + t, np.float32, np.float32)
GET = fx.jax_computation(lambda s: s, np.float32)
SET = fx.jax_computation(lambda s, w: w, np.float32, np.float32)


@pytest.fixture(params=sorted(CONTEXTS))
def backend(request):
  with fx.framework.install_context(CONTEXTS[request.param]):
    yield request.param


@fx.federated_computation(at_s(np.float32), at_c(np.float32))
def NEXT(state, data):
  total = fx.federated_sum(data)
  return LPO(fx.federated_map(ADD, [state, total]),
             fx.federated_zip(OD(total=total)))


def test_runs_and_reads_and_writes_weights(backend):
  process = T.LearningProcess(INIT, NEXT, GET, SET)
  assert str(process.client_data_type) == '{float32}@CLIENTS'
  output = process.next(process.initialize(), [1.0, 2.5])
  assert isinstance(output, LPO)
  assert float(output.state) == 3.5 and output.metrics == OD(total=3.5)
  assert float(process.get_model_weights(output.state)) == 3.5
  state = process.set_model_weights(output.state, np.float32(-1.0))
  assert float(process.next(state, [1.0]).state) == 0.0


def test_default_hparams(backend):
  process = T.LearningProcess(INIT, NEXT, GET, SET)
  assert process.get_hparams(np.float32(2.0)) == OD()
  assert float(process.set_hparams(np.float32(2.0), OD())) == 2.0


def _next(*params, metrics=None):
  def body(state, data):
    return LPO(state, metrics(state, data) if metrics else
               fx.federated_zip(OD(total=fx.federated_sum(data))))
  if len(params) == 3:
    return fx.federated_computation(lambda s, d, x: body(s, d), *params)
  return fx.federated_computation(body, *params)


@pytest.mark.parametrize('init,next_fn,match', [
    (fx.jax_computation(lambda: np.float32(0)),
     fx.jax_computation(lambda s, d: LPO(s, d), np.float32, np.float32),
     'initialize_fn: the state: ' + PLACEMENT.format('SERVER', 'float32')),
    (INIT, fx.federated_computation(
        lambda s: LPO(s, s), at_s(np.float32)),
     r'next_fn: expected parameters \(state, client_data\), got '
     r'float32@SERVER'),
    (INIT, _next(at_s(np.float32), at_c(np.float32), at_c(np.float32)),
     r'next_fn: expected parameters \(state, client_data\), got <s='),
    (INIT, _next(at_s(np.float32), at_s(np.float32),
                 metrics=lambda s, d: d),
     'next_fn: the client_data parameter: ' + PLACEMENT.format(
         'CLIENTS', 'float32@SERVER')),
    (INIT, fx.federated_computation(
        lambda s, d: fx.templates.MeasuredProcessOutput(s, s, s),
        at_s(np.float32), at_c(np.float32)),
     r'next_fn: expected it to return a struct <state, metrics> \(e.g. a '
     r'fx.learning.templates.LearningProcessOutput\), got <state=float32'
     r'@SERVER,result=float32@SERVER,measurements=float32@SERVER>'),
    (INIT, _next(at_s(np.float32), at_c(np.float32),
                 metrics=lambda s, d: d),
     'next_fn: the metrics: ' + PLACEMENT.format('SERVER',
                                                 r'\{float32\}@CLIENTS')),
])
def test_type_errors(init, next_fn, match):
  with pytest.raises(TypeError, match=match):
    T.LearningProcess(init, next_fn, GET, SET)


def test_accessor_type_errors():
  with pytest.raises(TypeError, match='get_model_weights: expected an '
                     'fx.Computation'):
    T.LearningProcess(INIT, NEXT, lambda s: s, SET)
  with pytest.raises(TypeError, match=r'get_model_weights: expected a '
                     r'computation taking the state float32, got \(int32 -> '
                     r'int32\)'):
    T.LearningProcess(INIT, NEXT, fx.jax_computation(lambda s: s, np.int32),
                      SET)
  with pytest.raises(TypeError, match=r'set_model_weights: expected a '
                     r'computation taking \(state float32, weights float32\), '
                     r'got \(<s=float32,w=int32> -> int32\)'):
    T.LearningProcess(INIT, NEXT, GET, fx.jax_computation(
        lambda s, w: w, np.float32, np.int32))
  with pytest.raises(TypeError, match='set_model_weights: expected a '
                     'computation taking'):
    T.LearningProcess(INIT, NEXT, GET, GET)
  with pytest.raises(TypeError, match=r'get_hparams_fn: expected a '
                     r'computation taking the state float32'):
    T.LearningProcess(INIT, NEXT, GET, SET, get_hparams_fn=fx.jax_computation(
        lambda s: s, np.int32))
