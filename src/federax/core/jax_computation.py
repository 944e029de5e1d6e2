"""`fx.jax_computation`: TFF's `tf_computation`, for JAX.

A decorated function becomes a `CompiledComputation` in the IR: a local
computation run as a unit. Its result type is inferred by tracing with JAX
(`jax.eval_shape`); it runs under `jax.jit`. Structs come in as the user's
containers, sequences as `Sequence` objects.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from federax.core import building_blocks as bb
from federax.core import computation as computation_lib
from federax.core import computation_wrapper
from federax.core import jax_support
from federax.core import sequence as sequence_lib
from federax.core import types


class JaxFunction:
  """A JAX function with federax types: the payload of a compiled computation.

  `lowered(arg)` is the pure, jit-able function on the internal form, with
  each sequence as a stacked, padded `Sequence`. Calling the object runs it
  on an internal value whose sequences are lists.
  """

  def __init__(self, fn: Callable, parameter_type: types.Type | None,
               result_type: types.Type, parameter_names: list[str],
               name: str):
    self.fn = fn
    self.parameter_type = parameter_type
    self.result_type = result_type
    self.parameter_names = list(parameter_names)
    self.name = name
    self._jitted = None

  def _python_args(self, arg) -> list:
    if self.parameter_type is None:
      return []
    if len(self.parameter_names) > 1:  # One struct element per parameter.
      return [jax_support.internal_to_python(v, e)
              for v, e in zip(arg, self.parameter_type)]
    return [jax_support.internal_to_python(arg, self.parameter_type)]

  def lowered(self, arg=None):
    """The pure function on internal values (sequences stacked)."""
    result = self.fn(*self._python_args(arg))
    return jax_support.python_to_internal(result, self.result_type)

  def __call__(self, arg=None):
    j = jax_support.jax()
    if self.parameter_type is not None:
      arg = _stack_sequences(arg, self.parameter_type)
    if _all_stacked(arg):
      if self._jitted is None:
        self._jitted = j.jit(self.lowered)
      result = self._jitted(arg) if self.parameter_type is not None else (
          self._jitted())
    else:
      result = self.lowered(arg)
    return _unstack_sequences(result, self.result_type)

  def __repr__(self):
    return f'JaxFunction({self.name}: ({self.parameter_type} -> ' \
           f'{self.result_type}))'


def _stack_sequences(value, t):
  """Lists of elements become stacked, padded `Sequence`s where possible."""
  if isinstance(t, types.SequenceType):
    return _stack(value, t.element)
  if isinstance(t, types.StructType):
    return tuple(_stack_sequences(v, e) for v, e in zip(value, t))
  return value


def _stack(elements: list, element_type):
  j = jax_support.jax()
  n = len(elements)
  size = sequence_lib.bucket_size(n)
  template = jax_support.abstract(element_type, 0)
  leaves_t, treedef = j.tree_util.tree_flatten(template)
  rows = [treedef.flatten_up_to(e) for e in elements]
  stacked = []
  for k, leaf_t in enumerate(leaves_t):
    column = [np.asarray(r[k]) for r in rows]
    shapes = {c.shape for c in column}
    if len(shapes) > 1:  # Ragged elements: keep the list.
      return sequence_lib.Sequence(element_type, elements=list(elements))
    shape = shapes.pop() if shapes else leaf_t.shape
    out = np.zeros((size,) + shape, leaf_t.dtype)
    if n:
      out[:n] = np.stack(column)
    stacked.append(out)
  return sequence_lib.Sequence(element_type, j.tree_util.tree_unflatten(
      treedef, stacked), np.int32(n))


def _all_stacked(value) -> bool:
  if isinstance(value, sequence_lib.Sequence):
    return value.is_stacked
  if isinstance(value, tuple):
    return all(_all_stacked(v) for v in value)
  return True


def _unstack_sequences(value, t):
  """Output `Sequence`s become lists of elements (internal form)."""
  if isinstance(t, types.SequenceType):
    return value._internal_elements()  # pylint: disable=protected-access
  if isinstance(t, types.StructType):
    return tuple(_unstack_sequences(v, e) for v, e in zip(value, t))
  return value


def infer_result_type(fn, parameter_type, names) -> types.Type:
  """The result type of `fn` on `parameter_type`, by abstract tracing.

  The type is read from what `fn` returns while it is traced, so results
  keep their containers (a plain dict in sorted key order, as in JAX; an
  OrderedDict in its own order). Dimensions unknown in the parameter are traced at
  two sizes; result dimensions that change with them are unknown in the
  result.
  """
  j = jax_support.jax()
  probe = JaxFunction(fn, parameter_type, None, names, 'probe')

  def type_at(unknown):
    found = []

    def run(arg=None):
      result = fn(*probe._python_args(arg))
      found.append(jax_support.type_of_output(result))
      return jax_support.python_to_internal(result, found[-1])

    if parameter_type is None:
      j.eval_shape(run)
    else:
      j.eval_shape(run, jax_support.abstract(parameter_type, unknown))
    return found[-1]

  first = type_at(2)
  if parameter_type is None or _fully_defined(parameter_type):
    return first
  return jax_support.merge_unknown(first, type_at(3))


def _fully_defined(t) -> bool:
  if isinstance(t, types.TensorType):
    return t.is_fully_defined()
  if isinstance(t, types.SequenceType):
    return False  # The sequence length is unknown.
  return all(_fully_defined(c) for c in t.children())


def _build_computation(fn, parameter_type, names):
  name = getattr(fn, '__name__', 'jax_computation')
  jax_support.check_jax_type(parameter_type, f'jax_computation {name}')
  result_type = infer_result_type(fn, parameter_type, names)
  jax_support.check_jax_type(result_type, f'jax_computation {name} result')
  function = JaxFunction(fn, parameter_type, result_type, names, name)
  comp = bb.CompiledComputation(
      function, types.FunctionType(parameter_type, result_type))
  return computation_lib.Computation(comp, names, name, python_fn=fn)


jax_computation = computation_wrapper.make_decorator('jax_computation',
                                                     _build_computation)
jax_computation.__doc__ = """Decorates a JAX function as a federax computation.

  TFF's `tf_computation` for JAX. Give one type spec per parameter (or one
  struct spec), or none for a polymorphic computation traced per argument
  type. The result type is inferred by tracing. Struct parameters arrive in
  their Python containers; sequence parameters as `fx.Sequence` objects with
  `reduce`, `map` and `sum`. Inside a federated computation, apply it to
  placed values with `fx.federated_map`.

  Example:
    >>> import numpy as np, federax as fx
    >>> @fx.jax_computation(np.float32, np.float32)
    ... def add(x, y):
    ...   return x + y
    >>> print(add.type_signature)
    (<x=float32,y=float32> -> float32)
    >>> float(add(1.5, 2.0))
    3.5
  """
