"""A model's `input_spec`: the type of one batch, and of one example.

As in TFF, a model's `input_spec` describes ONE BATCH: a struct of two
elements, the model input `x` and the label `y`, either positional (an
`(x, y)` tuple or list) or named (a dict, `OrderedDict`, `NamedTuple` or
dataclass with elements `x` and `y`). Every tensor in it has a leading batch
dimension, usually `None` (`float32[?,784]`). Client datasets are sequences
of such batches; `example_type` is the type of a single example.
"""

from __future__ import annotations

from typing import Any

from federax.core import structure
from federax.core import type_conversions
from federax.core import types

_HOW_TO = ('Write it as a pair (x, y) or a dict {"x": ..., "y": ...} of '
           'specs with a leading batch dimension, e.g. '
           '((np.float32, [None, 784]), (np.int32, [None])).')


def _check_struct(t: types.Type, what: str) -> types.StructType:
  if not isinstance(t, types.StructType):
    raise TypeError(f'{what}: expected a struct of two elements <x,y> (model '
                    f'input and label), got {t}. {_HOW_TO}')
  names = t.names()
  if t.has_names():
    if 'x' not in names or 'y' not in names:
      raise TypeError(
          f'{what}: a named input_spec must have elements named x and y, got '
          f'{t}. Rename the model input to x and the label to y.')
  elif len(t) != 2:
    raise TypeError(f'{what}: expected a struct of two elements <x,y> (model '
                    f'input and label), got {t} with {len(t)} elements. '
                    f'{_HOW_TO}')
  return t


def _check_leading_dims(t: types.Type, path: str, what: str, full):
  if isinstance(t, types.StructType):
    for i, (name, element) in enumerate(t.elements):
      _check_leading_dims(element, f'{path}.{name}' if name else
                          f'{path}[{i}]', what, full)
  elif isinstance(t, types.TensorType):
    if t.shape is None or not t.shape:
      raise TypeError(
          f'{what}: every tensor needs a leading batch dimension; the element '
          f'{path} is {t} in {full}. Give it one, e.g. '
          f'{types.TensorType(t.dtype, [None])} for one label per example.')
  else:
    raise TypeError(f'{what}: expected tensors and structs of tensors, got '
                    f'{t} at {path} in {full}.')


def to_batch_type(input_spec, what: str = 'input_spec') -> types.StructType:
  """Converts and checks an `input_spec`, returning the batch type.

  Example:
    >>> import numpy as np
    >>> from federax.learning.models import input_spec
    >>> print(input_spec.to_batch_type(
    ...     {'x': (np.float32, [None, 2]), 'y': (np.int32, [None])}))
    <x=float32[?,2],y=int32[?]>
  """
  try:
    t = type_conversions.to_type(input_spec)
  except TypeError as e:
    raise TypeError(f'{what}: cannot convert {input_spec!r} to a type: {e} '
                    f'{_HOW_TO}') from None
  t = _check_struct(t, what)
  _check_leading_dims(t, 'batch', what, t)
  return t


def _strip_leading_dim(t: types.Type) -> types.Type:
  if isinstance(t, types.StructType):
    return types.StructType(
        [(n, _strip_leading_dim(e)) for n, e in t.elements], t.container_type)
  return types.TensorType(t.dtype, t.shape[1:])


def batch_type(model) -> types.StructType:
  """The type of one batch of `model`'s input (its `input_spec` as a type).

  Example:
    >>> import numpy as np
    >>> from federax.learning import models
    >>> model = models.FunctionalModel(
    ...     initial_weights=((np.zeros([2], np.float32),), ()),
    ...     predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...     loss_fn=models.losses.mean_squared_error,
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> print(models.batch_type(model))
    <float32[?,2],float32[?]>
  """
  return to_batch_type(model.input_spec, f'{type(model).__name__}.input_spec')


def example_type(model) -> types.StructType:
  """The type of one example: `batch_type(model)` without the batch dimension.

  Client datasets given to `federated_map` are sequences of batches; this is
  the element type of a sequence of single examples.

  Example:
    >>> import numpy as np
    >>> from federax.learning import models
    >>> model = models.FunctionalModel(
    ...     initial_weights=((np.zeros([2], np.float32),), ()),
    ...     predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...     loss_fn=models.losses.mean_squared_error,
    ...     input_spec={'x': (np.float32, [None, 2]), 'y': (np.float32, [None])})
    >>> print(models.example_type(model))
    <x=float32[2],y=float32>
  """
  return _strip_leading_dim(batch_type(model))


def split_batch(batch) -> tuple[Any, Any]:
  """The `(x, y)` of a batch structured as a model's `input_spec` says.

  Example:
    >>> from federax.learning.models import input_spec
    >>> input_spec.split_batch({'x': 1, 'y': 2}), input_spec.split_batch((1, 2))
    ((1, 2), (1, 2))
  """
  if isinstance(batch, dict):
    if 'x' in batch and 'y' in batch:
      return batch['x'], batch['y']
  elif isinstance(batch, (list, tuple)) and not structure.is_named_tuple(
      batch):
    if len(batch) == 2:
      return batch[0], batch[1]
  elif structure.is_container(batch):
    items = structure.elements_of(batch)
    elements = dict(items)
    if 'x' in elements and 'y' in elements:
      return elements['x'], elements['y']
    if len(items) == 2 and items[0][0] is None and items[1][0] is None:
      return items[0][1], items[1][1]  # An unnamed fx.Struct.
  raise TypeError(
      f'batch: expected an (x, y) pair or a struct with elements x and y, got '
      f'a {type(batch).__name__}. Structure batches as the model\'s '
      f'input_spec says.')
