"""`ClientWorkProcess`: placements, the ClientResult and hparams."""

import collections

import numpy as np
import pytest

import federax as fx
from learning_parts import CONTEXTS, MPO, W, client_work, empty_at_server

T = fx.learning.templates
at_c, at_s = fx.type_at_clients, fx.type_at_server
OD = collections.OrderedDict
PLACEMENT = r'expected a value placed at {0} \(T@{0} or \{{T\}}@{0}\), got {1}'
INIT = fx.federated_computation(empty_at_server)
DELTA = fx.jax_computation(lambda w, d: T.ClientResult(w - d, np.float32(1)),
                           W, W)


@pytest.fixture(params=sorted(CONTEXTS))
def backend(request):
  with fx.framework.install_context(CONTEXTS[request.param]):
    yield request.param


def test_next_returns_updates_at_clients(backend):
  work = client_work()
  assert str(work.result_type) == (
      '{<update=float32[2],update_weight=float32>}@CLIENTS')
  output = work.next(work.initialize(), [np.ones(2, np.float32)] * 2,
                     [np.array([1, 2], np.float32),
                      np.array([3, 0], np.float32)])
  assert [r.update.tolist() for r in output.result] == [[0, -1], [-2, 1]]
  assert [float(r.update_weight) for r in output.result] == [1.0, 1.0]
  assert output.measurements == OD(num_clients=2)


def test_default_hparams_are_empty(backend):
  work = client_work()
  state = work.initialize()
  assert work.get_hparams(state) == OD()
  assert work.set_hparams(state, OD()) == state


def test_model_delta_client_work_hparams_round_trip(backend):
  model = fx.learning.models.FunctionalModel(
      initial_weights=((np.zeros(2, np.float32),), ()),
      predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
      loss_fn=fx.learning.models.mean_squared_error,
      input_spec=((np.float32, [None, 2]), (np.float32, [None])))
  work = T.build_model_delta_client_work(
      model, fx.learning.optimizers.build_sgdm(0.1))
  state = work.initialize()
  hparams = work.get_hparams(state)
  assert float(hparams['learning_rate']) == pytest.approx(0.1)
  hparams['learning_rate'] = np.float32(0.5)
  new_state = work.set_hparams(state, hparams)
  assert float(work.get_hparams(new_state)['learning_rate']) == 0.5


def _next(state_t, weights_t, data_t, *extra, result=None, measurements=None):
  def output(state, weights, data):
    return MPO(state, result(weights, data) if result else
               fx.federated_map(DELTA, [weights, data]),
               measurements(weights) if measurements else empty_at_server())

  if extra:
    return fx.federated_computation(lambda s, w, d, x: output(s, w, d),
                                    state_t, weights_t, data_t, *extra)
  return fx.federated_computation(output, state_t, weights_t, data_t)


STATE = at_s(())


@pytest.mark.parametrize('init,next_fn,match', [
    (fx.jax_computation(lambda: np.int32(0)),
     _next(fx.to_type(np.int32), at_c(W), at_c(W)),
     'initialize_fn: the state: ' + PLACEMENT.format('SERVER', 'int32')),
    (INIT, fx.federated_computation(
        lambda s, w: MPO(s, fx.federated_map(DELTA, [w, w]),
                         empty_at_server()), STATE, at_c(W)),
     r'next_fn: expected parameters \(state, weights, client_data\), got '
     r'<s=<>@SERVER,w=\{float32\[2\]\}@CLIENTS>'),
    (INIT, _next(STATE, at_c(W), at_c(W), at_c(W)),
     r'next_fn: expected parameters \(state, weights, client_data\)'),
    (INIT, _next(STATE, at_s(W), at_c(W), result=lambda w, d: fx.federated_map(
        DELTA, [fx.federated_broadcast(w), d])),
     'next_fn: the weights parameter: ' + PLACEMENT.format(
         'CLIENTS', r'float32\[2\]@SERVER')),
    (INIT, _next(STATE, at_c(W), at_s(W), result=lambda w, d: fx.federated_map(
        DELTA, [w, fx.federated_broadcast(d)])),
     'next_fn: the client_data parameter: ' + PLACEMENT.format(
         'CLIENTS', r'float32\[2\]@SERVER')),
    (INIT, _next(STATE, at_c(W), at_c(W), result=lambda w, d: fx.federated_sum(
        d)), 'next_fn: the result: ' + PLACEMENT.format(
            'CLIENTS', r'float32\[2\]@SERVER')),
    (INIT, _next(STATE, at_c(W), at_c(W), result=lambda w, d: d),
     r'next_fn: expected the result to be a ClientResult <update,'
     r'update_weight> at CLIENTS, got \{float32\[2\]\}@CLIENTS'),
    (INIT, _next(STATE, at_c(W), at_c(W), measurements=lambda w: w),
     'next_fn: the measurements: ' + PLACEMENT.format(
         'SERVER', r'\{float32\[2\]\}@CLIENTS')),
])
def test_type_errors(init, next_fn, match):
  with pytest.raises(TypeError, match=match):
    T.ClientWorkProcess(init, next_fn)


def test_hparams_type_errors():
  next_fn = _next(STATE, at_c(W), at_c(W))
  with pytest.raises(TypeError, match=r'get_hparams_fn: expected a '
                     r'computation taking the state <>, got \(int32 -> '
                     r'int32\)'):
    T.ClientWorkProcess(INIT, next_fn, get_hparams_fn=fx.jax_computation(
        lambda s: s, np.int32))
  with pytest.raises(TypeError, match=r'set_hparams_fn: expected a '
                     r'computation taking \(state <>, hparams\), got '
                     r'\(<> -> <>\)'):
    T.ClientWorkProcess(INIT, next_fn, set_hparams_fn=fx.jax_computation(
        lambda s: s, ()))
  with pytest.raises(TypeError, match='get_hparams_fn: expected an '
                     'fx.Computation'):
    T.ClientWorkProcess(INIT, next_fn, get_hparams_fn=lambda s: s)
