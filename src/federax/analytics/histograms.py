"""Federated histograms over fixed bins, optionally secure or private.

Each client counts its values per bin; an aggregator from `fx.aggregators`
sums the counts: `SumFactory` (exact), `SecureSumFactory` (exact, the
server sees only the sum), or a private sum: Gaussian noise on the counts
through `DifferentiallyPrivateFactory` (`noise_multiplier=` builds one).
"""

from __future__ import annotations

import collections

import numpy as np

from federax.aggregators import differential_privacy
from federax.aggregators import factory as factory_lib
from federax.aggregators import gaussian_query
from federax.aggregators import sum_factory
from federax.analytics import privacy
from federax.analytics import sketching
from federax.core import aggregation_intrinsics
from federax.core import federated_computation
from federax.core import intrinsics
from federax.core import jax_computation
from federax.core import placements
from federax.core import types
from federax.templates import measured_process

WHO = 'build_histogram_process'


def check_edges(bin_edges, who: str = WHO) -> np.ndarray:
  """`bin_edges` as float32, checked: at least 2, finite, increasing."""
  try:
    edges = np.asarray(bin_edges, np.float64)
  except (TypeError, ValueError):
    edges = None
  if edges is None or edges.ndim != 1 or len(edges) < 2 or not np.all(
      np.isfinite(edges)) or not np.all(np.diff(edges) > 0):
    raise ValueError(f'{who}: bin_edges: expected at least 2 finite, strictly'
                     f' increasing numbers (e.g. np.linspace(0, 1, 11)), got '
                     f'{bin_edges!r}.')
  return edges.astype(np.float32)


def client_histogram(edges, data, max_values_per_client=None):
  """`int32[len(edges) - 1]`: one client's counts per bin.

  Bins are `[edges[i], edges[i + 1])`, the last one closed; values below
  the first edge count in the first bin, values above the last in the
  last (clamped); NaNs are ignored. With `max_values_per_client` only the
  client's first that many values count.

  Example:
    >>> import numpy as np, federax as fx
    >>> from federax.analytics import histograms
    >>> @fx.jax_computation(fx.SequenceType(np.float32))
    ... def counts(values):
    ...   return histograms.client_histogram(np.array([0.0, 1.0, 2.0]),
    ...                                      values)
    >>> counts([0.5, 1.0, 2.0, 7.0, -3.0]).tolist()
    [2, 3]
  """
  import jax
  import jax.numpy as jnp
  values, length, size = sketching.examples(data)
  edges = jnp.asarray(edges, jnp.float32)
  num_bins = edges.shape[0] - 1
  take = (jnp.arange(size) < length) & ~jnp.isnan(values)
  if max_values_per_client is not None:
    take = take & (jnp.arange(size) < max_values_per_client)
  bins = jnp.clip(jnp.searchsorted(edges, values, side='right') - 1, 0,
                  num_bins - 1)
  return jax.ops.segment_sum(take.astype(jnp.int32), bins,
                             num_segments=num_bins)


def _aggregator(aggregator, z, max_values, noise_seed, num_bins):
  """`(process, dtype)`: the counts' aggregation and the counts' dtype."""
  if z is not None:
    if aggregator is not None:
      raise ValueError(f'{WHO}: aggregator: expected None with '
                       f'noise_multiplier (which builds the private '
                       f'aggregator), got {type(aggregator).__name__}.')
    if max_values is None:
      raise ValueError(f'{WHO}: max_values_per_client: expected an int with '
                       f'noise_multiplier (it bounds what one client adds to '
                       f'the counts), got None.')
    query = gaussian_query.GaussianSumQuery(float(max_values),
                                            z * float(max_values))
    aggregator = differential_privacy.DifferentiallyPrivateFactory(
        query, noise_seed=noise_seed)
  if aggregator is None:
    aggregator = sum_factory.SumFactory()
  if not isinstance(aggregator, factory_lib.UnweightedAggregationFactory):
    raise TypeError(f'{WHO}: aggregator: expected an unweighted aggregation '
                    f'factory (e.g. fx.aggregators.SumFactory() or '
                    f'SecureSumFactory(upper_bound)), got '
                    f'{type(aggregator).__name__}.')
  private = isinstance(aggregator,
                       differential_privacy.DifferentiallyPrivateFactory)
  dtype = np.float32 if private else np.int32
  return aggregator.create(types.TensorType(dtype, [num_bins])), dtype


def build_histogram_process(bin_edges, *, max_values_per_client=None,
                            aggregator=None, noise_multiplier=None,
                            noise_seed=None):
  """A `MeasuredProcess` computing the histogram of the clients' values.

  `next(state, client_values)` takes `{float32*}@CLIENTS` (a list with one
  1-D array per client) and returns the counts per bin (see
  `client_histogram` for the bins) summed over clients by `aggregator`,
  with measurements `num_clients` and the aggregator's under
  `aggregator`; the state is the aggregator's.

  With `noise_multiplier` z (and `max_values_per_client` m, required),
  the counts are a Gaussian sum query: a client's counts have L2 norm at
  most m, and N(0, (z m)^2) noise is added to every count (the counts are
  then float32). Any `DifferentiallyPrivateFactory` may be passed as
  `aggregator` instead (counts are float32 with it too).

  Example:
    >>> import numpy as np, federax as fx
    >>> process = fx.analytics.build_histogram_process([0, 1, 2, 3])
    >>> output = process.next(process.initialize(),
    ...                       [np.array([0.5, 2.5], np.float32),
    ...                        np.array([1.5, 2.0, 2.9], np.float32)])
    >>> output.result.tolist(), int(output.measurements['num_clients'])
    ([1, 1, 3], 2)
  """
  edges = check_edges(bin_edges)
  m = privacy.check_count(max_values_per_client, 'max_values_per_client',
                          WHO)
  z = privacy.check_noise(noise_multiplier, WHO)
  process, dtype = _aggregator(aggregator, z, m, noise_seed, len(edges) - 1)
  data_t = types.SequenceType(types.TensorType(np.float32))

  def counts_fn(values):
    return client_histogram(edges, values, m).astype(dtype)

  counts = jax_computation.jax_computation(counts_fn, data_t)

  @federated_computation.federated_computation()
  def init_fn():
    return process.initialize()

  @federated_computation.federated_computation(
      init_fn.type_signature.result, types.type_at_clients(data_t))
  def next_fn(state, client_values):
    aggregated = process.next(state,
                              intrinsics.federated_map(counts, client_values))
    clients = aggregation_intrinsics.federated_sum(
        intrinsics.federated_value(np.int32(1), placements.CLIENTS))
    measurements = intrinsics.federated_zip(collections.OrderedDict(
        num_clients=clients, aggregator=aggregated.measurements))
    return measured_process.MeasuredProcessOutput(
        aggregated.state, aggregated.result, measurements)

  return measured_process.MeasuredProcess(init_fn, next_fn)


def histogram(client_values, bin_edges, **kwargs) -> np.ndarray:
  """The counts per bin of the clients' values (one round; see
  `build_histogram_process` for `kwargs`).

  Example:
    >>> import federax as fx
    >>> fx.analytics.histogram([[0.1, 0.2], [0.7]], [0.0, 0.5, 1.0]).tolist()
    [2, 1]
  """
  process = build_histogram_process(bin_edges, **kwargs)
  data = [np.asarray(v, np.float32).reshape(-1) for v in client_values]
  return np.asarray(process.next(process.initialize(), data).result)
