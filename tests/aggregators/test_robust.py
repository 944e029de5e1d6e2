"""Robust aggregators (median, trimmed mean, Krum) and simulated attacks."""

import collections

import numpy as np
import pytest

import federax as fx

OD = collections.OrderedDict
CONTEXTS = {
    'jax_chunk3': fx.backends.jax.create_jax_context(chunk_size=3),
    'interpreter': fx.backends.interpreter.create_interpreter_context(),
}
VEC = fx.TensorType(np.float32, [4])
FACTORIES = {  # Few slots: they compile faster.
    'median': fx.aggregators.CoordinateWiseMedianFactory(max_clients=16),
    'trimmed': fx.aggregators.TrimmedMeanFactory(0.3, max_clients=16),
    'krum': fx.aggregators.KrumFactory(2, max_clients=16),
    'multi_krum': fx.aggregators.KrumFactory(2, num_selected=3,
                                             max_clients=16),
}
_PROCESSES = {}


def _process(name):
  """One process per factory for the whole module: each compiles once."""
  if name not in _PROCESSES:
    _PROCESSES[name] = FACTORIES[name].create(VEC)
  return _PROCESSES[name]


@pytest.fixture(params=sorted(CONTEXTS))
def backend(request):
  with fx.framework.install_context(CONTEXTS[request.param]):
    yield request.param


def _data(n=7, d=4, seed=0):
  return np.random.default_rng(seed).normal(size=(n, d)).astype(np.float32)


def _krum_reference(x, f, m):
  n = len(x)
  d2 = ((x[:, None] - x[None]) ** 2).sum(-1)
  scores = [np.sort(np.delete(d2[i], i))[:n - f - 2].sum() for i in range(n)]
  return x[np.argsort(scores, kind='stable')[:m]].mean(0)


def test_statistics_match_numpy(backend):
  x = _data()
  s = np.sort(x, 0)
  want = {'median': np.median(x, 0), 'trimmed': s[2:5].mean(0),
          'krum': _krum_reference(x, 2, 1),
          'multi_krum': _krum_reference(x, 2, 3)}
  # The interpreter compiles each part on its own: two of them suffice.
  names = ['median', 'multi_krum'] if backend == 'interpreter' else FACTORIES
  for name in names:
    process = _process(name)
    output = process.next(process.initialize(), list(x))
    np.testing.assert_allclose(output.result, want[name], rtol=1e-5,
                               atol=1e-6, err_msg=name)
    assert output.measurements == OD(num_clients=7, num_kept=7)
    assert output.state == ()


def test_structs_and_even_cohorts():
  value_type = OD(w=(np.float32, [2, 2]), b=np.float32)
  x = _data(6, 5, seed=1)
  values = [OD(w=row[:4].reshape(2, 2), b=row[4]) for row in x]
  process = fx.aggregators.CoordinateWiseMedianFactory(8).create(value_type)
  result = process.next(process.initialize(), values).result
  median = np.median(x, 0)  # Even n: the mean of the middle two.
  np.testing.assert_allclose(result['w'].ravel(), median[:4], rtol=1e-6)
  assert float(result['b']) == pytest.approx(median[4], rel=1e-6)
  # Krum measures whole values: the distances span both leaves.
  krum = fx.aggregators.KrumFactory(1, max_clients=8).create(value_type)
  chosen = krum.next(krum.initialize(), values).result
  want = _krum_reference(x, 1, 1)
  np.testing.assert_allclose(np.append(chosen['w'].ravel(), chosen['b']),
                             want, rtol=1e-6)


def test_more_clients_than_slots_use_the_same_uniform_sample():
  x = _data(12, 4, seed=2)
  process = fx.aggregators.CoordinateWiseMedianFactory(max_clients=5).create(
      VEC)
  outputs = []
  for context in CONTEXTS.values():
    with fx.framework.install_context(context):
      outputs.append(process.next(process.initialize(), list(x)))
  assert all(o.measurements == OD(num_clients=12, num_kept=5)
             for o in outputs)
  np.testing.assert_array_equal(outputs[0].result, outputs[1].result)
  # The median of 5 of the clients: every coordinate is one client's value.
  for j, v in enumerate(outputs[0].result):
    assert v in x[:, j]


