"""What the compression factories share: argument checks, leaf types, bits.

Every compression factory reports, next to its inner measurements, how
many bits one client sends (`bits_per_client`) and how much smaller that is
than the uncompressed value (`compression_ratio`: the value's own bits, 32
per float32 element, divided by `bits_per_client`). Both are float32
constants computed when the process is created: the payload of every
factory here has a size fixed by the value type.
"""

from __future__ import annotations

import collections
import math

import numpy as np

from federax.aggregators import factory
from federax.core import dtypes as dtypes_lib
from federax.core import intrinsics
from federax.core import placements
from federax.core import types


def leaf_types(t: types.Type) -> list[types.TensorType]:
  """The tensor types of `t`, in the order of `jax.tree.leaves`.

  Example:
    >>> import numpy as np, federax as fx
    >>> t = fx.StructType([np.int32, (np.float32, [2])])
    >>> [str(x) for x in leaf_types(t)]
    ['int32', 'float32[2]']
  """
  if isinstance(t, types.StructType):
    return [leaf for e in t for leaf in leaf_types(e)]
  return [t]


def value_type_of(value_type, who: str, kinds: str = 'float') -> types.Type:
  """`value_type` as a struct of fully shaped tensors of the `kinds` wanted.

  `kinds` is `'float'`, `'int'` or `'number'` (either).

  Example:
    >>> import numpy as np
    >>> print(value_type_of((np.float32, [3]), 'F.create'))
    float32[3]
  """
  t = factory.value_type_of(value_type, who)
  for leaf in leaf_types(t):
    if not leaf.is_fully_defined():
      raise TypeError(f'{who}: value_type: expected tensors of known shape, '
                      f'got {t}. Give every dimension (e.g. float32[10], not '
                      f'float32[?]).')
  ok = {'float': dtypes_lib.is_floating, 'int': dtypes_lib.is_integer,
        'number': lambda d: dtypes_lib.is_floating(d) or
                  dtypes_lib.is_integer(d)}[kinds]
  bad = [leaf for leaf in leaf_types(t) if not ok(leaf.dtype)]
  if bad:
    wanted = {'float': 'floating-point tensors', 'int': 'integer tensors',
              'number': 'integer or floating-point tensors'}[kinds]
    fix = {'float': 'Cast the values to float32 first.',
           'int': 'Discretize floats first (e.g. with '
                  'fx.aggregators.StochasticDiscretizationFactory).',
           'number': 'Cast the values to float32 first.'}[kinds]
    raise TypeError(f'{who}: value_type: expected {wanted}, got {t} '
                    f'({bad[0]} is not). {fix}')
  return t


def zeros_of(t: types.Type):
  """Zeros of `t` (numpy arrays) in the containers of `t`.

  Example:
    >>> import numpy as np, federax as fx
    >>> zeros_of(fx.StructType([('a', np.int32)], dict))
    {'a': array(0, dtype=int32)}
  """
  from federax.core import jax_support

  def internal(s):
    if isinstance(s, types.StructType):
      return tuple(internal(e) for e in s)
    return np.zeros(s.shape, s.dtype)

  return jax_support.internal_to_python(internal(t), t)


def treedef_of(t: types.Type):
  """The JAX tree structure of values of `t`."""
  import jax
  return jax.tree_util.tree_structure(zeros_of(t))


def num_elements(t: types.Type) -> int:
  """The number of scalars in a value of `t` (shapes fully defined)."""
  return sum(int(np.prod(leaf.shape, dtype=np.int64)) for leaf in leaf_types(t))


def raw_bits(t: types.Type) -> int:
  """Bits of an uncompressed value of `t`: 32 per float32 element.

  Example:
    >>> import numpy as np, federax as fx
    >>> raw_bits(fx.StructType([(np.float32, [3]), np.int8]))
    104
  """
  return sum(int(np.prod(leaf.shape, dtype=np.int64)) * leaf.dtype.itemsize * 8
             for leaf in leaf_types(t))


def index_bits(size: int) -> int:
  """Bits to name one of `size` positions: `ceil(log2(size))`, at least 1."""
  return max(1, math.ceil(math.log2(size))) if size > 1 else 1


def bits_measurements(bits: int, value_type: types.Type) -> dict:
  """`{bits_per_client, compression_ratio}` at SERVER, while tracing.

  `compression_ratio` is `raw_bits(value_type) / bits`.
  """
  ratio = raw_bits(value_type) / bits if bits else float('inf')
  return collections.OrderedDict(
      bits_per_client=intrinsics.federated_value(np.float32(bits),
                                                 placements.SERVER),
      compression_ratio=intrinsics.federated_value(np.float32(ratio),
                                                   placements.SERVER))


def check_inner(inner, who: str, argument: str = 'inner_agg_factory',
                default=None):
  """`inner` if it is an unweighted factory; `default` (or a SumFactory)."""
  if inner is None:
    if default is not None:
      return default
    from federax.aggregators import sum_factory
    return sum_factory.SumFactory()
  if not isinstance(inner, factory.UnweightedAggregationFactory):
    raise TypeError(f'{who}: {argument}: expected an unweighted aggregation '
                    f'factory (e.g. fx.aggregators.SumFactory()), got '
                    f'{type(inner).__name__}.')
  return inner


def check_optional_inner(inner, who: str, argument: str):
  """`inner` (an unweighted factory) or None."""
  if inner is None:
    return None
  return check_inner(inner, who, argument)


def check_int(value, who: str, argument: str, low: int | None = None,
              high: int | None = None, fix: str = '') -> int:
  """`value` as an int in `[low, high]` (either end may be open: None)."""
  if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
    raise TypeError(f'{who}: {argument}: expected an int, got '
                    f'{type(value).__name__} ({value!r}).')
  value = int(value)
  if (low is not None and value < low) or (high is not None and value > high):
    span = (f'in [{low}, {high}]' if low is not None and high is not None else
            f'>= {low}' if low is not None else f'<= {high}')
    raise ValueError(f'{who}: {argument}: expected an int {span}, got '
                     f'{value}.{" " + fix if fix else ""}')
  return value


def check_positive(value, who: str, argument: str, fix: str = '') -> float:
  """`value` as a finite float > 0."""
  if isinstance(value, bool) or not isinstance(
      value, (int, float, np.integer, np.floating)):
    raise TypeError(f'{who}: {argument}: expected a positive float, got '
                    f'{type(value).__name__} ({value!r}).')
  if not (math.isfinite(value) and value > 0):
    raise ValueError(f'{who}: {argument}: expected a finite float > 0, got '
                     f'{value}.{" " + fix if fix else ""}')
  return float(value)


def check_seed(seed, who: str) -> int:
  """A seed: an int in `[0, 2**32)`."""
  return check_int(seed, who, 'seed', 0, 2**32 - 1,
                   'Pass a non-negative 32-bit int.')


def zip_at_server(**values):
  """`federated_zip` of SERVER values given by name, in order."""
  return intrinsics.federated_zip(collections.OrderedDict(values))
