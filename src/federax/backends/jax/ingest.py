"""Python values into the vectorized backend's form, and results back out.

CLIENTS-placed arguments become arrays with a leading clients axis. They
can be given as a list (one entry per client, checked like the
interpreter does) or, the fast form, already stacked: a pytree of arrays
whose leading axis is the clients axis, which is used without a copy.
Sequences become `Sequence`s over elements stacked and padded to a power
of two, with lengths; per-client sequences share one padded length.
"""

from __future__ import annotations

import functools

import numpy as np

from federax.core import dtypes as dtypes_lib
from federax.core import jax_support
from federax.core import placements
from federax.core import sequence as sequence_lib
from federax.core import structure
from federax.core import types
from federax.core import value_conversion


class NotLowerable(Exception):
  """Raised when a computation or an argument needs the interpreter."""


def is_clients(t) -> bool:
  """Whether `t` is a per-client (not all-equal) CLIENTS-placed type."""
  return (isinstance(t, types.FederatedType) and
          t.placement is placements.CLIENTS and not t.all_equal)


def ingest(value, t: types.Type, path: str,
           cardinality: value_conversion.Cardinality):
  """The backend form of an argument of type `t`."""
  if is_clients(t):
    if _is_per_client_list(value, t.member):
      fast = _stacked_sequences_per_client(value, t.member, path, cardinality)
      if fast is not None:
        return fast
      members = value_conversion.to_internal(value, t, path, cardinality)
      return stack_clients(members, t.member)
    return _stacked_clients(value, t.member, path, cardinality)
  if isinstance(t, types.FederatedType):
    return ingest(value, t.member, path, cardinality)
  if isinstance(t, types.StructType):
    return tuple(ingest(v, et, label, cardinality)
                 for label, v, et in value_conversion.struct_items(
                     value, t, path))
  if isinstance(t, types.FunctionType):
    raise NotLowerable(f'{path} is a function argument')
  return _sequences_stacked(
      value_conversion.to_internal(value, t, path, cardinality), t)


def _is_per_client_list(value, member: types.Type) -> bool:
  """Whether a CLIENTS value is given as a list with one entry per client.

  A list or tuple is, except an instance of the member's own struct
  container (a NamedTuple, say) or a tuple of arrays that stack the
  members along a leading axis: those are the stacked form.
  """
  if not isinstance(value, (list, tuple)):
    return False
  if isinstance(value, tuple) and value_conversion.stacked_length(
      value, member) is not None:
    return False  # A tuple of arrays with a leading clients axis.
  container = getattr(member, 'container_type', None)
  return not (isinstance(member, types.StructType) and
              container not in (None, list, tuple) and
              isinstance(value, container))


_ALIGN = 64  # Bytes: XLA:CPU uses host arrays aligned so in place.


def aligned_zeros(shape, dtype) -> np.ndarray:
  """`np.zeros(shape, dtype)` starting on a 64-byte boundary.

  The stacked client data this module builds can be large (all clients'
  examples). On a CPU, JAX uses a numpy array in place only when it is so
  aligned, and copies it otherwise, which would double the memory a
  round's data takes. (numpy itself aligns to 16 bytes.)

  Example:
    >>> from federax.backends.jax import ingest
    >>> x = ingest.aligned_zeros((1000, 3), 'float32')
    >>> x.ctypes.data % 64, x.shape, float(x.sum())
    (0, (1000, 3), 0.0)
  """
  dtype = np.dtype(dtype)
  nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
  buffer = np.zeros(nbytes + _ALIGN, np.uint8)
  start = -buffer.ctypes.data % _ALIGN
  return buffer[start:start + nbytes].view(dtype).reshape(shape)