def test_no_clients_give_nan():
  process = fx.aggregators.TrimmedMeanFactory().create(VEC)
  with fx.backends.interpreter.interpreter_context():
    result = process.next(process.initialize(), []).result
  assert np.isnan(result).all()


@pytest.mark.parametrize('attack', ['scaled', 'sign_flipped', 'backdoor'])
def test_attacks_pull_the_mean_off_but_not_the_robust_aggregators(attack):
  rng = np.random.default_rng(3)
  honest_mean = np.float32([1.0, -1.0, 0.5, 0.0])
  updates = list(honest_mean + 0.1 * rng.normal(size=(10, 4)).astype(
      np.float32))
  malicious = [0, 1, 2]
  attacks = fx.aggregators.attacks
  if attack == 'scaled':
    attacked = attacks.scaled(updates, malicious, 50.0)
  elif attack == 'sign_flipped':
    attacked = attacks.sign_flipped(updates, malicious, 10.0)
  else:
    attacked = attacks.model_replacement(
        updates, malicious, backdoor_update=np.float32([0, 0, 0, 8.0]))
  truth = np.mean(updates[3:], 0)
  mean = fx.aggregators.UnweightedMeanFactory().create(VEC)
  pulled = mean.next(mean.initialize(), attacked).result
  assert np.linalg.norm(pulled - truth) > 2.0
  for name in FACTORIES:
    process = _process(name)
    result = process.next(process.initialize(), attacked).result
    assert np.linalg.norm(result - truth) < 0.3, name


def test_attacks_on_stacked_updates_and_their_errors():
  stacked = OD(w=np.ones((3, 2), np.float32), b=np.zeros(3, np.float32))
  out = fx.aggregators.attacks.model_replacement(
      stacked, [1], OD(w=np.float32([1, 2]), b=np.float32(3)), boost=2.0)
  assert out['w'].tolist() == [[1, 1], [2, 4], [1, 1]]
  assert out['b'].tolist() == [0, 6, 0]
  assert stacked['w'][1].tolist() == [1, 1]  # The input is not changed.
  with pytest.raises(ValueError, match=r'indices in \[0, 3\).*\[5\]'):
    fx.aggregators.attacks.scaled([1.0, 2.0, 3.0], [5], 2.0)
  with pytest.raises(TypeError, match='malicious: expected a collection'):
    fx.aggregators.attacks.sign_flipped([1.0], 0)
  with pytest.raises(ValueError, match='backdoor_update: expected leaves'):
    fx.aggregators.attacks.model_replacement([np.zeros(2, np.float32)], [0],
                                             np.zeros(3, np.float32))


@pytest.mark.parametrize('make, error, match', [
    (lambda: fx.aggregators.TrimmedMeanFactory(0.5), ValueError,
     r'trim_fraction: expected a float in \[0, 0.5\)'),
    (lambda: fx.aggregators.TrimmedMeanFactory('a'), TypeError,
     'trim_fraction: expected a float'),
    (lambda: fx.aggregators.KrumFactory(-1), ValueError,
     'num_byzantine: expected an int >= 0, got -1'),
    (lambda: fx.aggregators.KrumFactory(1, num_selected=20, max_clients=10),
     ValueError, 'num_selected: expected at most max_clients=10'),
    (lambda: fx.aggregators.CoordinateWiseMedianFactory(max_clients=0),
     ValueError, 'max_clients: expected an int >= 1'),
    (lambda: fx.aggregators.CoordinateWiseMedianFactory().create(np.int32),
     TypeError, 'expected floating-point tensors'),
])
def test_errors(make, error, match):
  with pytest.raises(error, match=match):
    make()
