"""The vectorized JAX backend: a whole federated call as one `jax.jit` program."""

from federax.backends.jax.compilation_cache import enable_compilation_cache
from federax.backends.jax.context import (JaxContext, create_jax_context,
                                          jax_context, set_jax_context)
from federax.backends.jax.differentiable import to_jax_function

__all__ = ['JaxContext', 'create_jax_context', 'enable_compilation_cache',
           'jax_context', 'set_jax_context', 'to_jax_function']
