"""FedProx's synthetic federated datasets (Li et al., 2020), offline.

`synthetic(alpha, beta)`: client k has n_k = floor(LogNormal(4, 2)) + 50
examples in d = 60 dimensions and 10 classes; u_k ~ N(0, alpha),
B_k ~ N(0, beta), v_k,j ~ N(B_k, 1), x ~ N(v_k, diag(j^-1.2)),
W_k and b_k ~ N(u_k, 1), y = argmax softmax(x W_k + b_k). alpha controls
how much the clients' models differ, beta how much their inputs differ.
Normal parameters are standard deviations, as in the FedProx code.
`synthetic_iid`: one W and b (N(0, 1)) for all, x ~ N(0, diag(j^-1.2)).

Clients are generated on demand from `(seed, client index)`, so any
number of clients costs nothing until used, and every call gives the
same data. Each client's first 90% of examples are train, the rest test.
"""

from __future__ import annotations

import numpy as np

from federax.simulation.datasets import client_data_kinds
from federax.simulation.datasets import dataset as dataset_lib

TRAIN_FRACTION = 0.9


def _client(seed, k, alpha, beta, num_classes, dimension, iid):
  rng = np.random.default_rng([seed, k])
  u, b_shift = rng.normal(0, alpha), rng.normal(0, beta)
  n = int(rng.lognormal(4, 2)) + 50
  if iid:
    shared = np.random.default_rng([seed])
    w = shared.normal(0, 1, (dimension, num_classes))
    b = shared.normal(0, 1, num_classes)
    v = np.zeros(dimension)
  else:
    v = rng.normal(b_shift, 1, dimension)
    w = rng.normal(u, 1, (dimension, num_classes))
    b = rng.normal(u, 1, num_classes)
  scale = np.arange(1, dimension + 1) ** -0.6  # sqrt of j^-1.2.
  x = v + rng.standard_normal((n, dimension)) * scale
  y = np.argmax(x @ w + b, axis=1)
  return x.astype(np.float32), y.astype(np.int32)


def _build(num_clients, seed, **kw):
  if not isinstance(num_clients, int) or num_clients < 1:
    raise ValueError(f'num_clients: expected an int >= 1, got '
                     f'{num_clients!r}.')
  if not isinstance(seed, int) or seed < 0:
    raise TypeError(f'seed: expected an int >= 0, got {seed!r}.')
  ids = tuple(str(k) for k in range(num_clients))

  def part(train):
    def dataset_fn(client_id):
      x, y = _client(seed, int(client_id), **kw)
      cut = int(TRAIN_FRACTION * len(y))
      rows = slice(0, cut) if train else slice(cut, None)
      return dataset_lib.Dataset.from_tensor_slices({'x': x[rows],
                                                      'y': y[rows]})
    return client_data_kinds.ConcreteClientData(ids, dataset_fn)

  return part(True), part(False)


def synthetic(alpha: float = 1.0, beta: float = 1.0, num_clients: int = 30,
              *, num_classes: int = 10, dimension: int = 60, seed: int = 0):
  """`(train, test)` `ClientData` of FedProx's Synthetic(alpha, beta).

  Examples are `{'x': float32[60], 'y': int32}`.

  Example:
    >>> train, test = synthetic(0.5, 0.5, num_clients=3, seed=1)
    >>> print(train.element_type_structure)
    <x=float32[60],y=int32>
    >>> train.num_examples_for_client('0') >= 45
    True
  """
  return _build(num_clients, seed, alpha=alpha, beta=beta,
                num_classes=num_classes, dimension=dimension, iid=False)


def synthetic_iid(num_clients: int = 30, *, num_classes: int = 10,
                  dimension: int = 60, seed: int = 0):
  """`(train, test)` `ClientData` of FedProx's Synthetic-IID.

  Example:
    >>> train, test = synthetic_iid(num_clients=2)
    >>> train.client_ids
    ('0', '1')
  """
  return _build(num_clients, seed, alpha=0.0, beta=0.0,
                num_classes=num_classes, dimension=dimension, iid=True)