def _stacked_sequences_per_client(value, member, path, cardinality):
  """A `Sequence` over clients whose sequences each come stacked, or None.

  The fast path for client datasets: each client's examples given as
  arrays with a leading example axis are copied once into the padded
  `[clients, length, ...]` arrays, not split into elements first.
  """
  if not isinstance(member, types.SequenceType) or not value:
    return None
  value = [value_conversion.stacked_form(v) for v in value]  # Datasets.
  element = member.element
  lengths = [value_conversion.stacked_length(v, element) for v in value]
  if any(n is None for n in lengths):
    return None
  stacked_type = _with_leading(element)
  cardinality.observe(path, len(value))
  rows = [value_conversion.to_internal(v, stacked_type,
                                       f'{path}[client {i}]', cardinality)
          for i, v in enumerate(value)]
  size = sequence_lib.bucket_size(max(lengths))

  def pad(leaves):
    if isinstance(leaves[0], tuple):
      return tuple(pad([r[i] for r in leaves]) for i in range(len(leaves[0])))
    first = np.asarray(leaves[0])
    out = aligned_zeros((len(leaves), size) + first.shape[1:], first.dtype)
    for i, leaf in enumerate(leaves):
      out[i, :len(leaf)] = leaf
    return out

  return sequence_lib.Sequence(element, pad(rows),
                               np.asarray(lengths, np.int32))


def _sequences_stacked(value, t):
  if isinstance(t, types.SequenceType):
    data, length = _stack_sequences([value], t.element)
    return sequence_lib.Sequence(t.element, _tree(lambda x: x[0], data),
                                 np.int32(length[0]))
  if isinstance(t, types.StructType):
    return tuple(_sequences_stacked(v, e) for v, e in zip(value, t))
  if isinstance(t, types.FederatedType):
    return _sequences_stacked(value, t.member)
  return value


def _tree(fn, *values):
  if isinstance(values[0], tuple):
    return tuple(_tree(fn, *vs) for vs in zip(*values))
  return fn(*values)


def _leaf_template(t: types.TensorType):
  return tuple(0 if d is None else d for d in t.shape), t.dtype


def _stack_leaves(rows: list, t):
  """Stacks per-client internal values of type `t` along a new axis 0."""
  if isinstance(t, types.StructType):
    return tuple(_stack_leaves([r[i] for r in rows], e)
                 for i, e in enumerate(t))
  if not rows:
    shape, dtype = _leaf_template(t)
    return np.zeros((0,) + shape, dtype)
  arrays = [np.asarray(r) for r in rows]
  if len({a.shape for a in arrays}) > 1:
    raise NotLowerable(f'values of {t} have different shapes across clients')
  out = aligned_zeros((len(arrays),) + arrays[0].shape,
                      np.result_type(*arrays))
  return np.stack(arrays, out=out)


def _stack_sequences(sequences: list, element_type):
  """`[n, L, ...]` data (padded) and `int32[n]` lengths for n sequences."""
  lengths = np.asarray([len(s) for s in sequences], np.int32)
  size = sequence_lib.bucket_size(int(lengths.max()) if len(lengths) else 0)

  def leaf_rows(rows_of_elements, t):
    if isinstance(t, types.StructType):
      return tuple(leaf_rows([[e[i] for e in es] for es in rows_of_elements],
                             et) for i, et in enumerate(t))
    shape, dtype = _leaf_template(t)
    shapes = {np.shape(e) for es in rows_of_elements for e in es}
    if len(shapes) > 1:
      raise NotLowerable(f'sequence elements of {t} have different shapes')
    if shapes:
      shape = shapes.pop()
    out = aligned_zeros((len(rows_of_elements), size) + shape, dtype)
    for i, es in enumerate(rows_of_elements):
      if es:
        out[i, :len(es)] = np.stack([np.asarray(e) for e in es])
    return out

  return leaf_rows(sequences, element_type), lengths


def stack_clients(members: list, t: types.Type):
  """Per-client internal values as one value with a leading clients axis."""
  if isinstance(t, types.SequenceType):
    data, lengths = _stack_sequences(members, t.element)
    return sequence_lib.Sequence(t.element, data, lengths)
  if isinstance(t, types.StructType):
    return tuple(stack_clients([m[i] for m in members], e)
                 for i, e in enumerate(t))
  return _stack_leaves(members, t)


