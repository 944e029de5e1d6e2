"""The JAX backend's ingestion: the client data it stacks is used in place."""

import jax
import numpy as np
import pytest

import federax as fx
from federax.backends.jax import ingest
from federax.core import value_conversion

EXAMPLE = fx.to_type(((np.float32, [3]), np.int32))


def _ingest(value, t):
  return ingest.ingest(value, t, 'arg', value_conversion.Cardinality())


@pytest.mark.parametrize('t,value', [
    # Per-client datasets given as stacked arrays (the fast path).
    (fx.type_at_clients(fx.SequenceType(EXAMPLE)),
     [(np.ones((n, 3), np.float32), np.arange(n, dtype=np.int32))
      for n in (5, 2, 7)]),
    # Per-client datasets given as lists of elements.
    (fx.type_at_clients(fx.SequenceType(np.float32)),
     [[1.0, 2.0], [3.0], [4.0, 5.0, 6.0]]),
    # Per-client tensors.
    (fx.type_at_clients((np.float32, [4])),
     [np.full(4, i, np.float32) for i in range(3)]),
])
def test_stacked_client_data_is_aligned_for_use_in_place(t, value):
  stacked = _ingest(value, t)
  leaves = jax.tree_util.tree_leaves(
      stacked.data if isinstance(stacked, fx.Sequence) else stacked)
  for leaf in leaves:
    assert leaf.ctypes.data % 64 == 0
  if jax.default_backend() == 'cpu':  # XLA:CPU then does not copy it.
    first = leaves[0]
    assert jax.device_put(first).unsafe_buffer_pointer() == first.ctypes.data


def test_aligned_zeros_matches_np_zeros():
  for shape, dtype in [((3, 5), np.float32), ((2, 2, 2), np.int64),
                       ((4,), np.bool_), ((0, 3), np.float32)]:
    x = ingest.aligned_zeros(shape, dtype)
    np.testing.assert_array_equal(x, np.zeros(shape, dtype))
    assert x.dtype == np.dtype(dtype) and x.flags.c_contiguous
