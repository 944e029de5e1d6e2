"""Python values to and from the internal form backends compute on.

The internal form of a value of type `t`:
- tensor: a numpy or JAX array (a Python `str` for a scalar string);
- struct: a tuple of element values (names live in the type);
- sequence: a list of element values;
- `{T}@CLIENTS`: a list with one member per client; `T@CLIENTS` (all-equal)
  and `T@SERVER`: the single member;
- function: a computation, which the backend knows how to call.

Conversion is type-directed and strict: every mismatch is a `TypeError`
naming where in the argument it happened, the expected and the actual type.
"""

from __future__ import annotations

import numpy as np

from federax.core import computation as computation_lib
from federax.core import dtypes as dtypes_lib
from federax.core import placements
from federax.core import structure
from federax.core import type_conversions
from federax.core import types


class Cardinality:
  """Collects the number of clients implied by CLIENTS-placed arguments."""

  def __init__(self):
    # The first argument observed; every later one must agree with it.
    self._first: tuple[str, int] | None = None

  def observe(self, path: str, n: int):
    if self._first is None:
      self._first = (path, n)
      return
    other, m = self._first
    if m != n:
      raise ValueError(
          f'conflicting cardinalities: {other} has {m} clients but {path} '
          f'has {n}. Every CLIENTS-placed argument of one call must have one '
          f'entry per client.')

  @property
  def value(self) -> int | None:
    return None if self._first is None else self._first[1]


def _actual(value) -> str:
  try:
    if hasattr(value, 'dtype') and hasattr(value, 'shape'):
      # Before infer_type: np.float64 scalars are also Python floats.
      return str(types.TensorType(value.dtype, tuple(value.shape)))
    return str(type_conversions.infer_type(value))
  except (TypeError, ValueError):
    return f'a {type(value).__name__}'


def to_tensor(value, t: types.TensorType, path: str):
  """Converts a Python number, string, list or array to a tensor of `t`."""
  if t.dtype == dtypes_lib.STR:
    if isinstance(value, (str, bytes)) and t.is_assignable_from(
        types.TensorType(dtypes_lib.STR)):
      return value.decode() if isinstance(value, bytes) else value
    array = np.asarray(value, dtype=object)
    if not all(isinstance(x, (str, bytes)) for x in array.ravel()):
      raise TypeError(f'{path}: expected {t}, got {_actual(value)}.')
  elif hasattr(value, 'dtype') and hasattr(value, 'shape'):
    if dtypes_lib.to_dtype(value.dtype) != t.dtype:
      raise TypeError(
          f'{path}: expected {t}, got {_actual(value)}. federax never '
          f'converts dtypes implicitly; cast it, e.g. '
          f'x.astype(np.{dtypes_lib.name(t.dtype)}).')
    array = value
  else:
    array = _from_python(value, t, path)
  actual = types.TensorType(t.dtype, tuple(np.shape(array)))
  if not t.is_assignable_from(actual):
    raise TypeError(f'{path}: expected {t}, got {actual}.')
  return array


def _from_python(value, t, path):
  """Python numbers (or nested lists of them) to `t`, losslessly.

  Ints become floats only when the float holds them exactly; floats never
  become ints; complex numbers only complex; bools only bools. A float that
  overflows the target dtype is an error, not `inf`.
  """
  flat = np.asarray(value, dtype=object).ravel() if isinstance(
      value, (list, tuple)) else [value]
  complex_target = t.dtype.kind == 'c'
  for x in flat:
    ok = isinstance(x, (bool, np.bool_)) if t.dtype == np.bool_ else (
        isinstance(x, (int, float, complex, np.number)) and
        not isinstance(x, (bool, np.bool_)))
    if ok and isinstance(x, (float, np.floating)) and not dtypes_lib.is_floating(
        t.dtype):
      ok = False
    if ok and isinstance(x, (complex, np.complexfloating)) and (
        not complex_target):
      ok = False
    if not ok:
      raise TypeError(f'{path}: expected {t}, got {_actual(value)}.')
  try:
    with np.errstate(all='ignore'):  # Overflow is reported below.
      array = np.asarray(value, dtype=t.dtype)
  except (OverflowError, ValueError) as e:
    raise TypeError(f'{path}: expected {t}, got {value!r} ({e}).') from None
  if t.dtype == np.bool_:
    return array
  converted = array.astype(object).ravel()
  for x, y in zip(flat, converted):
    if isinstance(x, (int, np.integer)):
      if dtypes_lib.is_integer(t.dtype):
        exact = y == x
      elif complex_target:
        exact = y.imag == 0 and _float_equals_int(y.real, x)
      else:
        exact = _float_equals_int(y, x)
    else:  # A float may round, but not overflow.
      exact = not (np.isfinite(x) and not np.isfinite(y))
    if not exact:
      raise TypeError(
          f'{path}: {value!r} does not fit in {t} (it would become '
          f'{array!r}). Pass a value that {t} holds exactly, or a wider '
          f'dtype.')
  return array


