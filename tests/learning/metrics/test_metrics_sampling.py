"""`finalize_then_sample`: a deterministic uniform sample of clients."""

import collections
import functools

import jax
import numpy as np
import pytest

import federax as fx
from federax.learning.metrics import sampling

metrics = fx.learning.metrics
OD = collections.OrderedDict
CONTEXTS = {
    'jax': fx.backends.jax.create_jax_context(),
    'jax_chunk2': fx.backends.jax.create_jax_context(chunk_size=2),
    'interpreter': fx.backends.interpreter.create_interpreter_context(),
}
TYPE = OD(accuracy=(np.float32, [2]), num_examples=np.int32)
FINALIZERS = OD(accuracy=lambda v: v[0] / v[1], num_examples=lambda n: n)


@pytest.fixture(params=sorted(CONTEXTS))
def backend(request):
  with fx.framework.install_context(CONTEXTS[request.param]):
    yield request.param


def clients(n, seed=0):
  rng = np.random.default_rng(seed)
  return [OD(accuracy=np.array([rng.integers(0, 9), 8], np.float32),
             num_examples=np.int32(rng.integers(1, 100))) for _ in range(n)]


def expected(values, k, seed=0):
  """The hand computation: the k clients of smallest priority, in order."""
  key = jax.random.key(seed)
  priority = jax.jit(jax.vmap(lambda a, n: sampling.priority(key, [a, n])))
  priorities = priority(np.stack([v['accuracy'] for v in values]),
                        np.stack([v['num_examples'] for v in values])).tolist()
  chosen = sorted(range(len(values)), key=lambda i: (priorities[i], i))[:k]
  return (np.array([values[i]['accuracy'][0] / values[i]['accuracy'][1]
                    for i in chosen], np.float32),
          np.array([values[i]['num_examples'] for i in chosen], np.int32))


def test_more_clients_than_slots_keep_those_of_smallest_priority(backend):
  values = clients(9)
  result = metrics.finalize_then_sample(FINALIZERS, TYPE, sample_size=4)(
      values)
  assert list(result) == ['accuracy', 'num_examples', 'num_samples']
  assert int(result['num_samples']) == 4
  accuracy, num_examples = expected(values, 4)
  np.testing.assert_array_equal(result['accuracy'], accuracy)
  np.testing.assert_array_equal(result['num_examples'], num_examples)
  assert result['accuracy'].dtype == np.float32
  assert result['num_examples'].dtype == np.int32


def test_fewer_clients_than_slots_are_all_kept_then_padded(backend):
  values = clients(3, seed=1)
  result = metrics.finalize_then_sample(FINALIZERS, TYPE, sample_size=5)(
      values)
  assert int(result['num_samples']) == 3
  assert result['accuracy'].shape == (5,)
  assert sorted(result['num_examples'][:3].tolist()) == sorted(
      int(v['num_examples']) for v in values)
  assert result['num_examples'][3:].tolist() == [0, 0]
  assert result['accuracy'][3:].tolist() == [0.0, 0.0]
  np.testing.assert_array_equal(result['accuracy'][:3],
                                expected(values, 3)[0])


def test_no_clients(backend):
  result = metrics.finalize_then_sample(FINALIZERS, TYPE, sample_size=2)([])
  assert int(result['num_samples']) == 0
  assert result['num_examples'].tolist() == [0, 0]


def test_rows_of_one_client_stay_together():
  values = [OD(accuracy=np.array([i, 10], np.float32),
               num_examples=np.int32(i)) for i in range(20)]
  result = metrics.finalize_then_sample(FINALIZERS, TYPE, sample_size=6)(
      values)
  np.testing.assert_allclose(result['accuracy'],
                             result['num_examples'] / 10, rtol=1e-6)
  assert len(set(result['num_examples'].tolist())) == 6


