"""Small hand-written learning process parts for the template tests.

The model is a vector `w` of `float32[2]`; a client's data is one target
vector `d`; its update is `w - d` with weight 1 (or its `weight`), so a
weighted mean of updates and a finalizer with learning rate 1 move `w` to
the clients' mean target.
"""

import collections

import numpy as np

import federax as fx

OD = collections.OrderedDict
MPO = fx.templates.MeasuredProcessOutput
T = fx.learning.templates
S, C = fx.SERVER, fx.CLIENTS
W = fx.TensorType(np.float32, [2])
CONTEXTS = {
    'jax': fx.backends.jax.create_jax_context(),
    'interpreter': fx.backends.interpreter.create_interpreter_context(),
}


def empty_at_server():
  return fx.federated_value((), S)


def initial_weights(weights_type=W):
  return fx.jax_computation(
      lambda: np.zeros(weights_type.shape, weights_type.dtype))


def client_work(weights_type=W, weight_dtype=np.float32, data_type=None):
  """`next(<>, w, d)`: update `w - d`, weight 1; measures `num_clients`."""
  data_type = data_type or weights_type
  init = fx.federated_computation(empty_at_server)
  delta = fx.jax_computation(
      lambda w, d: T.ClientResult(w - d, np.asarray(1, weight_dtype)),
      weights_type, data_type)
  one = fx.jax_computation(lambda: np.int32(1))

  @fx.federated_computation(init.type_signature.result,
                            fx.type_at_clients(weights_type),
                            fx.type_at_clients(data_type))
  def next_fn(state, weights, data):
    return MPO(state, fx.federated_map(delta, [weights, data]),
               fx.federated_zip(OD(num_clients=fx.federated_sum(
                   fx.federated_eval(one, C)))))

  return T.ClientWorkProcess(init, next_fn)


def finalizer(weights_type=W, update_type=None):
  """`w - lr * update`; the state is `lr`, its hparams `{learning_rate}`."""
  update_type = update_type or weights_type
  init = fx.federated_computation(
      lambda: fx.federated_value(np.float32(1.0), S))
  step = fx.jax_computation(lambda lr, w, u: w - lr * u, np.float32,
                            weights_type, update_type)

  @fx.federated_computation(init.type_signature.result,
                            fx.type_at_server(weights_type),
                            fx.type_at_server(update_type))
  def next_fn(lr, weights, update):
    return MPO(lr, fx.federated_map(step, [lr, weights, update]),
               empty_at_server())

  get = fx.jax_computation(lambda lr: OD(learning_rate=lr), np.float32)
  put = fx.jax_computation(lambda lr, h: h['learning_rate'], np.float32,
                           OD(learning_rate=np.float32))
  return T.FinalizerProcess(init, next_fn, get_hparams_fn=get,
                            set_hparams_fn=put)


def parts(**overrides):
  """The five arguments of `compose_learning_process`, some replaced."""
  arguments = OD(
      initial_model_weights_fn=initial_weights(),
      model_weights_distributor=T.build_broadcast_process(W),
      client_work=client_work(),
      model_update_aggregator=fx.aggregators.MeanFactory().create(
          W, np.float32),
      model_finalizer=finalizer())
  arguments.update(overrides)
  return arguments
