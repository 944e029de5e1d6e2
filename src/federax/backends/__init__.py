"""Execution backends: the reference interpreter, the vectorized JAX one, and
Ray (which imports Ray only when a context is created)."""

from federax.backends import interpreter
from federax.backends import jax
from federax.backends import ray

__all__ = ['interpreter', 'jax', 'ray']
