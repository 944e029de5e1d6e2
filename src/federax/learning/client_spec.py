"""`ClientSpec`: how each client iterates over its data in a round."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class ClientSpec:
  """Local epochs, batch size, shuffling and a cap on local steps.

  A client's data arrives as a sequence of examples; each round a client
  shuffles it (seeded: a round is a pure function of its inputs, the
  process's seed and the round number), splits it into `batch_size`
  batches, the last one padded with masked examples (results equal the
  unpadded computation), and repeats for `num_epochs`. `max_elements`
  caps the number of batches a client trains on in a round (TFF's
  `ClientSpec.max_elements`); None trains on all of them.

  Example:
    >>> import federax as fx
    >>> fx.learning.ClientSpec(num_epochs=2, batch_size=10)
    ClientSpec(num_epochs=2, batch_size=10, max_elements=None, shuffle=True, seed=0)
  """
  num_epochs: int = 1
  batch_size: int = 20
  max_elements: int | None = None
  shuffle: bool = True
  seed: int = 0

  def __post_init__(self):
    for name in ('num_epochs', 'batch_size'):
      value = getattr(self, name)
      if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f'ClientSpec: {name}: expected an int >= 1, got '
                         f'{value!r}.')
    if self.max_elements is not None and (
        not isinstance(self.max_elements, int) or self.max_elements < 1):
      raise ValueError(f'ClientSpec: max_elements: expected None or an int '
                       f'>= 1, got {self.max_elements!r}.')
    if not isinstance(self.shuffle, bool):
      raise TypeError(f'ClientSpec: shuffle: expected a bool, got '
                      f'{type(self.shuffle).__name__}.')
    if not isinstance(self.seed, int) or isinstance(self.seed, bool):
      raise TypeError(f'ClientSpec: seed: expected an int, got '
                      f'{type(self.seed).__name__}.')


def check(value) -> ClientSpec:
  if value is None:
    return ClientSpec()
  if not isinstance(value, ClientSpec):
    raise TypeError(f'client_spec: expected an fx.learning.ClientSpec, got '
                    f'{type(value).__name__}. Build one with '
                    f'fx.learning.ClientSpec(num_epochs=..., batch_size=...).')
  return value
