"""`compose_learning_process`: the four parts, run and type-checked."""

import collections

import numpy as np
import pytest

import federax as fx
from learning_parts import (CONTEXTS, MPO, W, client_work, empty_at_server,
                            finalizer, initial_weights, parts)

T = fx.learning.templates
OD = collections.OrderedDict
W3 = fx.TensorType(np.float32, [3])
DATA = [np.array([1, 2], np.float32), np.array([3, 6], np.float32)]


@pytest.fixture(params=sorted(CONTEXTS))
def backend(request):
  with fx.framework.install_context(CONTEXTS[request.param]):
    yield request.param


def test_a_round_moves_the_model_to_the_clients_mean(backend):
  process = T.compose_learning_process(**parts())
  assert isinstance(process, T.LearningProcess)
  state = process.initialize()
  assert isinstance(state, T.LearningAlgorithmState)
  assert state.global_model_weights.tolist() == [0.0, 0.0]
  output = process.next(state, DATA)
  assert process.get_model_weights(output.state).tolist() == [2.0, 4.0]
  assert list(output.metrics) == ['distributor', 'client_work', 'aggregator',
                                  'finalizer']
  assert output.metrics['client_work'] == OD(num_clients=2)
  assert output.metrics['aggregator'] == OD(mean_value=(), mean_weight=())


def test_model_weights_and_hparams_round_trip(backend):
  process = T.compose_learning_process(**parts())
  state = process.set_model_weights(process.initialize(),
                                    np.array([6, 8], np.float32))
  assert process.get_model_weights(state).tolist() == [6.0, 8.0]
  hparams = process.get_hparams(state)
  assert hparams == OD(client_work=OD(), finalizer=OD(learning_rate=1.0))
  hparams['finalizer']['learning_rate'] = np.float32(0.5)
  state = process.set_hparams(state, hparams)
  assert float(process.get_hparams(state)['finalizer']['learning_rate']) == 0.5
  assert process.get_model_weights(state).tolist() == [6.0, 8.0]
  # w - 0.5 * (w - mean(d)) = [6, 8] - 0.5 * ([6, 8] - [2, 4])
  output = process.next(state, DATA)
  assert process.get_model_weights(output.state).tolist() == [4.0, 6.0]
  assert process.get_hparams(output.state) == hparams


def test_unweighted_aggregator_and_placed_initial_weights(backend):
  process = T.compose_learning_process(**parts(
      initial_model_weights_fn=fx.federated_computation(
          lambda: fx.federated_value(np.ones(2, np.float32), fx.SERVER)),
      model_update_aggregator=fx.aggregators.UnweightedMeanFactory().create(
          W)))
  output = process.next(process.initialize(), DATA)
  assert process.get_model_weights(output.state).tolist() == [2.0, 4.0]
  assert output.metrics['aggregator'] == OD(mean_value=(), mean_count=())


def _ignoring_update_finalizer(update_type):
  @fx.federated_computation(fx.type_at_server(()), fx.type_at_server(W),
                            fx.type_at_server(update_type))
  def next_fn(state, weights, update):
    return MPO(state, weights, empty_at_server())
  return T.FinalizerProcess(fx.federated_computation(empty_at_server),
                            next_fn)


FIX = 'Build the parts for the same model.'


@pytest.mark.parametrize('overrides,match', [
    (dict(initial_model_weights_fn=lambda: np.zeros(2, np.float32)),
     'initial_model_weights_fn: expected an fx.Computation'),
    (dict(initial_model_weights_fn=fx.jax_computation(lambda x: x, W)),
     r'initial_model_weights_fn: expected a computation with no parameter, '
     r'got \(float32\[2\] -> float32\[2\]\)'),
    (dict(model_weights_distributor=client_work()),
     'model_weights_distributor: expected an fx.learning.templates.'
     'DistributionProcess, got ClientWorkProcess'),
    (dict(client_work=T.build_broadcast_process(W)),
     'client_work: expected an fx.learning.templates.ClientWorkProcess, got '
     'DistributionProcess'),
    (dict(model_update_aggregator=fx.aggregators.MeanFactory()),
     'model_update_aggregator: expected an fx.learning.templates.'
     'AggregationProcess, got MeanFactory'),
    (dict(model_finalizer=fx.aggregators.SumFactory().create(W)),
     'model_finalizer: expected an fx.learning.templates.FinalizerProcess, '
     'got AggregationProcess'),
    (dict(model_weights_distributor=T.build_broadcast_process(W3)),
     r'model_weights_distributor: the weights it takes: expected '
     r'float32\[3\], got float32\[2\]. ' + FIX),
    (dict(client_work=client_work(W3)),
     r'client_work: the weights it takes \(from the distributor\): expected '
     r'\{float32\[3\]\}@CLIENTS, got float32\[2\]@CLIENTS. ' + FIX),
    (dict(model_update_aggregator=fx.aggregators.MeanFactory().create(
        W3, np.float32)),
     r'model_update_aggregator: the value it aggregates \(the client '
     r'update\): expected float32\[3\], got float32\[2\]. Create the '
     r'aggregator for the client work\'s update type'),
    (dict(model_update_aggregator=fx.aggregators.MeanFactory().create(
        W, np.int32)),
     'model_update_aggregator: the weight it takes: expected int32, got '
     'float32. ' + FIX),
    (dict(model_finalizer=finalizer(W3)),
     r'model_finalizer: the weights it takes: expected float32\[3\], got '
     r'float32\[2\]. ' + FIX),
    (dict(model_finalizer=_ignoring_update_finalizer(W3)),
     r"model_finalizer: the update it takes \(the aggregator's result\): "
     r'expected float32\[3\], got float32\[2\]. ' + FIX),
])
def test_type_errors(overrides, match):
  with pytest.raises(TypeError, match=match):
    T.compose_learning_process(**parts(**overrides))


def test_parts_built_for_a_real_model_compose():
  model = fx.learning.models.FunctionalModel(
      initial_weights=((np.zeros(2, np.float32),), ()),
      predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
      loss_fn=fx.learning.models.mean_squared_error,
      input_spec=((np.float32, [None, 2]), (np.float32, [None])))
  weights = fx.learning.models.ModelWeights.from_model(model)
  weights_type = fx.infer_type(weights)
  process = T.compose_learning_process(
      fx.jax_computation(lambda: weights),
      T.build_broadcast_process(weights_type),
      T.build_model_delta_client_work(
          model, fx.learning.optimizers.build_sgdm(0.1)),
      fx.aggregators.MeanFactory().create(weights_type.trainable, np.float32),
      T.build_apply_optimizer_finalizer(
          fx.learning.optimizers.build_sgdm(1.0), weights_type))
  data = [(np.ones((4, 2), np.float32), np.ones(4, np.float32))]
  output = process.next(process.initialize(), data)
  trainable = process.get_model_weights(output.state).trainable[0]
  np.testing.assert_allclose(trainable, [0.2, 0.2], rtol=1e-6)
  assert int(output.metrics['client_work']['train']['num_examples']) == 4
  hparams = process.get_hparams(output.state)
  assert set(hparams) == {'client_work', 'finalizer'}
  assert float(hparams['client_work']['learning_rate']) == pytest.approx(0.1)