def test_the_sample_is_deterministic_and_depends_on_the_seed():
  values = clients(30, seed=2)
  first = metrics.finalize_then_sample(FINALIZERS, TYPE, 5)(values)
  again = metrics.finalize_then_sample(FINALIZERS, TYPE, 5)(values)
  other = metrics.finalize_then_sample(FINALIZERS, TYPE, 5, seed=7)(values)
  np.testing.assert_array_equal(first['num_examples'], again['num_examples'])
  assert first['num_examples'].tolist() != other['num_examples'].tolist()
  np.testing.assert_array_equal(other['num_examples'],
                                expected(values, 5, seed=7)[1])


def test_priorities_are_uniform():
  rng = np.random.default_rng(3)
  key = jax.random.key(0)
  leaves = [rng.normal(size=(4000, 3)).astype(np.float32),
            rng.integers(0, 1000, 4000).astype(np.int32)]
  p = np.asarray(jax.jit(jax.vmap(
      lambda a, b: sampling.priority(key, [a, b])))(*leaves))
  assert len(np.unique(p)) > 3990
  np.testing.assert_allclose(np.quantile(p, [0.1, 0.25, 0.5, 0.75, 0.9]),
                             [0.1, 0.25, 0.5, 0.75, 0.9], atol=0.03)


def test_nested_finalized_metrics_keep_their_containers():
  aggregate = metrics.finalize_then_sample(
      lambda u: OD(pair=(u['a'], u['a'] * 2.0)), OD(a=np.float32), 2)
  result = aggregate([OD(a=np.float32(1.0)), OD(a=np.float32(3.0))])
  first, second = result['pair']
  assert first.shape == (2,)
  np.testing.assert_array_equal(second, first * 2)
  assert sorted(first.tolist()) == [1.0, 3.0]


def test_type_signature():
  aggregate = metrics.finalize_then_sample(FINALIZERS, TYPE, sample_size=3)
  assert str(aggregate.type_signature) == (
      '({<accuracy=float32[2],num_examples=int32>}@CLIENTS -> '
      '<accuracy=float32[3],num_examples=int32[3],num_samples=int32>@SERVER)')


def test_as_the_metrics_aggregator_of_fed_avg():
  model = fx.learning.models.FunctionalModel(
      initial_weights=((np.zeros(2, np.float32),), ()),
      predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
      loss_fn=fx.learning.models.mean_squared_error,
      input_spec=((np.float32, [None, 2]), (np.float32, [None])))
  process = fx.learning.algorithms.build_weighted_fed_avg(
      model, fx.learning.optimizers.build_sgdm(0.1),
      metrics_aggregator=functools.partial(metrics.finalize_then_sample,
                                           sample_size=2))
  data = [(np.ones((n, 2), np.float32), np.ones(n, np.float32))
          for n in (1, 2, 3)]
  train = process.next(process.initialize(), data).metrics['client_work'][
      'train']
  assert int(train['num_samples']) == 2
  assert train['num_examples'].shape == (2,)
  assert set(train['num_examples'].tolist()) <= {1, 2, 3}
  np.testing.assert_allclose(train['loss'], [1.0, 1.0], rtol=1e-6)


@pytest.mark.parametrize('kwargs,error,match', [
    (dict(sample_size=0), ValueError,
     'sample_size: expected a positive int, got 0'),
    (dict(sample_size=2.5), TypeError,
     'sample_size: expected a positive int, got float'),
    (dict(sample_size=True), TypeError, 'got bool'),
    (dict(seed='a'), TypeError, 'seed: expected an int, got str'),
    (dict(metric_finalizers={'accuracy': lambda v: v}), ValueError,
     'expected a finalizer for each metric'),
    (dict(metric_finalizers=lambda u: u['num_examples']), TypeError,
     'expected the finalized metrics to be a dict'),
    (dict(metric_finalizers=lambda u: {'num_samples': u['num_examples']}),
     ValueError, "named 'num_samples'"),
    (dict(local_unfinalized_metrics_type=(np.float32, [2])), TypeError,
     'expected a struct of named metrics'),
])
def test_argument_errors(kwargs, error, match):
  arguments = dict(metric_finalizers=FINALIZERS,
                   local_unfinalized_metrics_type=TYPE)
  arguments.update(kwargs)
  with pytest.raises(error, match=match):
    metrics.finalize_then_sample(**arguments)
