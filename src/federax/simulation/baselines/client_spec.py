"""`ClientSpec`: how a baseline task's clients use their data (TFF's).

TFF's `tff.simulation.baselines.ClientSpec(num_epochs, batch_size,
max_elements=None, shuffle_buffer_size=None)` configures a preprocessing
function that shuffles, repeats, takes and batches each client's
`tf.data.Dataset`. In federax a learning process batches a client's
examples itself, inside the compiled round, as an `fx.learning.ClientSpec`
says; so a task turns this spec into one (`to_learning_client_spec`), which
the task exposes as `task.client_spec`, and its preprocessing only converts
each example to the model's input format.
"""

from __future__ import annotations

import dataclasses


def _check_positive(name: str, value, allow_none: bool = False):
  if value is None and allow_none:
    return
  if not isinstance(value, int) or isinstance(value, bool) or value < 1:
    expected = 'None or an int >= 1' if allow_none else 'an int >= 1'
    raise ValueError(f'ClientSpec: {name}: expected {expected}, got '
                     f'{value!r}.')


@dataclasses.dataclass(frozen=True)
class ClientSpec:
  """TFF's `ClientSpec`: epochs, batch size, a cap and shuffling per client.

  `max_elements` caps the examples a client uses per round (after the
  epochs are repeated); `shuffle_buffer_size=1` turns shuffling off, and
  any other value (or None, the task's default) shuffles each epoch.

  Example:
    >>> from federax.simulation import baselines
    >>> spec = baselines.ClientSpec(num_epochs=2, batch_size=10,
    ...                             max_elements=25)
    >>> spec.to_learning_client_spec(seed=3)
    ClientSpec(num_epochs=2, batch_size=10, max_elements=3, shuffle=True, seed=3)
  """
  num_epochs: int
  batch_size: int
  max_elements: int | None = None
  shuffle_buffer_size: int | None = None

  def __post_init__(self):
    _check_positive('num_epochs', self.num_epochs)
    _check_positive('batch_size', self.batch_size)
    _check_positive('max_elements', self.max_elements, allow_none=True)
    _check_positive('shuffle_buffer_size', self.shuffle_buffer_size,
                    allow_none=True)

  def to_learning_client_spec(self, seed: int = 0):
    """The `fx.learning.ClientSpec` a learning process trains with.

    `max_elements` examples become `ceil(max_elements / batch_size)`
    batches (the process caps batches, not examples), and a
    `shuffle_buffer_size` other than 1 a full shuffle of each epoch.

    Example:
      >>> ClientSpec(1, 32, shuffle_buffer_size=1).to_learning_client_spec()
      ClientSpec(num_epochs=1, batch_size=32, max_elements=None, shuffle=False, seed=0)
    """
    from federax.learning import client_spec as learning_spec
    max_batches = None
    if self.max_elements is not None:
      max_batches = -(-self.max_elements // self.batch_size)
    return learning_spec.ClientSpec(
        num_epochs=self.num_epochs, batch_size=self.batch_size,
        max_elements=max_batches, shuffle=self.shuffle_buffer_size != 1,
        seed=seed)


def as_learning_client_spec(spec, argument: str, seed: int = 0):
  """`spec` (a baselines or an `fx.learning` `ClientSpec`) for a process.

  Example:
    >>> import federax as fx
    >>> as_learning_client_spec(fx.learning.ClientSpec(batch_size=4), 'x')
    ClientSpec(num_epochs=1, batch_size=4, max_elements=None, shuffle=True, seed=0)
  """
  from federax.learning import client_spec as learning_spec
  if isinstance(spec, learning_spec.ClientSpec):
    return spec
  if isinstance(spec, ClientSpec):
    return spec.to_learning_client_spec(seed)
  raise TypeError(
      f'{argument}: expected an fx.simulation.baselines.ClientSpec (or an '
      f'fx.learning.ClientSpec), got {type(spec).__name__}. Build one with '
      f'fx.simulation.baselines.ClientSpec(num_epochs=1, batch_size=20).')


def default_eval_spec(batch_size: int) -> ClientSpec:
  """TFF's evaluation spec: one pass, `batch_size`, no shuffling.

  Example:
    >>> default_eval_spec(64)
    ClientSpec(num_epochs=1, batch_size=64, max_elements=None, shuffle_buffer_size=1)
  """
  return ClientSpec(num_epochs=1, batch_size=batch_size, shuffle_buffer_size=1)


def eval_take(spec):
  """A preprocessing step taking a baselines spec's `max_elements`.

  Evaluation runs every example once, in order, so TFF's cap on examples
  is applied to the data itself. Returns None when there is no cap.

  Example:
    >>> from federax.simulation.datasets import Dataset
    >>> take = eval_take(ClientSpec(1, 8, max_elements=2))
    >>> len(take(Dataset.from_tensor_slices([1, 2, 3])))
    2
  """
  if isinstance(spec, ClientSpec) and spec.max_elements is not None:
    return lambda dataset: dataset.take(spec.max_elements)
  return None
