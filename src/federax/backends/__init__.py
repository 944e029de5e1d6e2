"""Execution backends: the reference interpreter and the vectorized JAX one."""

from federax.backends import interpreter
from federax.backends import jax

__all__ = ['interpreter', 'jax']
