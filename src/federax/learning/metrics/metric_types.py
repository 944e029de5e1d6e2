"""Checks and traversal shared by the metrics aggregators.

Unfinalized metrics are a struct of tensors (a dict of metric name to a
tensor or a struct of tensors). These helpers list its tensors in order,
rebuild a value from them, and check the aggregators' arguments.
"""

from __future__ import annotations

import collections

from federax.core import dtypes as dtypes_lib
from federax.core import jax_support
from federax.core import structure
from federax.core import type_conversions
from federax.core import types


def leaf_types(t: types.Type, path: tuple = ()):
  """`(path, TensorType)` for each tensor of `t`, in order.

  Example:
    >>> import numpy as np, federax as fx
    >>> t = fx.to_type({'a': np.int32, 'b': [np.float32, (np.float32, [2])]})
    >>> [('/'.join(map(str, p)), str(leaf)) for p, leaf in leaf_types(t)]
    [('a', 'int32'), ('b/0', 'float32'), ('b/1', 'float32[2]')]
  """
  if isinstance(t, types.StructType):
    for i, (name, element) in enumerate(t.elements):
      yield from leaf_types(element, path + (i if name is None else name,))
  else:
    yield path, t


def flatten(value, t: types.Type) -> list:
  """The tensors of `value`, a struct of type `t`, in `leaf_types` order.

  Example:
    >>> import numpy as np, federax as fx
    >>> flatten({'b': [2, 3], 'a': 1}, fx.to_type({'a': np.int32,
    ...                                           'b': [np.int32, np.int32]}))
    [1, 2, 3]
  """
  if not isinstance(t, types.StructType):
    return [value]
  elements = structure.elements_of(value)
  if t.has_names() and all(n is not None for n, _ in elements):
    by_name = dict(elements)
    elements = [(n, by_name[n]) for n in t.names()]
  return [leaf for (_, v), e in zip(elements, t) for leaf in flatten(v, e)]


def unflatten(leaves, t: types.Type):
  """A value of type `t` (in its containers) from its tensors.

  Example:
    >>> import numpy as np, federax as fx
    >>> unflatten([1, 2, 3], fx.to_type({'a': np.int32,
    ...                                  'b': [np.int32, np.int32]}))
    {'a': 1, 'b': [2, 3]}
  """
  leaves = iter(leaves)

  def build(t):
    if isinstance(t, types.StructType):
      return tuple(build(e) for e in t)
    return next(leaves)

  return jax_support.internal_to_python(build(t), t)


def metrics_type(local_unfinalized_metrics_type, who: str) -> types.StructType:
  """The unplaced struct type of the unfinalized metrics, checked."""
  try:
    t = type_conversions.to_type(local_unfinalized_metrics_type)
  except (TypeError, ValueError) as e:
    raise TypeError(f'{who}: local_unfinalized_metrics_type: expected a type '
                    f'(e.g. {{"loss": (np.float32, [2])}}), got '
                    f'{local_unfinalized_metrics_type!r}: {e}') from None
  if isinstance(t, types.FederatedType):
    t = t.member
  if not (isinstance(t, types.StructType) and t.has_names() and all(
      n is not None for n in t.names())):
    raise TypeError(f'{who}: local_unfinalized_metrics_type: expected a '
                    f'struct of named metrics such as <loss=float32[2]>, got '
                    f'{t}.')
  for path, leaf in leaf_types(t):
    if not (isinstance(leaf, types.TensorType) and (
        dtypes_lib.is_floating(leaf.dtype) or
        dtypes_lib.is_integer(leaf.dtype)) and leaf.is_fully_defined()):
      raise TypeError(f'{who}: local_unfinalized_metrics_type: expected '
                      f'numeric tensors of known shape, got {leaf} at '
                      f'{"/".join(map(str, path))} in {t}.')
  return t


def finalize_fn(metric_finalizers, t: types.StructType, who: str):
  """One function of all unfinalized metrics to the finalized ones.

  A dict of finalizers must name exactly the metrics of `t` (ValueError).

  Example:
    >>> import numpy as np, federax as fx
    >>> t = fx.to_type({'total': np.float32, 'count': np.float32})
    >>> finalize = finalize_fn({'count': lambda c: c, 'total': lambda s: s},
    ...                        t, 'who')
    >>> finalize_fn({'total': lambda s: s}, t, 'who')
    Traceback (most recent call last):
    ...
    ValueError: who: metric_finalizers: expected a finalizer for each metric ['count', 'total'], got ['total']. Add the missing finalizers and remove the others.
  """
  if callable(metric_finalizers) and not isinstance(metric_finalizers, dict):
    return metric_finalizers
  if not isinstance(metric_finalizers, dict):
    raise TypeError(f'{who}: metric_finalizers: expected a dict of metric '
                    f'name to function, or one function of all metrics, got '
                    f'{type(metric_finalizers).__name__}.')
  names = list(t.names())
  if sorted(metric_finalizers) != sorted(names):
    raise ValueError(f'{who}: metric_finalizers: expected a finalizer for '
                     f'each metric {names}, got {list(metric_finalizers)}. '
                     f'Add the missing finalizers and remove the others.')
  not_callable = [k for k, f in metric_finalizers.items() if not callable(f)]
  if not_callable:
    raise TypeError(f'{who}: metric_finalizers: expected functions, got '
                    f'non-callable values for {not_callable}.')

  def finalize(unfinalized):
    return collections.OrderedDict(
        (name, metric_finalizers[name](unfinalized[name])) for name in names)

  return finalize


def named_result(finalized, who: str) -> list:
  """`(name, value)` pairs of what the finalizers returned (a named struct)."""
  elements = (structure.elements_of(finalized)
              if structure.is_container(finalized) else None)
  if not elements or any(n is None for n, _ in elements):
    raise TypeError(f'{who}: metric_finalizers: expected the finalized '
                    f'metrics to be a dict of metric name to value, got '
                    f'{type(finalized).__name__}.')
  return elements
