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
  `default_num_clients`. With `secure_aggregation` (e.g. an
  `fx.aggregators.secure_protocol.MaskedSecureAggregation`), the secure-sum
  intrinsics run its protocol instead of a plain sum.
  """

  def __init__(self, default_num_clients: int = 0, secure_aggregation=None):
    if not isinstance(default_num_clients, int) or default_num_clients < 0:
      raise ValueError(f'default_num_clients: expected an int >= 0, got '
                       f'{default_num_clients!r}.')
    check_secure_aggregation(secure_aggregation)
    self.default_num_clients = default_num_clients
    self.secure_aggregation = secure_aggregation

  def invoke(self, computation, arg):
    ft = computation.type_signature
    cardinality = value_conversion.Cardinality()
    internal = None
    if ft.parameter is not None:
      internal = value_conversion.to_internal(
          arg, ft.parameter, argument_path(computation), cardinality)
    n = cardinality.value
    evaluator = Evaluator(self.default_num_clients if n is None else n,
                          self.secure_aggregation)
    fn = evaluator.evaluate(computation.building_block)
    result = fn() if ft.parameter is None else fn(internal)
    return value_conversion.to_python(result, ft.result)


def check_secure_aggregation(protocol):
  """`secure_aggregation=` must be None or have a `secure_sum` method."""
  if protocol is not None and not callable(getattr(protocol, 'secure_sum',
                                                   None)):
    raise TypeError(
        f'secure_aggregation: expected None or a protocol with a '
        f'secure_sum(uri, values, bound, value_type) method (e.g. '
        f'fx.aggregators.secure_protocol.MaskedSecureAggregation()), got '
        f'{type(protocol).__name__}.')


def create_interpreter_context(default_num_clients: int = 0,
                               secure_aggregation=None):
  """A new reference-interpreter execution context.

  Example:
    >>> import federax as fx
    >>> ctx = fx.backends.interpreter.create_interpreter_context()
    >>> with fx.backends.interpreter.interpreter_context():
    ...   pass
  """
  return InterpreterContext(default_num_clients, secure_aggregation)


def set_interpreter_context(default_num_clients: int = 0,
                            secure_aggregation=None):
  """Makes the reference interpreter the default execution context.

  Example:
    >>> import federax as fx
    >>> fx.backends.interpreter.set_interpreter_context(default_num_clients=3)
    >>> fx.backends.interpreter.set_interpreter_context()
  """
  context_stack.set_default_context(
      create_interpreter_context(default_num_clients, secure_aggregation))


def interpreter_context(default_num_clients: int = 0,
                        secure_aggregation=None):
  """A `with` block in which computations run on the reference interpreter.

  Example:
    >>> import federax as fx
    >>> with fx.backends.interpreter.interpreter_context(default_num_clients=2):
    ...   print(fx.federated_computation(lambda: fx.federated_sum(
    ...       fx.federated_value(1, fx.CLIENTS)))())
    2
  """
  return context_stack.install(
      create_interpreter_context(default_num_clients, secure_aggregation))
