"""compression_aggregator: FedAvg with compressed updates trains."""

import numpy as np

import federax as fx
from tests.learning.algorithms import fedavg_testing as t

DATA = t.clients([20, 30, 25, 15])
PARAMS = t.DIM * t.CLASSES + t.CLASSES  # 18 float32 values.


def _train(process, rounds=5):
  state, losses = process.initialize(), []
  for _ in range(rounds):
    state, metrics = process.next(state, DATA)
    losses.append(float(metrics['client_work']['train']['loss']))
  return state, metrics, losses


def test_weighted_fed_avg_with_the_default_compression_aggregator_trains():
  process = fx.learning.algorithms.build_weighted_fed_avg(
      t.model(), fx.learning.optimizers.build_sgdm(0.5),
      model_aggregator=fx.aggregators.compression_aggregator())
  _, metrics, losses = _train(process)
  assert losses[-1] < losses[0] - 0.05
  assert all(b < a for a, b in zip(losses, losses[1:]))
  aggregator = metrics['aggregator']
  assert int(aggregator['zeroed_count']) == 0
  mean = aggregator['zeroing']['clipping']['mean_value']
  # Tensors of at most 20000 elements are sent as they are (as in TFF).
  assert float(mean['bits_per_client']) == 32 * PARAMS
  assert float(mean['compression_ratio']) == 1.0


def test_unweighted_fed_avg_with_quantized_updates_trains():
  process = fx.learning.algorithms.build_unweighted_fed_avg(
      t.model(), fx.learning.optimizers.build_sgdm(0.5),
      model_aggregator=fx.aggregators.compression_aggregator(
          weighted=False, threshold=0))
  _, metrics, losses = _train(process)
  assert losses[-1] < losses[0] - 0.05
  mean = metrics['aggregator']['zeroing']['clipping']['mean_value']
  bits = 8 * PARAMS + 64 * 2  # Codes, and a min and max per tensor.
  assert float(mean['bits_per_client']) == bits
  assert float(mean['compression_ratio']) == np.float32(32 * PARAMS / bits)
