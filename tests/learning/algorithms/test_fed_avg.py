"""FedAvg and FedProx against the same algorithms written in plain JAX."""

import jax
import numpy as np
import optax
import pytest

import federax as fx
from tests.learning.algorithms import fedavg_testing as t

NO_SHUFFLE = fx.learning.ClientSpec(batch_size=4, shuffle=False)


def assert_trees_close(a, b, rtol=1e-5, atol=1e-6):
  jax.tree.map(lambda x, y: np.testing.assert_allclose(x, y, rtol=rtol,
                                                       atol=atol), a, b)


def test_one_client_one_batch_is_one_sgd_step():
  model = t.model()
  process = fx.learning.algorithms.build_weighted_fed_avg(
      model, fx.learning.optimizers.build_sgdm(0.5),
      client_spec=fx.learning.ClientSpec(batch_size=8))
  (x, y), = t.clients([8])
  state, metrics = process.next(process.initialize(), [(x, y)])
  initial = model.initial_weights[0]
  expected = t.sgd_epochs(initial, x, y, lr=0.5, batch_size=8)
  assert_trees_close(t.trainable_of(process, state), expected)
  train = metrics['client_work']['train']
  assert int(train['num_examples']) == 8 and int(train['num_batches']) == 1
  np.testing.assert_allclose(train['loss'], t.loss(initial, x, y), rtol=1e-5)


@pytest.mark.parametrize('weighted', [True, False])
def test_rounds_equal_plain_jax_fed_avg(weighted):
  sizes = [7, 12, 3]  # Padding: last batches of 3, 4 and 3 examples.
  data = t.clients(sizes)
  build = (fx.learning.algorithms.build_weighted_fed_avg if weighted else
           fx.learning.algorithms.build_unweighted_fed_avg)
  process = build(t.model(), fx.learning.optimizers.build_sgdm(0.1),
                  fx.learning.optimizers.build_sgdm(0.7),
                  client_spec=fx.learning.ClientSpec(
                      batch_size=4, num_epochs=2, shuffle=False))
  state = process.initialize()
  server = t.model().initial_weights[0]
  for _ in range(3):
    state, metrics = process.next(state, data)
    trained = [t.sgd_epochs(server, x, y, 0.1, 4, epochs=2) for x, y in data]
    weights = np.asarray(sizes, np.float32) * 2 if weighted else np.ones(3)
    mean_delta = jax.tree.map(
        lambda s, *ws: sum(w * (s - c) for w, c in zip(weights, ws)) /
        weights.sum(), server, *trained)
    server = jax.tree.map(lambda s, d: s - 0.7 * d, server, mean_delta)
    assert_trees_close(t.trainable_of(process, state), server, rtol=1e-4)
  train = metrics['client_work']['train']
  assert int(train['num_examples']) == 2 * sum(sizes)
  assert int(train['num_batches']) == 2 * (2 + 3 + 1)


def test_fed_prox_with_zero_strength_is_fed_avg():
  data = t.clients([6, 9])
  args = (fx.learning.optimizers.build_sgdm(0.2),)
  avg = fx.learning.algorithms.build_weighted_fed_avg(
      t.model(), *args, client_spec=NO_SHUFFLE)
  prox = fx.learning.algorithms.build_weighted_fed_prox(
      t.model(), 0.0, *args, client_spec=NO_SHUFFLE)
  a, p = avg.initialize(), prox.initialize()
  for _ in range(2):
    a, _ = avg.next(a, data)
    p, _ = prox.next(p, data)
  assert_trees_close(t.trainable_of(avg, a), t.trainable_of(prox, p))


def test_fed_prox_adds_the_proximal_gradient():
  (x, y), = t.clients([8])
  mu, lr = 0.5, 0.3
  process = fx.learning.algorithms.build_weighted_fed_prox(
      t.model(), mu, fx.learning.optimizers.build_sgdm(lr),
      client_spec=NO_SHUFFLE)
  state, _ = process.next(process.initialize(), [(x, y)])
  w0 = t.model().initial_weights[0]
  w = w0
  for start in (0, 4):
    grads = jax.grad(lambda p: t.loss(p, x[start:start + 4],
                                      y[start:start + 4]) + mu / 2 * sum(
        jax.numpy.sum((a - b) ** 2) for a, b in zip(
            jax.tree.leaves(p), jax.tree.leaves(w0))))(w)
    w = jax.tree.map(lambda p, g: p - lr * g, w, grads)
  assert_trees_close(t.trainable_of(process, state), w)


