"""TFF's Federated Core examples and custom-algorithm tutorials, with `tff.`
replaced by `fx.` and TensorFlow by JAX: they must run and give TFF's results.
"""

import collections

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import federax as fx


def test_custom_algorithms_part1_temperatures():
  @fx.federated_computation(fx.FederatedType(np.float32, fx.CLIENTS))
  def get_average_temperature(sensor_readings):
    return fx.federated_mean(sensor_readings)

  assert str(get_average_temperature.type_signature) == (
      '({float32}@CLIENTS -> float32@SERVER)')
  assert get_average_temperature([68.5, 70.3, 69.8]) == pytest.approx(
      69.53333, rel=1e-6)

  @fx.jax_computation(np.float32)
  def add_half(x):
    return jnp.add(x, 0.5)

  assert str(add_half.type_signature) == '(float32 -> float32)'

  @fx.federated_computation(fx.FederatedType(np.float32, fx.CLIENTS))
  def add_half_on_clients(x):
    return fx.federated_map(add_half, x)

  assert str(add_half_on_clients.type_signature) == (
      '({float32}@CLIENTS -> {float32}@CLIENTS)')
  np.testing.assert_allclose(add_half_on_clients([1.0, 3.0, 2.0]),
                             [1.5, 3.5, 2.5])


def test_custom_algorithms_part1_sequences():
  @fx.jax_computation(fx.SequenceType(np.float32))
  def get_local_temperature_average(local_temperatures):
    sum_and_count = local_temperatures.reduce(
        (0.0, 0), lambda x, y: (x[0] + y, x[1] + 1))
    return sum_and_count[0] / jnp.float32(sum_and_count[1])

  assert str(get_local_temperature_average.type_signature) == (
      '(float32* -> float32)')

  @fx.federated_computation(
      fx.FederatedType(fx.SequenceType(np.float32), fx.CLIENTS))
  def get_global_temperature_average(sensor_readings):
    return fx.federated_mean(
        fx.federated_map(get_local_temperature_average, sensor_readings))

  assert str(get_global_temperature_average.type_signature) == (
      '({float32*}@CLIENTS -> float32@SERVER)')
  assert get_global_temperature_average(
      [[68.0, 70.0], [71.0], [68.0, 72.0, 70.0]]) == pytest.approx(70.0)

  @fx.jax_computation(fx.SequenceType(
      collections.OrderedDict([('A', np.int32), ('B', np.int32)])))
  def foo(ds):
    return ds.reduce(np.int32(0), lambda total, x: total + x['A'] * x['B'])

  assert str(foo.type_signature) == '(<A=int32,B=int32>* -> int32)'
  assert foo([{'A': 2, 'B': 3}, {'A': 4, 'B': 5}]) == 26


def test_custom_algorithms_part1_threshold_with_broadcast():
  @fx.jax_computation(np.float32, np.float32)
  def exceeds_threshold_fn(reading, threshold):
    return jnp.where(reading > threshold, 1, 0).astype(jnp.int32)

  @fx.federated_computation(fx.type_at_clients(np.float32),
                            fx.type_at_server(np.float32))
  def get_num_sensors_over_threshold(readings, threshold):
    return fx.federated_sum(fx.federated_map(
        exceeds_threshold_fn, [readings, fx.federated_broadcast(threshold)]))

  assert str(get_num_sensors_over_threshold.type_signature) == (
      '(<readings={float32}@CLIENTS,threshold=float32@SERVER> -> '
      'int32@SERVER)')
  assert get_num_sensors_over_threshold([10.0, 20.0, 30.0], 15.0) == 2


def test_seed_add_up_integers():
  @fx.jax_computation(fx.SequenceType(np.int32))
  def add_up_integers(x):
    return x.reduce(np.int32(0), lambda x, y: x + y)

  assert str(add_up_integers.type_signature) == '(int32* -> int32)'
  assert add_up_integers([1, 2, 3, 4]) == 10
  assert add_up_integers([]) == 0


def test_custom_algorithms_part2_fed_avg():
  """The tutorial's FedAvg: initialize_fn/next_fn built from FC pieces."""
  rng = np.random.default_rng(0)
  true_w = rng.normal(size=(4, 3)).astype(np.float32)
  clients = []
  for n in (3, 5, 2):
    x = rng.normal(size=(n, 8, 4)).astype(np.float32)
    y = np.argmax(x @ true_w, axis=-1).astype(np.int32)
    clients.append(collections.OrderedDict(x=x, y=y))

  model_spec = collections.OrderedDict(
      w=(np.float32, [4, 3]), b=(np.float32, [3]))
  batch_spec = collections.OrderedDict(x=(np.float32, [8, 4]),
                                       y=(np.int32, [8]))
  model_type = fx.to_type(model_spec)
  data_type = fx.SequenceType(batch_spec)

  @fx.jax_computation
  def server_init():
    return collections.OrderedDict(w=jnp.zeros((4, 3)), b=jnp.zeros(3))

  @fx.federated_computation
  def initialize_fn():
    return fx.federated_value(server_init(), fx.SERVER)

  def loss(model, batch):
    logits = batch['x'] @ model['w'] + model['b']
    return -jnp.mean(jnp.sum(jax.nn.one_hot(batch['y'], 3) *
                             jax.nn.log_softmax(logits), -1))

  @fx.jax_computation(data_type, model_type)
  def client_update_fn(dataset, server_weights):
    def step(w, batch):
      g = jax.grad(loss)(w, batch)
      return jax.tree.map(lambda a, b: a - 0.5 * b, w, g)
    return dataset.reduce(server_weights, step)

  @fx.jax_computation(model_type)
  def server_update_fn(mean_client_weights):
    return mean_client_weights

  @fx.federated_computation(fx.type_at_server(model_type),
                            fx.type_at_clients(data_type))
  def next_fn(server_weights, federated_dataset):
    server_weights_at_client = fx.federated_broadcast(server_weights)
    client_weights = fx.federated_map(
        client_update_fn, (federated_dataset, server_weights_at_client))
    mean_client_weights = fx.federated_mean(client_weights)
    return fx.federated_map(server_update_fn, mean_client_weights)

  assert str(initialize_fn.type_signature) == (
      '( -> <w=float32[4,3],b=float32[3]>@SERVER)')
  assert str(next_fn.type_signature) == (
      '(<server_weights=<w=float32[4,3],b=float32[3]>@SERVER,'
      'federated_dataset={<x=float32[8,4],y=int32[8]>*}@CLIENTS> -> '
      '<w=float32[4,3],b=float32[3]>@SERVER)')

  state = initialize_fn()
  assert isinstance(state, collections.OrderedDict)

  def mean_loss(model):
    return float(np.mean([loss(model, {'x': c['x'][i], 'y': c['y'][i]})
                          for c in clients for i in range(len(c['y']))]))

  before = mean_loss(state)
  for _ in range(5):
    state = next_fn(state, clients)
  assert mean_loss(state) < 0.7 * before

  # The same round by hand in numpy/JAX gives the same weights.
  expected = initialize_fn()
  for _ in range(5):
    updated = [client_update_fn(c, expected) for c in clients]
    expected = jax.tree.map(lambda *ws: np.mean(np.stack(ws), 0), *updated)
  for k in ('w', 'b'):
    np.testing.assert_allclose(state[k], expected[k], rtol=1e-5, atol=1e-6)
