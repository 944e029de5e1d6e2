"""The context stack: what calling a computation or an intrinsic means now.

Tracing is context-sensitive interpretation: inside a
`federated_computation` being traced, the current context is a tracing
context and calls emit IR; outside, it is an execution context (the
reference interpreter by default) and calls run.
"""

from __future__ import annotations

import contextlib
import threading


class Context:
  """A context in which computations are invoked.

  `invoke(computation, arg)` calls a computation on a packed argument: a
  Python value in an execution context, traced values while tracing.
  """

  def invoke(self, computation, arg):
    raise NotImplementedError


class _Stack(threading.local):

  def __init__(self):
    self.contexts = []


_stack = _Stack()
_default: list[Context | None] = [None]


def current() -> Context:
  """The innermost context: the top of the stack, else the default."""
  if _stack.contexts:
    return _stack.contexts[-1]
  if _default[0] is None:
    raise RuntimeError('No default execution context is installed; '
                       'import federax to install the reference interpreter.')
  return _default[0]


def set_default_context(context: Context):
  """Installs `context` as the context used outside any `with` block.

  Example:
    >>> import federax as fx
    >>> fx.backends.interpreter.set_interpreter_context()  # the default
  """
  if not isinstance(context, Context):
    raise TypeError(f'context: expected a federax Context, got '
                    f'{type(context).__name__}.')
  _default[0] = context


def get_default_context() -> Context | None:
  return _default[0]


@contextlib.contextmanager
def install(context: Context):
  """Makes `context` current inside a `with` block."""
  if not isinstance(context, Context):
    raise TypeError(f'context: expected a federax Context, got '
                    f'{type(context).__name__}.')
  _stack.contexts.append(context)
  try:
    yield context
  finally:
    _stack.contexts.pop()