def test_rounds_are_deterministic_and_seeds_matter():
  data = t.clients([10, 13])

  def run(seed):
    process = fx.learning.algorithms.build_weighted_fed_avg(
        t.model(), fx.learning.optimizers.build_sgdm(0.3),
        client_spec=fx.learning.ClientSpec(batch_size=3, seed=seed))
    state = process.initialize()
    for _ in range(2):
      state, _ = process.next(state, data)
    return t.trainable_of(process, state)

  assert_trees_close(run(0), run(0), rtol=0, atol=0)
  assert not np.allclose(run(0)[0], run(1)[0])


def test_shuffling_differs_across_clients_with_different_data():
  # Two clients with the same examples in a different order train the
  # same model only if shuffling ignored the data; it does not.
  (x, y), = t.clients([9])
  order = np.arange(9)[::-1]
  process = fx.learning.algorithms.build_weighted_fed_avg(
      t.model(), fx.learning.optimizers.build_sgdm(0.5),
      client_spec=fx.learning.ClientSpec(batch_size=2))
  a, _ = process.next(process.initialize(), [(x, y)])
  b, _ = process.next(process.initialize(), [(x[order], y[order])])
  assert not np.allclose(t.trainable_of(process, a)[0],
                         t.trainable_of(process, b)[0])


def test_non_finite_updates_are_rejected_and_counted():
  data = t.clients([5, 5, 5])
  bad = (np.full_like(data[1][0], np.nan), data[1][1])
  process = fx.learning.algorithms.build_weighted_fed_avg(
      t.model(), fx.learning.optimizers.build_sgdm(0.1),
      client_spec=NO_SHUFFLE)
  state, metrics = process.next(process.initialize(), [data[0], bad, data[2]])
  assert int(metrics['client_work']['non_finite_updates']) == 1
  clean, _ = process.next(process.initialize(), [data[0], data[2]])
  assert_trees_close(t.trainable_of(process, state),
                     t.trainable_of(process, clean))


def test_hparams_read_and_set():
  data = t.clients([8])
  process = fx.learning.algorithms.build_weighted_fed_avg(
      t.model(), fx.learning.optimizers.build_sgdm(0.1),
      client_spec=NO_SHUFFLE)
  state = process.initialize()
  hparams = process.get_hparams(state)
  assert float(hparams['client_work']['learning_rate']) == pytest.approx(0.1)
  assert float(hparams['finalizer']['learning_rate']) == 1.0
  hparams['client_work']['learning_rate'] = np.float32(0.4)
  state = process.set_hparams(state, hparams)
  state, _ = process.next(state, data)
  faster = fx.learning.algorithms.build_weighted_fed_avg(
      t.model(), fx.learning.optimizers.build_sgdm(0.4),
      client_spec=NO_SHUFFLE)
  expected, _ = faster.next(faster.initialize(), data)
  assert_trees_close(t.trainable_of(process, state),
                     t.trainable_of(faster, expected))


def test_schedule_sets_the_client_learning_rate_per_round():
  (x, y), = t.clients([4])
  process = fx.learning.algorithms.build_weighted_fed_avg_with_optimizer_schedule(
      t.model(), lambda round_num: 0.4 / (1.0 + round_num),
      optax.sgd, client_spec=NO_SHUFFLE)
  state = process.initialize()
  expected = t.model().initial_weights[0]
  for r in range(3):
    state, _ = process.next(state, [(x, y)])
    expected = t.sgd_epochs(expected, x, y, 0.4 / (1 + r), 4)
  assert_trees_close(t.trainable_of(process, state), expected)


def test_set_model_weights_starts_from_given_weights():
  process = fx.learning.algorithms.build_weighted_fed_avg(
      t.model(), fx.learning.optimizers.build_sgdm(0.1))
  state = process.initialize()
  weights = process.get_model_weights(state)
  zeros = weights._replace(trainable=jax.tree.map(np.zeros_like,
                                                  weights.trainable))
  state = process.set_model_weights(state, zeros)
  assert_trees_close(process.get_model_weights(state).trainable,
                     zeros.trainable)


