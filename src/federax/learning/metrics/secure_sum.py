"""`secure_sum_then_finalize`: metrics summed with secure aggregation.

Each tensor of the unfinalized metrics has a range `[lower, upper]`
(TFF's default `[0, 2**20 - 1]`, integers for integer tensors and floats
for floating ones). Clients clip their values to it, encode them as
integers (`fixed_point`) and the server receives only their sum, through
`fx.federated_secure_sum_bitwidth`; it decodes the sum and finalizes.
Tensors sharing a range and dtype form a group with its own measurements.
"""

from __future__ import annotations

import collections
import math
import numbers

import numpy as np

from federax.core import aggregation_intrinsics
from federax.core import dtypes as dtypes_lib
from federax.core import federated_computation
from federax.core import intrinsics
from federax.core import jax_computation
from federax.core import jax_support
from federax.core import types
from federax.learning.metrics import fixed_point
from federax.learning.metrics import metric_types

DEFAULT_SECURE_LOWER_BOUND = 0
# 2**20 - 1 (about a million): integer-valued floats encode exactly.
DEFAULT_SECURE_UPPER_BOUND = 2**20 - 1
_WHO = 'secure_sum_then_finalize'


def _default_range(leaf: types.TensorType, lower, upper):
  if dtypes_lib.is_integer(leaf.dtype):
    return int(math.ceil(lower)), int(math.floor(upper))
  return float(lower), float(upper)


def create_default_secure_sum_quantization_ranges(
    local_unfinalized_metrics_type, lower_bound=DEFAULT_SECURE_LOWER_BOUND,
    upper_bound=DEFAULT_SECURE_UPPER_BOUND):
  """The range of each metric tensor: `(lower, upper)` in the metrics' shape.

  Integer tensors get `(ceil(lower), floor(upper))` as ints, floating ones
  `(lower, upper)` as floats.

  Example:
    >>> import numpy as np, federax as fx
    >>> fx.learning.metrics.create_default_secure_sum_quantization_ranges(
    ...     {'loss': (np.float32, [2]), 'num_examples': np.int32})
    {'loss': (0.0, 1048575.0), 'num_examples': (0, 1048575)}
  """
  who = 'create_default_secure_sum_quantization_ranges'
  t = metric_types.metrics_type(local_unfinalized_metrics_type, who)
  return metric_types.unflatten(
      [_default_range(leaf, lower_bound, upper_bound)
       for _, leaf in metric_types.leaf_types(t)], t)


def _check_range(value, leaf: types.TensorType, where: str):
  """A user's `(lower, upper)` for a tensor of type `leaf`, checked."""
  fix = ('Give a (lower, upper) pair of numbers, or None for the default '
         f'({DEFAULT_SECURE_LOWER_BOUND}, {DEFAULT_SECURE_UPPER_BOUND}).')
  if not (isinstance(value, (tuple, list)) and len(value) == 2 and all(
      isinstance(b, numbers.Real) and not isinstance(b, bool) for b in value)):
    raise TypeError(f'{_WHO}: metric_value_ranges{where}: expected a '
                    f'(lower, upper) pair for {leaf}, got {value!r}. {fix}')
  lower, upper = value
  if dtypes_lib.is_integer(leaf.dtype):
    if int(lower) != lower or int(upper) != upper:
      raise TypeError(f'{_WHO}: metric_value_ranges{where}: expected integer '
                      f'bounds for {leaf}, got {value!r}.')
    lower, upper = int(lower), int(upper)
    info = np.iinfo(leaf.dtype)
    if lower < info.min or upper > info.max or upper - lower >= 2**32:
      raise ValueError(f'{_WHO}: metric_value_ranges{where}: expected bounds '
                       f'within {leaf} spanning fewer than 2**32 values, got '
                       f'{value!r}.')
  else:
    lower, upper = float(lower), float(upper)
    if not (math.isfinite(lower) and math.isfinite(upper)):
      raise ValueError(f'{_WHO}: metric_value_ranges{where}: expected finite '
                       f'bounds, got {value!r}.')
  if not lower < upper:
    raise ValueError(f'{_WHO}: metric_value_ranges{where}: expected lower < '
                     f'upper, got {value!r}. {fix}')
  return lower, upper


def _ranges(t: types.Type, user, where: str = '') -> list:
  """One `(lower, upper)` per tensor of `t`: the user's, or the default."""
  if isinstance(t, types.TensorType):
    if user is None:
      return [_default_range(t, DEFAULT_SECURE_LOWER_BOUND,
                             DEFAULT_SECURE_UPPER_BOUND)]
    return [_check_range(user, t, where)]
  if user is None:
    return [r for e in t for r in _ranges(e, None)]
  if isinstance(user, dict):
    unknown = [k for k in user if k not in t.names()]
    if unknown:
      raise ValueError(f'{_WHO}: metric_value_ranges{where}: names {unknown} '
                       f'are not metrics of {t}; expected names among '
                       f'{list(t.names())}.')
    return [r for name, e in t.elements
            for r in _ranges(e, user.get(name), f'{where}[{name!r}]')]
  if isinstance(user, (list, tuple)) and len(user) == len(t):
    return [r for i, (e, u) in enumerate(zip(t, user))
            for r in _ranges(e, u, f'{where}[{i}]')]
  raise TypeError(f'{_WHO}: metric_value_ranges{where}: expected a structure '
                  f'matching {t} (a dict of metric name to (lower, upper), '
                  f'None for the default), got {user!r}.')


