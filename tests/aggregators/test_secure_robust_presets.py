"""secure_aggregator, robust_aggregator and norm_bounded_mean, alone and as
the model aggregator of FedAvg."""

import numpy as np
import pytest

import federax as fx

F32 = fx.TensorType(np.float32)
VEC = fx.TensorType(np.float32, [3])


def _intrinsics(computation):
  """The uris of the intrinsics in a computation's IR (nested ones too)."""
  found, todo, seen = set(), [computation.building_block], set()
  while todo:
    comp = todo.pop()
    if id(comp) in seen:
      continue
    seen.add(id(comp))
    uri = getattr(comp, 'uri', None)
    if uri is not None:
      found.add(uri)
    for child in getattr(comp, 'children', lambda: [])():
      todo.append(child)
  return found


def test_secure_aggregator_sums_only_securely():
  for weighted in (True, False):
    factory = fx.aggregators.secure_aggregator(weighted=weighted)
    process = (factory.create(VEC, F32) if weighted else factory.create(VEC))
    uris = _intrinsics(process.next)
    assert 'federated_secure_sum_bitwidth' in uris
    assert not uris & {'federated_sum', 'federated_mean', 'federated_aggregate',
                       'federated_weighted_mean'}, uris
    names = str(process.next.type_signature.result.measurements)
    assert 'zeroed_count' in names and 'clipped_count' in names
    assert 'secure_upper_threshold' in names


def test_secure_aggregator_means_and_adapts():
  process = fx.aggregators.secure_aggregator().create(VEC, F32)
  state = process.initialize()
  values = [[0.1, 0.2, 0.0], [0.3, -0.1, 0.2]]
  output = process.next(state, values, [1.0, 3.0])
  np.testing.assert_allclose(output.result, [0.25, -0.025, 0.15], atol=1e-4)
  measurements = output.measurements['zeroing']['clipping']
  bound = measurements['mean_value']['secure_upper_threshold']
  assert float(bound) == 100.0  # 2 * 50, the initial estimate.
  # The secure bound's estimate moves towards the values: it shrinks.
  output = process.next(output.state, values, [1.0, 3.0])
  assert float(output.measurements['zeroing']['clipping']['mean_value'][
      'secure_upper_threshold']) < 100.0


def test_secure_aggregator_under_the_masked_protocol_drops_a_client():
  process = fx.aggregators.secure_aggregator(
      zeroing=False, clipping=False, weighted=False).create(F32)
  with fx.aggregators.secure_protocol.masked_secure_sums(
      threshold=2, dropouts=[2], seed=0, backend='interpreter'):
    output = process.next(process.initialize(), [1.0, 2.0, 30.0, 3.0])
  # The dropped client is missing from the sum and from the count alike.
  assert float(output.result) == pytest.approx(2.0, abs=1e-4)


def test_robust_aggregator_is_tffs_by_default():
  process = fx.aggregators.robust_aggregator().create(VEC, F32)
  assert process.is_weighted
  assert str(process.next.type_signature.result.measurements) == (
      '<zeroing=<clipping=<mean_value=<>,mean_weight=<>>,clipping_norm=float32,'
      'clipped_count=int32>,zeroing_norm=float32,zeroed_count=int32>@SERVER')
  unweighted = fx.aggregators.robust_aggregator(
      zeroing=False, clipping=False, weighted=False).create(VEC)
  output = unweighted.next(unweighted.initialize(), [[1.0, 2.0, 3.0]] * 2)
  assert output.result.tolist() == [1.0, 2.0, 3.0]


@pytest.mark.parametrize('estimator', ['median', 'trimmed_mean',
                                       fx.aggregators.KrumFactory(1)])
def test_robust_aggregator_estimators_resist_a_backdoor(estimator):
  rng = np.random.default_rng(0)
  honest = list(0.05 * rng.normal(size=(10, 3)).astype(np.float32))
  attacked = fx.aggregators.attacks.model_replacement(
      honest, [0], backdoor_update=np.float32([0.5, 0.5, 0.5]))
  truth = np.mean(honest[1:], 0)
  plain = fx.aggregators.robust_aggregator(zeroing=False, clipping=False,
                                           weighted=False).create(VEC)
  robust = fx.aggregators.robust_aggregator(
      zeroing=False, clipping=False, weighted=False,
      estimator=estimator).create(VEC)
  off = plain.next(plain.initialize(), attacked).result
  kept = robust.next(robust.initialize(), attacked).result
  assert np.linalg.norm(off - truth) > 0.4
  assert np.linalg.norm(kept - truth) < 0.1


def test_norm_bounded_mean_limits_model_replacement():
  honest = [np.float32([0.1, 0.0]), np.float32([0.0, 0.1]),
            np.float32([0.1, 0.1]), np.float32([0.0, 0.0])]
  attacked = fx.aggregators.attacks.model_replacement(
      honest, [3], backdoor_update=np.float32([3.0, -3.0]))
  process = fx.aggregators.norm_bounded_mean(0.2).create(
      fx.TensorType(np.float32, [2]), F32)
  output = process.next(process.initialize(), attacked, [1.0] * 4)
  # The boosted update (norm 17) counts with norm 0.2 only.
  assert np.linalg.norm(output.result) < 0.15
  assert int(output.measurements['clipped_count']) == 1


@pytest.mark.slow  # Compiling a FedAvg round takes 10-20 s on a small CPU.
def test_fed_avg_takes_robust_and_secure_aggregators():
  model = fx.learning.models.FunctionalModel(
      initial_weights=((np.zeros(2, np.float32), np.zeros((), np.float32)),
                       ()),
      predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0] + w[0][1],
      loss_fn=fx.learning.models.mean_squared_error,
      input_spec=((np.float32, [None, 2]), (np.float32, [None])))
  rng = np.random.default_rng(1)
  data = []
  for _ in range(4):
    x = rng.normal(size=(6, 2)).astype(np.float32)
    data.append((x, (x @ np.float32([1.0, -1.0])).astype(np.float32)))
  krum = fx.aggregators.KrumFactory(1, max_clients=8)
  for aggregator in (fx.aggregators.robust_aggregator(estimator=krum),
                     fx.aggregators.secure_aggregator()):
    process = fx.learning.algorithms.build_weighted_fed_avg(
        model, fx.learning.optimizers.build_sgdm(0.1),
        model_aggregator=aggregator,
        client_spec=fx.learning.ClientSpec(batch_size=6))
    state = process.initialize()
    state, metrics = process.next(state, data)
    weights = process.get_model_weights(state).trainable
    assert np.all(np.isfinite(weights[0])) and np.any(weights[0] != 0)
    assert 'zeroing' in metrics['aggregator']


@pytest.mark.parametrize('make, error, match', [
    (lambda: fx.aggregators.robust_aggregator(estimator='mode'), ValueError,
     "estimator: expected 'mean', 'median'"),
    (lambda: fx.aggregators.robust_aggregator(
        estimator=fx.aggregators.MeanFactory()), TypeError,
     'expected a name or an unweighted aggregation factory'),
    (lambda: fx.aggregators.robust_aggregator(zeroing=1), TypeError,
     'zeroing: expected a bool'),
    (lambda: fx.aggregators.secure_aggregator(weighted='yes'), TypeError,
     'weighted: expected a bool'),
    (lambda: fx.aggregators.robust_aggregator(
        debug_measurements_fn=lambda f: 3), TypeError,
     'debug_measurements_fn: expected it to return a '
     'WeightedAggregationFactory'),
])
def test_errors(make, error, match):
  with pytest.raises(error, match=match):
    make()
