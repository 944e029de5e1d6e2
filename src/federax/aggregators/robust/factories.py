"""Byzantine-robust aggregation factories: median, trimmed mean, Krum.

None of them decomposes into sums: each gathers the client values at the
server with `client_buffer.gather` (one `fx.federated_aggregate` with
`max_clients` slots) and computes its statistic there. With more than
`max_clients` clients the statistic is computed on a uniform sample of
`max_clients` of them (the same on every backend); the measurements say
so: `num_clients` (how many took part) and `num_kept` (how many the
statistic saw). No state.
"""

from __future__ import annotations

import collections
import numbers

from federax.aggregators import client_buffer
from federax.aggregators import factory
from federax.aggregators import sum_factory
from federax.aggregators.robust import statistics
from federax.core import federated_computation
from federax.core import intrinsics
from federax.core import types
from federax.templates import aggregation_process
from federax.templates import measured_process


def _int_at_least(value, name: str, low: int, who: str) -> int:
  if isinstance(value, bool) or not isinstance(value, numbers.Integral):
    raise TypeError(f'{who}: {name}: expected an int, got '
                    f'{type(value).__name__}.')
  if value < low:
    raise ValueError(f'{who}: {name}: expected an int >= {low}, got '
                     f'{value}.')
  return int(value)


class _GatheringFactory(factory.UnweightedAggregationFactory):
  """Gathers up to `max_clients` values, then computes `_statistic`."""

  _who = ''

  def __init__(self, max_clients: int, seed: int):
    self._max_clients = _int_at_least(max_clients, 'max_clients', 1,
                                      self._who)
    self._seed = _int_at_least(seed, 'seed', 0, self._who)

  def _statistic(self, rows, mask):
    raise NotImplementedError

  def create(self, value_type) -> aggregation_process.AggregationProcess:
    who = f'{self._who}.create'
    value_type = factory.value_type_of(value_type, who)
    factory.check_float(value_type, who)
    statistic, size, seed = self._statistic, self._max_clients, self._seed

    def report(rows, mask, count, priorities):
      import jax.numpy as jnp
      return statistic(rows, mask), count, jnp.sum(mask, dtype=jnp.int32)

    @federated_computation.federated_computation()
    def init_fn():
      return sum_factory.empty_at_server()

    @federated_computation.federated_computation(
        init_fn.type_signature.result, types.type_at_clients(value_type))
    def next_fn(state, value):
      gathered = client_buffer.gather(value, value_type, size, seed, report,
                                      type(self).__name__)
      measurements = intrinsics.federated_zip(collections.OrderedDict(
          num_clients=gathered[1], num_kept=gathered[2]))
      return measured_process.MeasuredProcessOutput(
          state=state, result=gathered[0], measurements=measurements)

    return aggregation_process.AggregationProcess(init_fn, next_fn)


class CoordinateWiseMedianFactory(_GatheringFactory):
  """The coordinate-wise median of the client values (Yin et al., 2018).

  Robust to fewer than half of the clients being arbitrary. Unweighted;
  wrap it in `fx.aggregators.as_weighted_aggregator` where a weighted
  factory is expected. Values gather in `max_clients` slots (see the module
  docstring).

  Example:
    >>> import numpy as np, federax as fx
    >>> process = fx.aggregators.CoordinateWiseMedianFactory().create(
    ...     fx.TensorType(np.float32, [2]))
    >>> output = process.next(process.initialize(),
    ...                       [[1.0, 0.0], [2.0, 1.0], [100.0, -100.0]])
    >>> output.result.tolist(), int(output.measurements['num_clients'])
    ([2.0, 0.0], 3)
  """

  _who = 'CoordinateWiseMedianFactory'

  def __init__(self, max_clients: int = 100, seed: int = 0):
    super().__init__(max_clients, seed)

  def _statistic(self, rows, mask):
    return statistics.coordinate_median(rows, mask)


class TrimmedMeanFactory(_GatheringFactory):
  """The coordinate-wise mean without the `floor(trim_fraction * n)`
  smallest and largest values of each coordinate (Yin et al., 2018).

  `trim_fraction` is in `[0, 0.5)`; 0 is the plain mean. Unweighted.

  Example:
    >>> import numpy as np, federax as fx
    >>> process = fx.aggregators.TrimmedMeanFactory(0.25).create(
    ...     fx.TensorType(np.float32))
    >>> float(process.next(process.initialize(),
    ...                    [1.0, 2.0, 3.0, 1000.0]).result)
    2.5
  """

  _who = 'TrimmedMeanFactory'

  def __init__(self, trim_fraction: float = 0.1, max_clients: int = 100,
               seed: int = 0):
    if isinstance(trim_fraction, bool) or not isinstance(trim_fraction,
                                                         numbers.Real):
      raise TypeError(f'{self._who}: trim_fraction: expected a float in '
                      f'[0, 0.5), got {type(trim_fraction).__name__}.')
    if not 0 <= trim_fraction < 0.5:
      raise ValueError(f'{self._who}: trim_fraction: expected a float in '
                       f'[0, 0.5) (the share trimmed at each end), got '
                       f'{trim_fraction}.')
    super().__init__(max_clients, seed)
    self._trim_fraction = float(trim_fraction)

  def _statistic(self, rows, mask):
    return statistics.trimmed_mean(rows, mask, self._trim_fraction)


class KrumFactory(_GatheringFactory):
  """Krum and multi-Krum (Blanchard et al., NeurIPS 2017).

  Each value is scored by the summed squared distances to its `n -
  num_byzantine - 2` nearest neighbours; Krum returns the value of best
  score, multi-Krum (`num_selected > 1`) the mean of the `num_selected`
  best. Tolerates `num_byzantine` arbitrary clients when `n > 2 *
  num_byzantine + 2`. Unweighted.

  Example:
    >>> import numpy as np, federax as fx
    >>> process = fx.aggregators.KrumFactory(num_byzantine=1).create(
    ...     fx.TensorType(np.float32, [2]))
    >>> values = [[0.0, 0.0], [0.1, 0.0], [0.0, 0.1], [9.0, 9.0]]
    >>> process.next(process.initialize(), values).result.tolist()
    [0.0, 0.0]
    >>> multi = fx.aggregators.KrumFactory(1, num_selected=3).create(
    ...     fx.TensorType(np.float32, [2]))
    >>> print(multi.next(multi.initialize(), values).result.round(4))
    [0.0333 0.0333]
  """

  _who = 'KrumFactory'

  def __init__(self, num_byzantine: int, num_selected: int = 1,
               max_clients: int = 100, seed: int = 0):
    self._num_byzantine = _int_at_least(num_byzantine, 'num_byzantine', 0,
                                        self._who)
    self._num_selected = _int_at_least(num_selected, 'num_selected', 1,
                                       self._who)
    super().__init__(max_clients, seed)
    if self._num_selected > self._max_clients:
      raise ValueError(f'{self._who}: num_selected: expected at most '
                       f'max_clients={self._max_clients}, got '
                       f'{self._num_selected}.')

  def _statistic(self, rows, mask):
    return statistics.multi_krum(rows, mask, self._num_byzantine,
                                 self._num_selected)