def _stacked_clients(value, t, path, cardinality):
  """Checks a stacked CLIENTS value (leading clients axis) against `t`."""
  if isinstance(t, types.StructType):
    if not structure.is_container(value):
      raise TypeError(f'{path}: expected {types.type_at_clients(t)} as a list '
                      f'with one value per client, or as a struct of arrays '
                      f'with a leading clients axis; got '
                      f'{type(value).__name__}.')
    return tuple(_stacked_clients(v, et, label, cardinality)
                 for label, v, et in value_conversion.struct_items(
                     value, t, path))
  if isinstance(t, types.SequenceType):
    data = _stacked_clients(value, _with_leading(t.element), path,
                            cardinality)
    length = _first_leaf(data).shape[1]
    n = _first_leaf(data).shape[0]
    return sequence_lib.Sequence(t.element, data,
                                 np.full((n,), length, np.int32), full=True)
  if not (hasattr(value, 'shape') and hasattr(value, 'dtype')):
    raise TypeError(f'{path}: expected {types.type_at_clients(t)} as a list '
                    f'with one value per client, or as an array with a '
                    f'leading clients axis; got {type(value).__name__}.')
  if len(value.shape) < 1:
    raise TypeError(f'{path}: a stacked CLIENTS value needs a leading clients '
                    f'axis; got a scalar for {t}.')
  member = types.TensorType(value.dtype, tuple(value.shape[1:]))
  if (dtypes_lib.to_dtype(value.dtype) != t.dtype or
      not t.is_assignable_from(member)):
    raise TypeError(f'{path}: expected {t} per client (stacked over a leading '
                    f'clients axis), got {member} per client.')
  cardinality.observe(path, int(value.shape[0]))
  return value


@functools.lru_cache(maxsize=256)
def _with_leading(t):
  """`t` with an unknown leading (sequence) dimension on every tensor."""
  if isinstance(t, types.StructType):
    return types.StructType([(n, _with_leading(e)) for n, e in t.elements],
                            t.container_type)
  return types.TensorType(t.dtype, (None,) + tuple(t.shape))


def _first_leaf(value):
  while isinstance(value, tuple):
    value = value[0]
  return value


def to_python(value, t: types.Type):
  """A result (numpy arrays, stacked over clients where placed) to Python."""
  if is_clients(t):
    if value is None:
      return []
    n = _num_rows(value)
    return [to_python(_row(value, i), t.member) for i in range(n)]
  if isinstance(t, types.FederatedType):
    return to_python(value, t.member)
  if isinstance(t, types.StructType):
    return structure.build(t.container_type, t.names(),
                           [to_python(v, e) for v, e in zip(value, t)])
  if isinstance(t, types.SequenceType):
    n = int(value.length)
    return [to_python(_tree(lambda x: x[i], value.data), t.element)
            for i in range(n)]
  return value_conversion.to_python(value, t)


def _num_rows(value):
  value = _first_leaf(value)
  if isinstance(value, sequence_lib.Sequence):
    return value.length.shape[0]
  return value.shape[0]


def _row(value, i):
  if isinstance(value, sequence_lib.Sequence):
    return sequence_lib.Sequence(value.element_type,
                                 _tree(lambda x: x[i], value.data),
                                 value.length[i])
  if isinstance(value, tuple):
    return tuple(_row(v, i) for v in value)
  return value[i]


def check_lowerable(comp) -> str | None:
  """Why the vectorized backend cannot run `comp`, or None if it can."""
  from federax.core import transformations
  ft = comp.type_signature
  if ft.parameter is not None and types.contains(ft.parameter,
                                                 types.FunctionType):
    return f'its parameter {ft.parameter} contains a function'
  for s in _walk(ft.result):
    if is_clients(s) and not types.contains(
        s.member, (types.TensorType, types.SequenceType)):
      return (f'its result holds {s}, whose number of clients is not '
              f'recorded in any array')
  x64 = jax_support.jax().config.jax_enable_x64
  for node in transformations.postorder(comp.building_block):
    bad = _unlowerable_type(node.type_signature, x64)
    if bad:
      return f'{bad} in {node.compact_representation()[:80]}'
  return None


_WIDE = tuple(np.dtype(d) for d in (np.int64, np.uint64, np.float64,
                                     np.complex128))


def _walk(t):
  yield t
  for c in t.children():
    yield from _walk(c)


def _unlowerable_type(t, x64) -> str | None:
  for s in _walk(t):
    if isinstance(s, types.TensorType):
      if s.dtype == dtypes_lib.STR:
        return f'strings ({s})'
      if not x64 and s.dtype in _WIDE:
        return f'a 64-bit type ({s}) while JAX runs in 32 bits'
  return None
