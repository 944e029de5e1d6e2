"""The reference interpreter backend."""

from federax.backends.interpreter.context import (InterpreterContext,
                                                  create_interpreter_context,
                                                  interpreter_context,
                                                  set_interpreter_context)

__all__ = ['InterpreterContext', 'create_interpreter_context',
           'interpreter_context', 'set_interpreter_context']
