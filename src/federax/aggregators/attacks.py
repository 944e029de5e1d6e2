"""Simulated malicious clients: functions that corrupt some client updates.

Each takes the cohort's updates, either a list with one pytree per client
or a stacked pytree whose arrays have a leading clients axis, and the
indices of the malicious clients, and returns the updates in the same form
with those clients' replaced. Feed the result to an aggregation process to
see how an aggregator copes:

- `scaled`: malicious updates multiplied by `scale` (a large norm);
- `sign_flipped`: malicious updates negated (and scaled), pushing the
  aggregate away from descent;
- `model_replacement`: the backdoor attack of Bagdasaryan et al. (2020) as
  studied in Sun et al., "Can You Really Backdoor Federated Learning?"
  (2019): attackers send a boosted update towards a backdoored model,
  `boost * backdoor_update`, with `boost = n / len(malicious)` by default,
  so that averaging replaces the global model by the backdoored one.
"""

from __future__ import annotations

import numbers

import numpy as np


def _indices(malicious, num_clients: int, who: str) -> list[int]:
  try:
    indices = sorted({int(i) for i in malicious})
  except TypeError:
    raise TypeError(f'{who}: malicious: expected a collection of client '
                    f'indices, got {type(malicious).__name__}.') from None
  bad = [i for i in indices if not 0 <= i < num_clients]
  if bad:
    raise ValueError(f'{who}: malicious: expected indices in [0, '
                     f'{num_clients}) (one per client), got {bad}.')
  return indices


def _transform(updates, malicious, fn, who: str):
  """`updates` with each leaf `x` (the `j`-th of its client's update) of a
  malicious client replaced by `fn(x, j)`."""
  import jax
  if isinstance(updates, list):
    out = list(updates)
    for i in _indices(malicious, len(updates), who):
      leaves, structure = jax.tree.flatten(updates[i])
      out[i] = jax.tree.unflatten(structure, [
          np.asarray(fn(np.asarray(x), j)) for j, x in enumerate(leaves)])
    return out
  leaves, structure = jax.tree.flatten(updates)
  if not leaves or np.ndim(leaves[0]) == 0:
    raise TypeError(f'{who}: updates: expected a list of client updates or '
                    f'a pytree of arrays with a leading clients axis, got '
                    f'{type(updates).__name__}.')
  rows = _indices(malicious, np.shape(leaves[0])[0], who)
  out = []
  for j, x in enumerate(leaves):
    x = np.array(x)
    for i in rows:
      x[i] = fn(x[i], j)
    out.append(x)
  return jax.tree.unflatten(structure, out)


def _scale(value, name, who):
  if isinstance(value, bool) or not isinstance(value, numbers.Real):
    raise TypeError(f'{who}: {name}: expected a number, got '
                    f'{type(value).__name__}.')
  return float(value)


def scaled(updates, malicious, scale: float):
  """Malicious clients send `scale` times their update.

  Example:
    >>> import numpy as np, federax as fx
    >>> updates = [np.float32([1, 1]), np.float32([2, 2])]
    >>> [u.tolist() for u in fx.aggregators.attacks.scaled(updates, [1], 10)]
    [[1.0, 1.0], [20.0, 20.0]]
  """
  s = _scale(scale, 'scale', 'scaled')
  return _transform(updates, malicious,
                    lambda x, _: (x * s).astype(x.dtype), 'scaled')


def sign_flipped(updates, malicious, scale: float = 1.0):
  """Malicious clients send `-scale` times their update.

  Example:
    >>> import numpy as np, federax as fx
    >>> stacked = {'w': np.float32([[1, 2], [3, 4]])}
    >>> fx.aggregators.attacks.sign_flipped(stacked, [0], 2.0)['w'].tolist()
    [[-2.0, -4.0], [3.0, 4.0]]
  """
  s = _scale(scale, 'scale', 'sign_flipped')
  return _transform(updates, malicious,
                    lambda x, _: (-s * x).astype(x.dtype), 'sign_flipped')


def model_replacement(updates, malicious, backdoor_update,
                      boost: float | None = None):
  """Malicious clients send `boost * backdoor_update` (model replacement).

  `backdoor_update` is a client update (a pytree shaped like one) that
  moves the global model to a backdoored one; `boost` defaults to
  `num_clients / len(malicious)`, which makes a plain mean of otherwise
  small updates land on the backdoored model.

  Example:
    >>> import numpy as np, federax as fx
    >>> updates = [np.float32([0.5]), np.float32([-0.5]), np.float32([0.0])]
    >>> attacked = fx.aggregators.attacks.model_replacement(
    ...     updates, [2], backdoor_update=np.float32([5.0]))
    >>> [u.tolist() for u in attacked], float(np.mean(attacked))
    ([[0.5], [-0.5], [15.0]], 5.0)
  """
  import jax
  who = 'model_replacement'
  if isinstance(updates, list):
    n, one = len(updates), (updates[0] if updates else None)
  else:
    n = np.shape(jax.tree.leaves(updates)[0])[0]
    one = jax.tree.map(lambda x: np.asarray(x)[0], updates)
  count = len(_indices(malicious, n, who))
  boost = n / max(count, 1) if boost is None else _scale(boost, 'boost', who)
  target = [np.asarray(t) for t in jax.tree.leaves(backdoor_update)]
  if one is not None and len(jax.tree.leaves(one)) != len(target):
    raise ValueError(f'{who}: backdoor_update: expected a pytree shaped like '
                     f'a client update, {jax.tree.structure(one)}, got '
                     f'{jax.tree.structure(backdoor_update)}.')

  def replace(x, j):
    if target[j].shape != x.shape:
      raise ValueError(f'{who}: backdoor_update: expected leaves shaped like '
                       f'a client update, got {target[j].shape} for '
                       f'{x.shape}.')
    return (boost * target[j]).astype(x.dtype)

  return _transform(updates, malicious, replace, who)