def test_interpreter_agrees_with_the_jax_backend():
  data = t.clients([6, 3])
  process = fx.learning.algorithms.build_weighted_fed_avg(
      t.model(), fx.learning.optimizers.build_adam(0.05),
      fx.learning.optimizers.build_sgdm(1.0, momentum=0.9),
      client_spec=fx.learning.ClientSpec(batch_size=4))
  on_jax = process.initialize()
  for _ in range(2):
    on_jax, jax_metrics = process.next(on_jax, data)
  with fx.backends.interpreter.interpreter_context():
    on_interpreter = process.initialize()
    for _ in range(2):
      on_interpreter, metrics = process.next(on_interpreter, data)
  assert_trees_close(on_jax, on_interpreter, rtol=1e-5)
  assert_trees_close(jax_metrics, metrics, rtol=1e-5)


def test_client_data_of_the_wrong_type_names_both_types():
  process = fx.learning.algorithms.build_weighted_fed_avg(
      t.model(), fx.learning.optimizers.build_sgdm(0.1))
  wrong = [(np.zeros((4, t.DIM + 1), np.float32), np.zeros(4, np.int32))]
  with pytest.raises(TypeError,
                     match=r'client_data.*float32\[\?,5\].*float32\[4,6\]'):
    process.next(process.initialize(), wrong)


def test_bad_arguments():
  with pytest.raises(TypeError, match='client_optimizer_fn|optimizer'):
    fx.learning.algorithms.build_weighted_fed_avg(t.model(), 'sgd')
  with pytest.raises(ValueError, match='proximal_strength'):
    fx.learning.algorithms.build_weighted_fed_prox(
        t.model(), -1.0, fx.learning.optimizers.build_sgdm(0.1))
  with pytest.raises(TypeError, match='client_spec'):
    fx.learning.algorithms.build_weighted_fed_avg(
        t.model(), fx.learning.optimizers.build_sgdm(0.1), client_spec=20)
  with pytest.raises(ValueError, match='batch_size'):
    fx.learning.ClientSpec(batch_size=0)
  with pytest.raises(TypeError, match='model_aggregator'):
    fx.learning.algorithms.build_weighted_fed_avg(
        t.model(), fx.learning.optimizers.build_sgdm(0.1),
        model_aggregator='mean')


def test_a_serialized_process_runs_the_same_round():
  process = fx.learning.algorithms.build_weighted_fed_avg(
      t.model(), fx.learning.optimizers.build_adam(0.1),
      client_spec=fx.learning.ClientSpec(batch_size=4))
  initialize = fx.deserialize(fx.serialize(process.initialize))
  next_fn = fx.deserialize(fx.serialize(process.next))
  data = t.clients([5, 9])
  expected, expected_metrics = process.next(process.initialize(), data)
  state, metrics = next_fn(initialize(), data)
  assert_trees_close(jax.tree.leaves(state), jax.tree.leaves(expected),
                     rtol=0, atol=0)
  assert_trees_close(jax.tree.leaves(metrics),
                     jax.tree.leaves(expected_metrics), rtol=0, atol=0)


def test_optimizer_errors_name_the_argument():
  with pytest.raises(TypeError, match='^client_optimizer_fn: expected an optax'):
    fx.learning.algorithms.build_weighted_fed_avg(t.model(), 'sgd')
  with pytest.raises(TypeError, match='^server_optimizer_fn: expected an optax'):
    fx.learning.algorithms.build_weighted_fed_avg(
        t.model(), fx.learning.optimizers.build_sgdm(0.1), 'sgd')


def test_a_round_trains_each_client_once(monkeypatch):
  # The metrics are finalized at the server before the update's mean is
  # taken; the backend still runs every aggregation of the round in one
  # pass over the clients, so local training is traced and run once.
  from federax.backends.jax import aggregation
  passes = []
  run_pass = aggregation.run_pass

  def counting(plan, inputs, aggregations, outputs):
    passes.append(len(aggregations))
    return run_pass(plan, inputs, aggregations, outputs)

  monkeypatch.setattr(aggregation, 'run_pass', counting)
  process = fx.learning.algorithms.build_weighted_fed_avg(
      t.model(), fx.learning.optimizers.build_sgdm(0.1))
  process.next(process.initialize(), t.clients([5, 7]))
  assert len(passes) == 1 and passes[0] >= 3
