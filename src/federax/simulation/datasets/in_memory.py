"""`InMemoryClientData`: each client's examples held as numpy arrays."""

from __future__ import annotations

from federax.simulation.datasets import client_data as client_data_lib
from federax.simulation.datasets import dataset as dataset_lib
from federax.simulation.datasets import elements


class InMemoryClientData(client_data_lib.ClientData):
  """A `ClientData` over a dict from client id to arrays (TFF's
  `TestClientData`/`FromTensorSlicesClientData`).

  Each value is a struct of arrays (or lists) sharing a leading examples
  axis; every client must have the same structure. Datasets read the
  arrays without copying them.

  Example:
    >>> import numpy as np
    >>> cd = InMemoryClientData({'a': {'x': np.zeros((2, 3), np.float32)}})
    >>> print(cd.element_type_structure)
    <x=float32[3]>
  """

  def __init__(self, tensor_slices_dict):
    if not isinstance(tensor_slices_dict, dict) or not tensor_slices_dict:
      raise TypeError(
          f'tensor_slices_dict: expected a non-empty dict from client id '
          f'(str) to that client\'s arrays, got '
          f'{type(tensor_slices_dict).__name__}'
          f'{" (empty)" if isinstance(tensor_slices_dict, dict) else ""}.')
    self._tables = {}
    first = None
    for client_id, tensors in tensor_slices_dict.items():
      if not isinstance(client_id, str):
        raise TypeError(f'tensor_slices_dict: client ids must be str, got '
                        f'{client_id!r}; use str(id).')
      table = elements.as_table(tensors)
      spec = dataset_lib.Dataset.from_tensor_slices(table).element_spec
      if first is None:
        first = (client_id, spec)
      elif spec != first[1]:
        raise TypeError(
            f'tensor_slices_dict: client {client_id!r} has examples of '
            f'type {spec} but client {first[0]!r} has {first[1]}; every '
            f'client must have the same structure, dtypes and shapes.')
      self._tables[client_id] = table
    self._client_ids = tuple(self._tables)
    self._element_type_cache = first[1]

  @property
  def client_ids(self):
    return self._client_ids

  @property
  def serializable_dataset_fn(self):
    return lambda client_id: dataset_lib.Dataset.from_tensor_slices(
        self._tables[client_id])

  def num_examples_for_client(self, client_id: str) -> int:
    if not self._has_client(client_id):
      return super().num_examples_for_client(client_id)  # Raises.
    return elements.num_rows(self._tables[client_id])


TestClientData = InMemoryClientData
FromTensorSlicesClientData = InMemoryClientData
