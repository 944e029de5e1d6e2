"""The decorators' shared logic: type specs, parameters, polymorphism."""

from __future__ import annotations

import functools
from typing import Callable

from federax.core import computation as computation_lib
from federax.core import tracing
from federax.core import type_conversions
from federax.core import types

# build(fn, parameter_type, parameter_names) -> Computation
Builder = Callable[[Callable, types.Type | None, list], 'computation_lib.Computation']


def _is_function(x) -> bool:
  return callable(x) and not isinstance(x, (type, types.Type))


def parameter_type_from_specs(decorator: str, fn, names, specs):
  """The one parameter type of `fn` given the decorator's type specs."""
  fn_name = getattr(fn, '__name__', 'the function')
  if not names:
    if specs and not (len(specs) == 1 and specs[0] is None):
      raise TypeError(f'{decorator}: {fn_name} takes no parameters but got '
                      f'{len(specs)} type spec(s). Remove them.')
    return None
  if len(specs) == 1:
    t = type_conversions.to_type(specs[0])
    if len(names) > 1 and not (isinstance(t, types.StructType) and
                               len(t) == len(names)):
      raise TypeError(
          f'{decorator}: {fn_name} has {len(names)} parameters {names} but '
          f'the one type spec is {t}. Give one spec per parameter, or a '
          f'struct spec with {len(names)} elements.')
    return t
  if len(specs) != len(names):
    raise TypeError(f'{decorator}: {fn_name} has {len(names)} parameters '
                    f'{names} but got {len(specs)} type specs. Give one spec '
                    f'per parameter.')
  return types.StructType(
      [(n, type_conversions.to_type(s)) for n, s in zip(names, specs)])


def make_decorator(decorator: str, build: Builder):
  """A decorator usable as `@d`, `@d(spec, ...)` and `d(fn, spec, ...)`."""

  def wrap(fn, specs):
    names = tracing.parameter_names(fn)
    name = getattr(fn, '__name__', decorator)
    if specs or not names:
      t = parameter_type_from_specs(decorator, fn, names, specs)
      comp = build(fn, t, names)
    else:
      comp = computation_lib.PolymorphicComputation(
          fn, lambda t: build(fn, t, names), names, name)
    functools.update_wrapper(comp, fn, assigned=('__doc__', '__module__',
                                                 '__qualname__'),
                             updated=())
    return comp

  def decorator_fn(*args):
    if args and _is_function(args[0]):
      return wrap(args[0], args[1:])
    return lambda fn: wrap(fn, args)

  return decorator_fn
