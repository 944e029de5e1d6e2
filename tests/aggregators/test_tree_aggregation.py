"""Tree aggregation (DP-FTRL): cumulative sums, noise growth, restarts."""

import dp_accounting
import numpy as np
import pytest

import federax as fx

DPF = fx.aggregators.DifferentiallyPrivateFactory
DIM = 4000
VEC = fx.TensorType(np.float32, [DIM])


def run(factory, rounds, values):
  """The results of `rounds` rounds on the same client values."""
  process = factory.create((np.float32, list(values.shape[1:])))
  state, results = process.initialize(), []
  for _ in range(rounds):
    output = process.next(state, values)
    state = output.state
    results.append(np.asarray(output.result))
  return np.stack(results)


def test_without_noise_each_round_is_its_clipped_mean():
  rng = np.random.default_rng(0)
  values = rng.normal(size=(3, 5)).astype(np.float32)
  factory = DPF.tree_aggregation(0.0, clients_per_round=4, l2_norm_clip=1.0,
                                 record_specs=(np.float32, [5]), noise_seed=0)
  results = run(factory, 9, values)
  norms = np.linalg.norm(values, axis=1, keepdims=True)
  mean = (values * np.minimum(1.0, 1.0 / norms)).sum(0) / 4
  np.testing.assert_allclose(results, np.tile(mean, (9, 1)), atol=1e-6)
  # The cumulative sums are those of the records.
  np.testing.assert_allclose(results.cumsum(0)[-1], 9 * mean, rtol=1e-5)


def cumulative_noise_variances(use_efficient, rounds, tree_depth=16):
  factory = DPF.tree_aggregation(
      1.0, clients_per_round=1, l2_norm_clip=2.0, record_specs=VEC,
      noise_seed=1, use_efficient=use_efficient, tree_depth=tree_depth)
  results = run(factory, rounds, np.zeros([1, DIM], np.float32))
  return results.cumsum(0).var(axis=1) / 4.0  # In units of sigma^2.


def test_plain_tree_noise_variance_grows_like_log2_rounds():
  # The noise of the sum of rounds 1..t is that of one node per set bit of
  # t: variance popcount(t) sigma^2, log2(t + 1) sigma^2 at t = 2^k - 1.
  variances = cumulative_noise_variances(False, 15)
  for t in range(1, 16):
    assert variances[t - 1] == pytest.approx(bin(t).count('1'), rel=0.1), t
  assert [round(variances[t - 1]) for t in (1, 3, 7, 15)] == [1, 2, 3, 4]


def test_efficient_tree_has_less_noise():
  # Honaker: a node at level l has variance sigma^2 / (2 - 2^-l).
  variances = cumulative_noise_variances(True, 15)
  for t in range(1, 16):
    want = sum(1 / (2 - 2.0**-level) for level in range(4) if t >> level & 1)
    assert variances[t - 1] == pytest.approx(want, rel=0.1), t
  assert variances[14] < 0.75 * 4  # The plain tree: 4.


def test_tree_restarts_when_full():
  # Depth 2: trees of 3 rounds. At round 4 a new tree holds one round.
  variances = cumulative_noise_variances(False, 7, tree_depth=2)
  want = [1, 1, 2, 3, 3, 4, 5]  # popcount within each tree, added up.
  np.testing.assert_allclose(variances, want, rtol=0.1)


def test_dp_event_and_epsilon():
  factory = DPF.tree_aggregation(1.2, 10, 1.0, VEC, tree_depth=3)
  assert factory.dp_event(16) == (
      dp_accounting.SingleEpochTreeAggregationDpEvent(1.2, [7, 7, 2]))
  assert factory.dp_event(7) == (
      dp_accounting.SingleEpochTreeAggregationDpEvent(1.2, [7]))
  event = dp_accounting.SingleEpochTreeAggregationDpEvent(1.2, [7, 7, 2])
  want = dp_accounting.rdp.RdpAccountant(
      neighboring_relation=dp_accounting.NeighboringRelation.REPLACE_SPECIAL
  ).compose(event).get_epsilon(1e-5)
  assert fx.aggregators.compute_epsilon(factory, 16, 1e-5) == want
  with pytest.raises(ValueError, match=r'tree aggregation are accounted as '
                     r'one tree .* leave population_size unset'):
    factory.dp_event(16, population_size=1000)
  with pytest.raises(ValueError, match=r"the 'pld' accountant cannot "
                     r"account for .*accountant='rdp'"):
    fx.aggregators.compute_epsilon(factory, 16, 1e-5, accountant='pld')


def test_query_errors():
  with pytest.raises(ValueError, match=r'TreeResidualSumQuery: tree_depth: '
                     r'expected an int >= 1, got 0'):
    fx.aggregators.TreeResidualSumQuery(1.0, 1.0, np.float32, tree_depth=0)
  with pytest.raises(TypeError, match=r'TreeResidualSumQuery: value_type: '
                     r'expected a type'):
    fx.aggregators.TreeResidualSumQuery(1.0, 1.0, 'float99')


def test_a_serialized_tree_process_gives_the_same_rounds():
  process = DPF.tree_aggregation(1.0, 2, 1.0, (np.float32, [3]),
                                 noise_seed=4).create((np.float32, [3]))
  initialize = fx.deserialize(fx.serialize(process.initialize))
  next_fn = fx.deserialize(fx.serialize(process.next))
  values = np.ones([2, 3], np.float32)
  a, b = process.initialize(), initialize()
  for _ in range(3):
    a, b = process.next(a, values), next_fn(b, values)
    np.testing.assert_array_equal(a.result, b.result)
    a, b = a.state, b.state
