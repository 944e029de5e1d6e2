"""`dp_aggregator` and DP FedAvg end to end on a toy model."""

import collections

import numpy as np
import pytest

import federax as fx
from tests.learning.algorithms import fedavg_testing as t

OD = collections.OrderedDict


def teacher_clients(num_clients, size, seed=0):
  """Client datasets labelled by a fixed linear teacher (learnable)."""
  rng = np.random.default_rng(seed)
  teacher = rng.normal(size=(t.DIM, t.CLASSES)).astype(np.float32)
  data = []
  for _ in range(num_clients):
    x = rng.normal(size=(size, t.DIM)).astype(np.float32)
    data.append((x, np.argmax(x @ teacher, axis=1).astype(np.int32)))
  return data


def test_preset_structure_and_measurements():
  aggregator = fx.aggregators.dp_aggregator(0.0, clients_per_round=4,
                                            noise_seed=0)
  assert isinstance(aggregator, fx.aggregators.UnweightedAggregationFactory)
  process = aggregator.create(fx.TensorType(np.float32, [2]))
  values = [[0.03, 0.04], [0.0, 0.01], [0.3, 0.4], [1e6, 0.0]]
  output = process.next(process.initialize(), values)
  measurements = output.measurements
  assert list(measurements) == ['zeroing', 'zeroing_norm', 'zeroed_count']
  assert float(measurements['zeroing_norm']) == 21.0  # 2 * 10 + 1.
  assert int(measurements['zeroed_count']) == 1
  clip = 0.1  # The initial adaptive clip; the zeroed value counts as 0.
  want = (np.array([0.03, 0.04]) + np.array([0.0, 0.01]) +
          np.array([0.06, 0.08])) / 4
  np.testing.assert_allclose(output.result, want, rtol=1e-5)
  assert measurements['zeroing']['dp_query_metrics']['clip'] != clip
  plain = fx.aggregators.dp_aggregator(1.0, 100, zeroing=False)
  assert isinstance(plain, fx.aggregators.DifferentiallyPrivateFactory)
  with pytest.raises(TypeError, match='dp_aggregator: zeroing: expected a '
                     'bool, got str'):
    fx.aggregators.dp_aggregator(1.0, 100, zeroing='yes')


def test_dp_fed_avg_trains_a_toy_model():
  clients = teacher_clients(10, 16)
  aggregator = fx.aggregators.dp_aggregator(noise_multiplier=0.5,
                                            clients_per_round=10,
                                            noise_seed=3)
  process = fx.learning.algorithms.build_weighted_fed_avg(
      t.model(), fx.learning.optimizers.build_sgdm(0.5),
      model_aggregator=aggregator,
      client_spec=fx.learning.ClientSpec(batch_size=8, shuffle=False))
  state = process.initialize()
  losses, clips = [], []
  for _ in range(12):
    state, metrics = process.next(state, clients)
    losses.append(float(metrics['client_work']['train']['loss']))
    measured = metrics['aggregator']
    clips.append(float(measured['zeroing']['dp_query_metrics']['clip']))
    assert int(measured['zeroed_count']) == 0
  assert losses[-1] < 0.7 * losses[0]
  assert clips[-1] > clips[0]  # The adaptive clip grows from 0.1.
  epsilon = fx.aggregators.compute_epsilon(aggregator, 12, 1e-5,
                                           population_size=1000)
  assert 0 < epsilon < float('inf')


def test_dp_fed_avg_runs_are_reproducible_given_the_seed():
  clients = teacher_clients(3, 8, seed=1)
  process = fx.learning.algorithms.build_unweighted_fed_avg(
      t.model(), fx.learning.optimizers.build_sgdm(0.5),
      model_aggregator=fx.aggregators.DifferentiallyPrivateFactory
      .gaussian_fixed(1.0, 3, clip=0.5, noise_seed=5),
      client_spec=fx.learning.ClientSpec(batch_size=8, shuffle=False))

  def trained():
    state, runs = process.initialize(), []
    for _ in range(2):
      state, _ = process.next(state, clients)
      runs.append(t.trainable_of(process, state)[0])
    return runs

  first, second = trained(), trained()
  np.testing.assert_array_equal(first, second)
  assert not np.allclose(first[0], first[1])
