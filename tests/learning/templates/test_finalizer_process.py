"""`FinalizerProcess` and `build_apply_optimizer_finalizer`."""

import numpy as np
import pytest

import federax as fx
from learning_parts import CONTEXTS, MPO, W, empty_at_server, finalizer

T = fx.learning.templates
at_c, at_s = fx.type_at_clients, fx.type_at_server
PLACEMENT = r'expected a value placed at {0} \(T@{0} or \{{T\}}@{0}\), got {1}'
INIT = fx.federated_computation(empty_at_server)
SUBTRACT = fx.jax_computation(lambda w, u: w - u, W, W)


@pytest.fixture(params=sorted(CONTEXTS))
def backend(request):
  with fx.framework.install_context(CONTEXTS[request.param]):
    yield request.param


def test_next_applies_the_update(backend):
  process = finalizer()
  assert str(process.result_type) == 'float32[2]@SERVER'
  state = process.set_hparams(process.initialize(),
                              {'learning_rate': np.float32(0.5)})
  output = process.next(state, np.array([1, 2], np.float32),
                        np.array([2, -2], np.float32))
  assert output.result.tolist() == [0.0, 3.0]
  assert float(process.get_hparams(output.state)['learning_rate']) == 0.5


def test_apply_optimizer_finalizer(backend):
  weights = fx.learning.models.ModelWeights(
      trainable=(np.array([1.0, 1.0], np.float32),), non_trainable=())
  process = T.build_apply_optimizer_finalizer(
      fx.learning.optimizers.build_sgdm(0.5), fx.infer_type(weights))
  output = process.next(process.initialize(), weights,
                        (np.array([2.0, -2.0], np.float32),))
  assert output.result.trainable[0].tolist() == [0.0, 2.0]
  hparams = process.get_hparams(output.state)
  assert float(hparams['learning_rate']) == 0.5
  hparams['learning_rate'] = np.float32(1.0)
  state = process.set_hparams(output.state, hparams)
  assert float(process.get_hparams(state)['learning_rate']) == 1.0


def _next(state_t, weights_t, update_t, *extra, result=None,
          measurements=None):
  def output(state, weights, update):
    return MPO(state, result(weights, update) if result else
               fx.federated_map(SUBTRACT, [weights, update]),
               measurements(weights) if measurements else empty_at_server())

  if extra:
    return fx.federated_computation(lambda s, w, u, x: output(s, w, u),
                                    state_t, weights_t, update_t, *extra)
  return fx.federated_computation(output, state_t, weights_t, update_t)


STATE = at_s(())
W3 = fx.TensorType(np.float32, [3])


@pytest.mark.parametrize('init,next_fn,match', [
    (fx.jax_computation(lambda: np.int32(0)),
     _next(fx.to_type(np.int32), at_s(W), at_s(W)),
     'initialize_fn: the state: ' + PLACEMENT.format('SERVER', 'int32')),
    (INIT, fx.federated_computation(
        lambda s, w: MPO(s, w, empty_at_server()), STATE, at_s(W)),
     r'next_fn: expected parameters \(state, weights, update\), got '
     r'<s=<>@SERVER,w=float32\[2\]@SERVER>'),
    (INIT, _next(STATE, at_s(W), at_s(W), at_s(W)),
     r'next_fn: expected parameters \(state, weights, update\)'),
    (INIT, _next(STATE, at_c(W), at_s(W), result=lambda w, u: u),
     'next_fn: the weights parameter: ' + PLACEMENT.format(
         'SERVER', r'\{float32\[2\]\}@CLIENTS')),
    (INIT, _next(STATE, at_s(W), at_c(W), result=lambda w, u: w),
     'next_fn: the update parameter: ' + PLACEMENT.format(
         'SERVER', r'\{float32\[2\]\}@CLIENTS')),
    (INIT, _next(STATE, at_s(W), at_s(W), result=lambda w, u:
                 fx.federated_broadcast(w)),
     'next_fn: the result: ' + PLACEMENT.format('SERVER',
                                                r'float32\[2\]@CLIENTS')),
    (INIT, _next(STATE, at_s(W), at_s(W3), result=lambda w, u: u),
     r'next_fn: the new weights it returns: expected float32\[2\], got '
     r'float32\[3\]. Return weights of the type it takes.'),
    (INIT, _next(STATE, at_s(W), at_s(W), measurements=fx.federated_broadcast),
     'next_fn: the measurements: ' + PLACEMENT.format(
         'SERVER', r'float32\[2\]@CLIENTS')),
])
def test_type_errors(init, next_fn, match):
  with pytest.raises(TypeError, match=match):
    T.FinalizerProcess(init, next_fn)


def test_hparams_type_errors():
  next_fn = _next(STATE, at_s(W), at_s(W))
  with pytest.raises(TypeError, match=r'get_hparams_fn: expected a '
                     r'computation taking the state <>, got \(float32 -> '
                     r'float32\)'):
    T.FinalizerProcess(INIT, next_fn, get_hparams_fn=fx.jax_computation(
        lambda s: s, np.float32))
  with pytest.raises(TypeError, match=r'set_hparams_fn: expected a '
                     r'computation taking \(state <>, hparams\)'):
    T.FinalizerProcess(INIT, next_fn, set_hparams_fn=fx.jax_computation(
        lambda s, h: h, np.int32, np.int32))
