"""`IterativeProcess`: initialize and next, type-checked against each other."""

import numpy as np
import pytest

import federax as fx

IterativeProcess = fx.templates.IterativeProcess
CONTEXTS = {
    'jax': fx.backends.jax.create_jax_context(),
    'interpreter': fx.backends.interpreter.create_interpreter_context(),
}


@pytest.fixture(params=sorted(CONTEXTS))
def backend(request):
  with fx.framework.install_context(CONTEXTS[request.param]):
    yield request.param


def counter_init():
  return fx.federated_computation(
      lambda: fx.federated_value(np.int32(0), fx.SERVER))


def add_sum_next():
  add = fx.jax_computation(lambda s, t: s + t, np.int32, np.int32)

  @fx.federated_computation(fx.type_at_server(np.int32),
                            fx.type_at_clients(np.int32))
  def next_fn(state, data):
    return fx.federated_map(add, [state, fx.federated_sum(data)])

  return next_fn


def test_federated_process_runs(backend):
  process = IterativeProcess(counter_init(), add_sum_next())
  assert str(process.state_type) == 'int32@SERVER'
  state = process.initialize()
  for _ in range(3):
    state = process.next(state, [1, 2, 4])
  assert int(state) == 21


def test_properties_are_the_computations():
  init, next_fn = counter_init(), add_sum_next()
  process = IterativeProcess(init, next_fn)
  assert process.initialize is init and process.next is next_fn


def test_unplaced_process_runs(backend):
  process = IterativeProcess(
      fx.jax_computation(lambda: np.float32(1.0)),
      fx.jax_computation(lambda s: s * 2, np.float32))
  assert str(process.state_type) == 'float32'
  assert float(process.next(process.next(process.initialize()))) == 4.0


def test_next_may_return_the_state_first_in_a_struct(backend):
  process = IterativeProcess(
      fx.jax_computation(lambda: np.int32(0)),
      fx.jax_computation(lambda s: (s + 1, s * 2.0), np.int32))
  state, metric = process.next(np.int32(3))
  assert int(state) == 4 and float(metric) == 6.0


def test_struct_state(backend):
  process = IterativeProcess(
      fx.jax_computation(lambda: (np.int32(0), np.float32(1.0))),
      fx.jax_computation(lambda s: (s[0] + 1, s[1] / 2),
                         (np.int32, np.float32)))
  count, value = process.next(process.initialize())
  assert int(count) == 1 and float(value) == 0.5


NEXT = fx.jax_computation(lambda s: s + 1, np.int32)
INIT = fx.jax_computation(lambda: np.int32(0))


@pytest.mark.parametrize('init,next_fn,match', [
    (lambda: 0, NEXT,
     'initialize_fn: expected an fx.Computation with type specs'),
    (INIT, lambda s: s, 'next_fn: expected an fx.Computation with type specs.*'
     'got function'),
    (INIT, fx.federated_computation(lambda s: s),
     'next_fn: expected an fx.Computation with type specs.*got '
     'PolymorphicComputation'),
    (NEXT, NEXT, r'initialize_fn: expected a computation with no parameter, '
     r'got one of type \(int32 -> int32\)'),
    (INIT, INIT, r'next_fn: expected a computation taking the state int32, '
     r'got one of type \( -> int32\)'),
    (INIT, fx.jax_computation(lambda s: s, np.float32),
     'next_fn: its first parameter has type float32, which does not accept '
     'the state int32'),
    (INIT, fx.jax_computation(lambda s: s * 0.5, np.int32),
     r'next_fn: expected it to return the state int32 \(alone or as the '
     r'first element of a struct\), got float32'),
    (fx.jax_computation(lambda: (np.int32(0),)),
     fx.jax_computation(lambda s: s[0], (np.int32,)),
     'expected it to return the state <int32>.*got int32'),
])
def test_type_errors(init, next_fn, match):
  with pytest.raises(TypeError, match=match):
    IterativeProcess(init, next_fn)


def test_a_placed_state_is_not_an_unplaced_one():
  with pytest.raises(TypeError, match='its first parameter has type int32, '
                     'which does not accept the state int32@SERVER'):
    IterativeProcess(counter_init(), NEXT)
