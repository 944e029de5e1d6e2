"""The interpreter as an execution context: Python values in and out."""

from __future__ import annotations

from federax.core import context_stack
from federax.core import value_conversion
from federax.backends.interpreter.evaluator import Evaluator


def argument_path(computation) -> str:
  """How errors name a call's argument: its parameter's name if it has one."""
  names = computation.parameter_names
  return names[0] if len(names) == 1 else f'{computation.name} argument'


class InterpreterContext(context_stack.Context):
  """Runs computations with the reference interpreter.

  The number of clients of a call is inferred from its CLIENTS-placed
  arguments (one list entry per client); a call without any uses
  `default_num_clients`.
  """

  def __init__(self, default_num_clients: int = 0):
    if not isinstance(default_num_clients, int) or default_num_clients < 0:
      raise ValueError(f'default_num_clients: expected an int >= 0, got '
                       f'{default_num_clients!r}.')
    self.default_num_clients = default_num_clients

  def invoke(self, computation, arg):
    ft = computation.type_signature
    cardinality = value_conversion.Cardinality()
    internal = None
    if ft.parameter is not None:
      internal = value_conversion.to_internal(
          arg, ft.parameter, argument_path(computation), cardinality)
    n = cardinality.value
    evaluator = Evaluator(self.default_num_clients if n is None else n)
    fn = evaluator.evaluate(computation.building_block)
    result = fn() if ft.parameter is None else fn(internal)
    return value_conversion.to_python(result, ft.result)


def create_interpreter_context(default_num_clients: int = 0):
  """A new reference-interpreter execution context.

  Example:
    >>> import federax as fx
    >>> ctx = fx.backends.interpreter.create_interpreter_context()
    >>> with fx.backends.interpreter.interpreter_context():
    ...   pass
  """
  return InterpreterContext(default_num_clients)


def set_interpreter_context(default_num_clients: int = 0):
  """Makes the reference interpreter the default execution context.

  Example:
    >>> import federax as fx
    >>> fx.backends.interpreter.set_interpreter_context(default_num_clients=3)
    >>> fx.backends.interpreter.set_interpreter_context()
  """
  context_stack.set_default_context(
      create_interpreter_context(default_num_clients))


def interpreter_context(default_num_clients: int = 0):
  """A `with` block in which computations run on the reference interpreter.

  Example:
    >>> import federax as fx
    >>> with fx.backends.interpreter.interpreter_context(default_num_clients=2):
    ...   print(fx.federated_computation(lambda: fx.federated_sum(
    ...       fx.federated_value(1, fx.CLIENTS)))())
    2
  """
  return context_stack.install(create_interpreter_context(default_num_clients))
