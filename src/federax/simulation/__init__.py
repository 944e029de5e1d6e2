"""Simulation: TFF's `tff.simulation`.

`fx.simulation.datasets` has `Dataset`, `ClientData` and the federated
datasets; `build_uniform_sampling_fn`/`build_weighted_sampling_fn` pick
each round's clients; `build_straggler_fn` makes some of them fail or do
partial work. See docs/simulation.md. Importing this loads numpy only.

Example:
  >>> import federax as fx
  >>> cd = fx.simulation.datasets.ClientData.from_arrays(
  ...     {'a': {'y': [1, 2]}, 'b': {'y': [3]}})
  >>> sample = fx.simulation.build_uniform_sampling_fn(cd.client_ids,
  ...                                                  random_seed=0)
  >>> len(sample(round_num=1, size=2))
  2
"""

from federax.simulation import datasets
from federax.simulation.sampling import (build_num_examples_sampling_fn,
                                         build_uniform_sampling_fn,
                                         build_weighted_sampling_fn)
from federax.simulation.stragglers import Participation, build_straggler_fn