def _float_equals_int(y, x) -> bool:
  try:
    return float(y) == x  # Python compares floats and ints exactly.
  except OverflowError:
    return False


def struct_elements(value, t: types.StructType) -> list:
  """The `(name, value)` elements of a container, in the order of `t`.

  A dict whose keys are the names of `t` is matched by name, whatever its
  key order; other containers are taken in their own order.
  """
  names = t.names()
  if (isinstance(value, dict) and names and None not in names and
      set(value) == set(names)):
    return [(n, value[n]) for n in names]
  return structure.elements_of(value)


def struct_items(value, t: types.StructType, path: str) -> list:
  """`(path label, element value, element type)` for each element of `t`,
  checking that `value` is a container with matching names."""
  if not structure.is_container(value) or isinstance(value, str):
    raise TypeError(f'{path}: expected {t}, got {_actual(value)}.')
  elements = struct_elements(value, t)
  if len(elements) != len(t):
    raise TypeError(f'{path}: expected {t} with {len(t)} elements, got '
                    f'{len(elements)} elements ({_actual(value)}).')
  return list(labelled_elements(elements, t, path))


def labelled_elements(elements: list, t: types.StructType, path: str):
  """Yields `(path label, element value, element type)` for each of
  `elements`, `(name, value)` pairs as many as `t` has, checking each name
  as it goes."""
  for i, ((vname, v), (tname, et)) in enumerate(zip(elements, t.elements)):
    if vname is not None and tname is not None and vname != tname:
      raise TypeError(f'{path}: expected element {i} named {tname!r} of '
                      f'{t}, got one named {vname!r}.')
    yield (f'{path}.{tname}' if tname else f'{path}[{i}]', v, et)


def to_internal(value, t: types.Type, path: str = 'argument',
                cardinality: Cardinality | None = None):
  """Converts a Python value of type `t` to the internal form."""
  if cardinality is None:
    cardinality = Cardinality()
  if isinstance(t, types.TensorType):
    return to_tensor(value, t, path)
  if isinstance(t, types.StructType):
    return tuple(to_internal(v, et, label, cardinality)
                 for label, v, et in struct_items(value, t, path))
  if isinstance(t, types.SequenceType):
    return [to_internal(e, t.element, f'{path}[{i}]', cardinality)
            for i, e in enumerate(sequence_elements(value, t, path))]
  if isinstance(t, types.FederatedType):
    if t.placement is placements.CLIENTS and not t.all_equal:
      if not isinstance(value, (list, tuple)):
        n = stacked_length(value, t.member)
        if n is None:
          raise TypeError(
              f'{path}: expected {t}, a list with one value per client or '
              f'arrays stacked along a leading clients axis, got '
              f'{_actual(value)}.')
        value = [_index(value, i) for i in range(n)]
      cardinality.observe(path, len(value))
      return [to_internal(v, t.member, f'{path}[client {i}]', cardinality)
              for i, v in enumerate(value)]
    return to_internal(value, t.member, path, cardinality)
  if isinstance(t, types.FunctionType):
    if isinstance(value, computation_lib.PolymorphicComputation):
      # Traced for the parameter the function type asks for; the result
      # type is then checked like that of any computation.
      try:
        value = value.concretize(t.parameter)
      except TypeError as e:
        raise TypeError(f'{path}: expected a computation of type {t}; '
                        f'{value.name} cannot take {t.parameter}: {e}') from e
    sig = getattr(value, 'type_signature', None)
    if not isinstance(sig, types.FunctionType) or not t.is_assignable_from(sig):
      raise TypeError(f'{path}: expected a computation of type {t}, got '
                      f'{sig if sig is not None else _actual(value)}.')
    return value
  raise TypeError(f'{path}: values of type {t} cannot be passed from Python.')


