"""Federated quantile estimation from a histogram over a fixed range.

The clients' values are counted in `num_bins` equal bins over `[lower,
upper]` (`build_histogram_process`, so secure sums and differential
privacy come with it), and the server reads the quantiles off the
histogram's cumulative counts, interpolating linearly inside a bin. One
round suffices; without noise an estimate is off by at most one bin width
(`(upper - lower) / num_bins`) from the sample quantile, for values inside
the range.
"""

from __future__ import annotations

import numbers

import numpy as np

from federax.analytics import histograms
from federax.core import federated_computation
from federax.core import intrinsics
from federax.core import jax_computation
from federax.core import types
from federax.templates import measured_process

WHO = 'build_quantile_estimation_process'


def _check(quantiles, lower, upper, num_bins):
  try:
    qs = np.asarray(quantiles, np.float64).reshape(-1)
  except (TypeError, ValueError):
    qs = None
  if qs is None or len(qs) == 0 or not np.all((qs >= 0) & (qs <= 1)):
    raise ValueError(f'{WHO}: quantiles: expected numbers in [0, 1] (e.g. '
                     f'[0.5] for the median), got {quantiles!r}.')
  for name, value in (('lower', lower), ('upper', upper)):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or (
        not np.isfinite(value)):
      raise ValueError(f'{WHO}: {name}: expected a finite number, got '
                       f'{value!r}.')
  if not lower < upper:
    raise ValueError(f'{WHO}: upper: expected a number above lower '
                     f'({lower}), got {upper}.')
  if isinstance(num_bins, bool) or not isinstance(
      num_bins, numbers.Integral) or num_bins < 1:
    raise ValueError(f'{WHO}: num_bins: expected an int >= 1, got '
                     f'{num_bins!r}.')
  return qs.astype(np.float32)


def quantiles_from_histogram(counts, edges, quantiles):
  """Quantile estimates from counts per bin: the inverse of the piecewise
  linear cumulative distribution.

  Noisy counts may be negative. Rather than clipping each (which adds the
  positive part of the noise of every empty bin, and biases the upper
  quantiles), the cumulative sums of the raw counts (unbiased) are made
  non-decreasing by a running maximum.

  Example:
    >>> import numpy as np
    >>> from federax.analytics import quantile_estimation
    >>> quantile_estimation.quantiles_from_histogram(
    ...     np.array([2, 0, 2]), np.array([0.0, 1.0, 2.0, 3.0]),
    ...     np.array([0.25, 0.75])).tolist()
    [0.5, 2.5]
  """
  import jax
  import jax.numpy as jnp
  counts = jnp.asarray(counts, jnp.float32)
  raw = jnp.concatenate([jnp.zeros(1), jnp.cumsum(counts)])
  cumulative = jax.lax.cummax(raw)
  masses = jnp.diff(cumulative)
  targets = jnp.asarray(quantiles, jnp.float32) * jnp.maximum(raw[-1], 0.0)
  edges = jnp.asarray(edges, jnp.float32)
  # The bin holding each target: the last edge whose cumulative count is
  # below it (for a target of 0, the first bin with any count).
  below = jnp.sum(cumulative[None, :-1] < targets[:, None], axis=1) - 1
  first = jnp.argmax(masses > 0)
  bin_index = jnp.where(targets > 0, below, first)
  bin_index = jnp.clip(bin_index, 0, counts.shape[0] - 1)
  start = cumulative[bin_index]
  mass = masses[bin_index]
  fraction = jnp.where(mass > 0, (targets - start) / jnp.maximum(mass, 1e-12),
                       0.0)
  width = edges[bin_index + 1] - edges[bin_index]
  return edges[bin_index] + jnp.clip(fraction, 0.0, 1.0) * width


def build_quantile_estimation_process(quantiles, lower, upper, *,
                                      num_bins: int = 256, **kwargs):
  """A `MeasuredProcess` estimating `quantiles` of the clients' values.

  `next(state, client_values)` takes `{float32*}@CLIENTS` and returns
  `float32[len(quantiles)]`; the state and measurements are those of the
  histogram process over `num_bins` equal bins of `[lower, upper]`
  (values outside are clamped to the range), which `kwargs` configure
  (`max_values_per_client`, `aggregator`, `noise_multiplier`,
  `noise_seed`: see `build_histogram_process`).

  Example:
    >>> import numpy as np, federax as fx
    >>> process = fx.analytics.build_quantile_estimation_process(
    ...     [0.5], lower=0.0, upper=10.0, num_bins=100)
    >>> output = process.next(process.initialize(),
    ...                       [np.arange(1, 6, dtype=np.float32),
    ...                        np.arange(6, 10, dtype=np.float32)])
    >>> [round(float(v), 2) for v in output.result]  # 5, within a bin
    [5.05]
  """
  qs = _check(quantiles, lower, upper, num_bins)
  edges = np.linspace(lower, upper, num_bins + 1).astype(np.float32)
  hist = histograms.build_histogram_process(edges, **kwargs)
  counts_t = hist.result_type.member
  estimate = jax_computation.jax_computation(
      lambda counts: quantiles_from_histogram(counts, edges, qs), counts_t)
  data_t = types.SequenceType(types.TensorType(np.float32))

  @federated_computation.federated_computation(
      hist.state_type, types.type_at_clients(data_t))
  def next_fn(state, client_values):
    output = hist.next(state, client_values)
    return measured_process.MeasuredProcessOutput(
        output.state, intrinsics.federated_map(estimate, output.result),
        output.measurements)

  return measured_process.MeasuredProcess(hist.initialize, next_fn)


def quantiles(client_values, quantiles, lower, upper, **kwargs):
  """Estimates of `quantiles` of the clients' values, as a numpy array
  (one round of `build_quantile_estimation_process`).

  Example:
    >>> import federax as fx
    >>> fx.analytics.quantiles([[1.0, 2.0], [3.0, 4.0]], [0.0, 1.0],
    ...                        lower=0.0, upper=4.0, num_bins=4).tolist()
    [1.0, 4.0]
  """
  process = build_quantile_estimation_process(quantiles, lower, upper,
                                              **kwargs)
  data = [np.asarray(v, np.float32).reshape(-1) for v in client_values]
  return np.asarray(process.next(process.initialize(), data).result)