def _group_key(lower, upper, dtype) -> str:
  return f'{lower}/{upper}/{dtypes_lib.name(np.dtype(dtype))}'


def secure_sum_then_finalize(metric_finalizers, local_unfinalized_metrics_type,
                             metric_value_ranges=None):
  """Sums the clients' metrics with secure aggregation, then finalizes.

  As TFF's: each tensor is clipped to its range (`metric_value_ranges`, a
  partial structure like the metrics with `(lower, upper)` leaves; missing
  or None leaves get `[0, 2**20 - 1]`), encoded as integers and summed with
  `fx.federated_secure_sum_bitwidth`, so the server only sees the sum
  (floats within `(upper - lower) / 2**33` each, see `fixed_point`). The
  result is the finalized metrics plus `secure_sum_measurements`: for each
  group of tensors sharing a range and dtype, keyed `'lower/upper/dtype'`
  (TFF's keys end in a TF dtype number instead), how many clients had a
  value above (`secure_upper_clipped_count`) and below
  (`secure_lower_clipped_count`) the range, and the range
  (`secure_upper_threshold`, `secure_lower_threshold`).

  Example:
    >>> import numpy as np, federax as fx
    >>> aggregate = fx.learning.metrics.secure_sum_then_finalize(
    ...     {'accuracy': lambda v: v[0] / v[1], 'num_examples': lambda n: n},
    ...     {'accuracy': (np.float32, [2]), 'num_examples': np.int32},
    ...     {'accuracy': (0.0, 10.0)})
    >>> result = aggregate([{'accuracy': [3.0, 4.0], 'num_examples': 4},
    ...                     {'accuracy': [12.0, 4.0], 'num_examples': 4}])
    >>> float(result['accuracy']), int(result['num_examples'])
    (1.625, 8)
    >>> clipped = result['secure_sum_measurements']['0.0/10.0/float32']
    >>> int(clipped['secure_upper_clipped_count'])
    1
  """
  t = metric_types.metrics_type(local_unfinalized_metrics_type, _WHO)
  finalize = metric_types.finalize_fn(metric_finalizers, t, _WHO)
  leaves = [leaf for _, leaf in metric_types.leaf_types(t)]
  ranges = _ranges(t, metric_value_ranges)
  keys = [_group_key(lo, hi, leaf.dtype) for (lo, hi), leaf in
          zip(ranges, leaves)]
  groups = list(dict.fromkeys(keys))
  members = [[i for i, k in enumerate(keys) if k == g] for g in groups]

  @jax_computation.jax_computation(t)
  def encode(unfinalized):
    jnp = jax_support.jnp()
    values = metric_types.flatten(unfinalized, t)
    limbs = tuple(fixed_point.encode(v, lo, hi)
                  for v, (lo, hi) in zip(values, ranges))

    def clipped(outside):
      return tuple(
          jnp.any(jnp.stack([jnp.any(outside(values[i], ranges[i]))
                             for i in group])).astype(jnp.int32)
          for group in members)

    flags = (clipped(lambda v, r: v > r[1]), clipped(lambda v, r: v < r[0]),
             jnp.int32(1))
    return limbs, flags

  limbs_t, flags_t = encode.type_signature.result

  @jax_computation.jax_computation(limbs_t, flags_t)
  def decode_and_finalize(limb_sums, counts):
    upper_counts, lower_counts, num_clients = counts
    sums = [fixed_point.decode(hi, lo, num_clients, r[0], r[1], leaf.dtype)
            for (hi, lo), r, leaf in zip(limb_sums, ranges, leaves)]
    finalized = finalize(metric_types.unflatten(sums, t))
    elements = metric_types.named_result(finalized, _WHO)
    measurements = collections.OrderedDict()
    for j, g in enumerate(groups):
      lo, hi = ranges[members[j][0]]
      dtype = leaves[members[j][0]].dtype
      measurements[g] = collections.OrderedDict(
          secure_upper_clipped_count=upper_counts[j],
          secure_lower_clipped_count=lower_counts[j],
          secure_upper_threshold=np.asarray(hi, dtype),
          secure_lower_threshold=np.asarray(lo, dtype))
    if any(n == 'secure_sum_measurements' for n, _ in elements):
      raise ValueError(f'{_WHO}: metric_finalizers: a finalized metric is '
                       f'named secure_sum_measurements, the name of the '
                       f'measurements; rename the metric.')
    return collections.OrderedDict(
        [('secure_sum_measurements', measurements)] + list(elements))

  @federated_computation.federated_computation(types.type_at_clients(t))
  def aggregate(unfinalized):
    encoded = intrinsics.federated_map(encode, unfinalized)
    limb_sums = aggregation_intrinsics.federated_secure_sum_bitwidth(
        encoded[0], fixed_point.LIMB_BITS)
    counts = aggregation_intrinsics.federated_secure_sum_bitwidth(
        encoded[1], 1)
    return intrinsics.federated_map(decode_and_finalize, [limb_sums, counts])

  return aggregate