def stacked_form(value):
  """`value.__fx_stacked__()` for an object with that hook, else `value`.

  The hook lets a dataset object (e.g. `fx.simulation.datasets.Dataset`)
  stand for a sequence wherever one is accepted: it returns the object's
  examples stacked along a leading axis, as a pytree of numpy arrays, or
  None when they cannot be stacked (ragged shapes), in which case the
  object is iterated for its elements.

  Example:
    >>> import numpy as np
    >>> class Examples:
    ...   def __fx_stacked__(self):
    ...     return {'x': np.arange(3, dtype=np.int32)}
    >>> stacked_form(Examples())
    {'x': array([0, 1, 2], dtype=int32)}
  """
  hook = getattr(type(value), '__fx_stacked__', None)
  if hook is None:
    return value
  stacked = hook(value)
  return value if stacked is None else stacked


def sequence_elements(value, t: types.SequenceType, path: str) -> list:
  """The elements of a sequence given as a list or as stacked arrays.

  A list (or tuple, or other iterable) holds the elements; arrays are the
  stacked form when their structure is that of the element type and each
  has one more (leading) dimension than its element, the same for all. An
  object with an `__fx_stacked__` hook gives its stacked form (see
  `stacked_form`), or its elements when that form does not match.
  """
  if isinstance(value, list):
    return value
  stacked = stacked_form(value)
  if stacked is not value:
    n = stacked_length(stacked, t.element)
    if n is not None:
      return [_index(stacked, i) for i in range(n)]
  from federax.core import sequence as sequence_lib
  if isinstance(value, sequence_lib.Sequence):  # From inside a JAX function.
    return [to_python(e, value.element_type)
            for e in value._internal_elements()]  # pylint: disable=protected-access
  n = stacked_length(value, t.element)
  if n is not None:
    return [_index(value, i) for i in range(n)]
  if isinstance(value, tuple) or (hasattr(value, '__iter__') and not hasattr(
      value, 'shape') and not isinstance(value, (dict, str, bytes)) and
                                  not structure.is_container(value)):
    return list(value)
  raise TypeError(
      f'{path}: expected a sequence {t}: a list of elements, or arrays '
      f'stacked along a leading axis; got {_actual(value)}.')


def stacked_length(value, element: types.Type) -> int | None:
  """The leading dimension if `value` is `element`s stacked, else None.

  Used for sequences (elements stacked) and for CLIENTS values (members
  stacked along a leading clients axis).
  """
  value = stacked_form(value)
  lengths = set()

  def visit(v, e, extra=1) -> bool:
    if isinstance(e, types.SequenceType):  # Its elements stack once more.
      return visit(v, e.element, extra + 1)
    if isinstance(e, types.TensorType):
      if not (hasattr(v, 'shape') and hasattr(v, 'dtype')):
        return False
      shape = tuple(v.shape)
      if len(shape) < extra or (e.rank is not None and
                                len(shape) != e.rank + extra):
        return False
      lengths.add(shape[0])
      return True
    if isinstance(e, types.StructType):
      if not structure.is_container(v) or isinstance(v, list):
        return False
      elements = structure.elements_of(v)
      return len(elements) == len(e) and all(
          visit(c, ce, extra) for (_, c), ce in zip(elements, e))
    return False

  if isinstance(value, list) or not visit(value, element):
    return None
  if len(lengths) != 1:
    return None
  return lengths.pop()


def _index(value, i):
  if structure.is_container(value):
    elements = structure.elements_of(value)
    return structure.build(structure.container_of(value),
                           [n for n, _ in elements],
                           [_index(v, i) for _, v in elements])
  return value[i]


def to_python(value, t: types.Type):
  """Converts an internal value of type `t` back to Python containers."""
  if isinstance(t, types.TensorType):
    if isinstance(value, str):
      return value
    array = np.asarray(value)
    if array.dtype == object and array.ndim == 0:
      return array.item()
    return array[()] if array.ndim == 0 else array
  if isinstance(t, types.StructType):
    return structure.build(t.container_type, t.names(),
                           [to_python(v, e) for v, e in zip(value, t)])
  if isinstance(t, types.SequenceType):
    return [to_python(e, t.element) for e in value]
  if isinstance(t, types.FederatedType):
    if t.placement is placements.CLIENTS and not t.all_equal:
      return [to_python(v, t.member) for v in value]
    return to_python(value, t.member)
  return value
