"""`SecureModularSumFactory`: a sum modulo `modulus`, securely."""

from __future__ import annotations

import numbers

import numpy as np

from federax.aggregators import factory
from federax.aggregators import sum_factory
from federax.core import aggregation_intrinsics
from federax.core import dtypes as dtypes_lib
from federax.core import federated_computation
from federax.core import intrinsics
from federax.core import jax_computation
from federax.core import types
from federax.templates import aggregation_process
from federax.templates import measured_process


def _leaves(t):
  if isinstance(t, types.StructType):
    return [leaf for e in t for leaf in _leaves(e)]
  return [t]


class SecureModularSumFactory(factory.UnweightedAggregationFactory):
  """Sums integers modulo `modulus` with `fx.federated_secure_modular_sum`.

  With `symmetric_range=False` values and result lie in `[0, modulus - 1]`;
  with `symmetric_range=True` in `[-(modulus - 1), modulus - 1]`, summed
  modulo `2 * modulus - 1` and mapped back into that range (TFF's
  semantics). Values outside the range wrap around; nothing is raised. No
  state, no measurements.

  Example:
    >>> import numpy as np, federax as fx
    >>> process = fx.aggregators.SecureModularSumFactory(4).create(
    ...     fx.TensorType(np.int32))
    >>> int(process.next(process.initialize(), [1, 3, 6]).result)
    2
    >>> symmetric = fx.aggregators.SecureModularSumFactory(
    ...     4, symmetric_range=True).create(fx.TensorType(np.int32))
    >>> int(symmetric.next(symmetric.initialize(), [1, 3, -3]).result)
    1
  """

  def __init__(self, modulus: int, symmetric_range: bool = False):
    who = 'SecureModularSumFactory'
    if isinstance(modulus, (bool, np.bool_)) or not isinstance(
        modulus, (numbers.Integral, np.integer)):
      raise TypeError(f'{who}: modulus: expected an int, got '
                      f'{type(modulus).__name__}.')
    if modulus <= 0:
      raise ValueError(f'{who}: modulus: expected a positive int, got '
                       f'{modulus}.')
    if not isinstance(symmetric_range, bool):
      raise TypeError(f'{who}: symmetric_range: expected a bool, got '
                      f'{type(symmetric_range).__name__}.')
    self._modulus = int(modulus)
    self._symmetric = symmetric_range

  def create(self, value_type) -> aggregation_process.AggregationProcess:
    who = 'SecureModularSumFactory.create'
    value_type = factory.value_type_of(value_type, who)
    leaves = _leaves(value_type)
    bad = [t for t in leaves if not dtypes_lib.is_integer(t.dtype)]
    if bad:
      raise TypeError(f'{who}: value_type: expected integer tensors, got '
                      f'{value_type}. Quantize floats to integers first.')
    m = self._modulus
    modulus = 2 * m - 1 if self._symmetric else m
    too_small = [t for t in leaves if modulus - 1 > np.iinfo(t.dtype).max]
    if too_small:
      raise ValueError(f'{who}: modulus: sums modulo {modulus} do not fit '
                       f'{too_small[0]}. Use a smaller modulus or a wider '
                       f'dtype.')
    symmetric = self._symmetric

    @jax_computation.jax_computation(value_type)
    def to_symmetric(total):
      import jax
      import jax.numpy as jnp
      # The sum lies in [0, 2m - 2]; values >= m stand for negative ones.
      return jax.tree.map(lambda v: jnp.where(
          v >= m, v - jnp.asarray(2 * m - 1, v.dtype), v), total)

    @federated_computation.federated_computation()
    def init_fn():
      return sum_factory.empty_at_server()

    @federated_computation.federated_computation(
        init_fn.type_signature.result, types.type_at_clients(value_type))
    def next_fn(state, value):
      total = aggregation_intrinsics.federated_secure_modular_sum(
          value, modulus)
      if symmetric:
        total = intrinsics.federated_map(to_symmetric, total)
      return measured_process.MeasuredProcessOutput(
          state=state, result=total,
          measurements=sum_factory.empty_at_server())

    return aggregation_process.AggregationProcess(init_fn, next_fn)
