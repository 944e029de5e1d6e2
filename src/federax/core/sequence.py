"""`Sequence`: what a sequence parameter is inside a `jax_computation`.

A sequence of `n` elements is stored as its elements stacked along a
leading axis padded to a bucket size (a power of two, so that few lengths
compile), with the true length beside it. `reduce`, `map` and `sum` lower
to `lax.scan`/`vmap` and ignore the padding, so results equal an unpadded
loop exactly. Elements whose shapes differ cannot be stacked; such a
sequence is kept as a list and its operations run element by element.
"""

from __future__ import annotations

from typing import Any, Callable

from federax.core import jax_support
from federax.core import types


def bucket_size(n: int) -> int:
  """The padded length used for a sequence of `n` elements."""
  size = 1
  while size < n:
    size *= 2
  return size


def _like(state, out):
  """`state` cast (and broadcast) to the dtype and shape of `out`."""
  jnp = jax_support.jnp()
  if state.shape != tuple(out.shape):
    try:
      state = jnp.broadcast_to(state, out.shape)
    except ValueError:
      raise TypeError(
          f'Sequence.reduce: reduce_func returned a state of shape '
          f'{tuple(out.shape)} for a state of shape {state.shape}; the state '
          f'must keep its shape from step to step.') from None
  return state.astype(out.dtype)


def _element_type(value) -> types.Type:
  """The type of what `Sequence.map`'s function returned for an element."""
  t = jax_support.type_of_output(value)
  if types.contains(t, types.SequenceType):
    raise TypeError(f'Sequence.map: the function returned {t}, which holds a '
                    f'sequence; the elements of a sequence are tensors or '
                    f'structs of tensors.')
  return t


class Sequence:
  """A sequence inside a `jax_computation` (TFF's `tf.data.Dataset`).

  Example:
    >>> import numpy as np, federax as fx
    >>> @fx.jax_computation(fx.SequenceType(np.int32))
    ... def add_up_integers(x):
    ...   return x.reduce(np.int32(0), lambda x, y: x + y)
    >>> int(add_up_integers([1, 2, 3, 4]))
    10
  """

  def __init__(self, element_type: types.Type, data=None, length=None,
               elements: list | None = None, full: bool = False):
    self.element_type = element_type
    self.data = data          # internal form, stacked, padded
    self.length = length      # int32 scalar (may be traced)
    self.elements = elements  # internal form, a list (ragged sequences)
    self.full = full          # statically known: no padding, length = size

  @property
  def is_stacked(self) -> bool:
    return self.elements is None

  def __iter__(self):
    raise TypeError('A Sequence inside a jax_computation cannot be iterated '
                    'in Python; use seq.reduce(initial, fn), seq.map(fn) or '
                    'seq.sum().')

  def _to_python(self, element):
    return jax_support.internal_to_python(element, self.element_type)

  def _internal_elements(self) -> list:
    """The elements (internal form) of a concrete, untraced sequence."""
    if not self.is_stacked:
      return list(self.elements)
    import numpy as np
    jax = jax_support.jax()
    data = jax.tree_util.tree_map(np.asarray, self.data)
    return [jax.tree_util.tree_map(lambda x: x[i], data)
            for i in range(int(self.length))]

  def reduce(self, initial_state: Any, reduce_func: Callable) -> Any:
    """Folds `reduce_func(state, element)` over the elements.

    The state keeps the structure of `initial_state`; its dtypes and shapes
    follow what `reduce_func` returns (so `0` and `0.0` work as initial
    states, also for elements that are not scalars).
    """
    jax, jnp = jax_support.jax(), jax_support.jnp()
    state = jax.tree_util.tree_map(jnp.asarray, initial_state)
    if not self.is_stacked:
      for element in self.elements:
        state = reduce_func(state, self._to_python(element))
      return state
    first = jax.tree_util.tree_map(lambda x: x[0], self.data)
    out = jax.eval_shape(reduce_func, state, self._to_python(first))
    try:
      state = jax.tree_util.tree_map(_like, state, out)
    except ValueError as e:
      raise TypeError(
          f'Sequence.reduce: reduce_func must return a value with the '
          f'structure of initial_state; got {jax.tree_util.tree_structure(out)}'
          f' for initial state {jax.tree_util.tree_structure(state)}.') from e
    length, full = self.length, self.full

    def step(carry, element):
      i, acc = carry
      new = reduce_func(acc, self._to_python(element))
      acc = jax.tree_util.tree_map(
          lambda n, a: jnp.asarray(n, a.dtype) if full else jnp.where(
              i < length, jnp.asarray(n, a.dtype), a), new, acc)
      return (i + 1, acc), None

    (_, state), _ = jax.lax.scan(step, (jnp.int32(0), state), self.data)
    return state

  def map(self, fn: Callable) -> 'Sequence':
    """A sequence of `fn(element)` for each element."""
    jax = jax_support.jax()
    if not self.is_stacked:
      results = [fn(self._to_python(e)) for e in self.elements]
      if not results:
        return Sequence(self.element_type, elements=[])
      element_types = [_element_type(r) for r in results]
      t = element_types[0]
      for other in element_types[1:]:
        t = jax_support.merge_unknown(t, other)
      return Sequence(t, elements=[jax_support.python_to_internal(r, u)
                                   for r, u in zip(results, element_types)])
    found = []

    def apply(element):
      # Inside vmap the traced result has the shape of one element; its type
      # is read here so that results keep their containers.
      result = fn(self._to_python(element))
      found.append(_element_type(result))
      return jax_support.python_to_internal(result, found[-1])

    data = jax.vmap(apply)(self.data)
    return Sequence(found[-1], data, self.length, full=self.full)

  def sum(self) -> Any:
    """The sum of the elements, in order (zeros for an empty sequence)."""
    jax, jnp = jax_support.jax(), jax_support.jnp()
    if self.is_stacked:
      zero = jax.tree_util.tree_map(lambda x: jnp.zeros(x.shape[1:], x.dtype),
                                    self.data)
    elif self.elements:
      shapes = {tuple(jnp.shape(x) for x in jax.tree_util.tree_leaves(e))
                for e in self.elements}
      if len(shapes) > 1:
        raise TypeError(
            f'Sequence.sum: the elements of this {self.element_type}* '
            f'sequence have different shapes ({sorted(map(str, shapes))}); '
            f'they cannot be added. Use seq.reduce(initial, fn).')
      zero = jax.tree_util.tree_map(lambda x: jnp.zeros_like(x),
                                    self.elements[0])
    else:
      zero = jax_support.zeros(self.element_type)
    total = self.reduce(
        zero, lambda acc, e: jax.tree_util.tree_map(
            lambda a, b: a + b, acc, jax_support.python_to_internal(
                e, self.element_type)))
    return jax_support.internal_to_python(total, self.element_type)

  def __repr__(self):
    return f'Sequence({self.element_type}*)'
