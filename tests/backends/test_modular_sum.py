"""Secure modular sums are exact even when a plain int32 sum would overflow."""

import numpy as np
import pytest

import federax as fx

MODULUS = 2**31 - 5  # Not a power of two: wrapping int32 would be wrong.


@fx.federated_computation(fx.type_at_clients(np.int32))
def modular_sum(values):
  return fx.federated_secure_modular_sum(values, np.int32(MODULUS))


CONTEXTS = {
    'interpreter': fx.backends.interpreter.interpreter_context,
    'jax': fx.backends.jax.jax_context,
    'jax chunked': lambda: fx.backends.jax.jax_context(chunk_size=3),
}


@pytest.mark.parametrize('context', sorted(CONTEXTS))
def test_sums_past_the_int32_range_are_exact(context):
  values = [MODULUS - 1, MODULUS - 2, MODULUS - 3, 7, -4]
  with CONTEXTS[context]():
    assert int(modular_sum(values)) == sum(values) % MODULUS
