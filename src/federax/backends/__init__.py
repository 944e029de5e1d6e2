"""Execution backends. The reference interpreter is the default."""

from federax.backends import interpreter

__all__ = ['interpreter']
