"""`BaselineTaskDatasets`: a task's data and preprocessing (TFF's)."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from federax.simulation.baselines import client_spec as client_spec_lib


def _client_data_class():
  from federax.simulation.datasets import client_data
  return client_data.ClientData


def _element_spec(data, preprocess_fn=None):
  """The type of one example of `data` after `preprocess_fn`."""
  if isinstance(data, _client_data_class()):
    if preprocess_fn is not None:
      data = data.preprocess(preprocess_fn)
    return data.element_type_structure
  if preprocess_fn is not None:
    data = preprocess_fn(data)
  return data.element_spec


def _check_data(value, argument: str, allow_dataset: bool):
  from federax.simulation.datasets import dataset
  kinds = (_client_data_class(), dataset.Dataset) if allow_dataset else (
      _client_data_class(),)
  if not isinstance(value, kinds):
    expected = ('an fx.simulation.datasets.ClientData or Dataset'
                if allow_dataset else 'an fx.simulation.datasets.ClientData')
    raise TypeError(f'BaselineTaskDatasets: {argument}: expected {expected}, '
                    f'got {type(value).__name__}.')


class BaselineTaskDatasets:
  """A task's train, test and validation data and their preprocessing.

  TFF's `tff.simulation.baselines.BaselineTaskDatasets`. `train_data` is a
  `ClientData`; `test_data` and `validation_data` a `ClientData` or a
  (centralized) `Dataset`. The preprocessing functions take and return a
  `Dataset` of **unbatched** examples: they convert each example into the
  model's input format, and a learning process batches, shuffles and
  repeats the result as `train_client_spec` (an `fx.learning.ClientSpec`)
  says. `element_type_structure` is the type of one preprocessed train
  example: the model's `example_type`.

  Example:
    >>> import numpy as np
    >>> from federax.simulation import baselines, datasets
    >>> train = datasets.ClientData.from_arrays(
    ...     {'a': {'v': np.ones((3, 2), np.float32),
    ...            'k': np.zeros(3, np.int32)}})
    >>> task_datasets = baselines.BaselineTaskDatasets(
    ...     train_data=train, test_data=train.create_dataset_from_all_clients(),
    ...     train_preprocess_fn=lambda ds: ds.map(lambda e: (e['v'], e['k'])))
    >>> print(task_datasets.element_type_structure)
    <float32[2],int32>
    >>> [len(d) for d in task_datasets.sample_train_clients(1, random_seed=0)]
    [3]
  """

  def __init__(self, train_data, test_data, validation_data=None,
               train_preprocess_fn: Callable | None = None,
               eval_preprocess_fn: Callable | None = None,
               train_client_spec=None, eval_client_spec=None):
    _check_data(train_data, 'train_data', allow_dataset=False)
    _check_data(test_data, 'test_data', allow_dataset=True)
    if validation_data is not None:
      _check_data(validation_data, 'validation_data', allow_dataset=True)
    for name, fn in (('train_preprocess_fn', train_preprocess_fn),
                     ('eval_preprocess_fn', eval_preprocess_fn)):
      if fn is not None and not callable(fn):
        raise TypeError(
            f'BaselineTaskDatasets: {name}: expected None or a function from '
            f'Dataset to Dataset, got {type(fn).__name__}.')
    self._train_data = train_data
    self._test_data = test_data
    self._validation_data = validation_data
    self._train_preprocess_fn = train_preprocess_fn
    self._eval_preprocess_fn = eval_preprocess_fn
    self._train_client_spec = client_spec_lib.as_learning_client_spec(
        train_client_spec if train_client_spec is not None else
        client_spec_lib.ClientSpec(num_epochs=1, batch_size=20),
        'train_client_spec')
    self._eval_client_spec = client_spec_lib.as_learning_client_spec(
        eval_client_spec if eval_client_spec is not None else
        client_spec_lib.default_eval_spec(64), 'eval_client_spec')
    self._preprocessed_train_data = (
        train_data if train_preprocess_fn is None else
        train_data.preprocess(train_preprocess_fn))
    self._element_type_structure = (
        self._preprocessed_train_data.element_type_structure)
    if validation_data is not None:
      test_type = _element_spec(test_data)
      validation_type = _element_spec(validation_data)
      if test_type != validation_type:
        raise ValueError(
            f'BaselineTaskDatasets: validation_data: expected examples of the '
            f'test data\'s type {test_type}, got {validation_type}. Pass '
            f'validation data in the format of the test data, or None.')

  @property
  def train_data(self):
    """The training `ClientData`, before preprocessing."""
    return self._train_data

  @property
  def test_data(self):
    """The test `ClientData` or `Dataset`, before preprocessing."""
    return self._test_data

  @property
  def validation_data(self):
    """The validation `ClientData` or `Dataset` (or None), unpreprocessed."""
    return self._validation_data

  @property
  def train_preprocess_fn(self):
    """`Dataset -> Dataset` for training data (or None)."""
    return self._train_preprocess_fn

  @property
  def eval_preprocess_fn(self):
    """`Dataset -> Dataset` for test and validation data (or None)."""
    return self._eval_preprocess_fn

  @property
  def train_client_spec(self):
    """The `fx.learning.ClientSpec` for training (federax)."""
    return self._train_client_spec

  @property
  def eval_client_spec(self):
    """The `fx.learning.ClientSpec` for evaluation (federax)."""
    return self._eval_client_spec

  @property
  def preprocessed_train_data(self):
    """`train_data` with `train_preprocess_fn` applied (federax)."""
    return self._preprocessed_train_data

  @property
  def element_type_structure(self):
    """The type of one preprocessed training example."""
    return self._element_type_structure

  def sample_train_clients(self, num_clients: int, replace: bool = False,
                           random_seed: int | None = None) -> list:
    """Preprocessed datasets of `num_clients` training clients drawn
    uniformly (TFF's draw for `random_seed`)."""
    ids = self._preprocessed_train_data.client_ids
    if not replace and num_clients > len(ids):
      raise ValueError(
          f'sample_train_clients: num_clients: expected at most {len(ids)} '
          f'(the number of training clients) without replacement, got '
          f'{num_clients}. Pass replace=True or fewer clients.')
    chosen = np.random.RandomState(seed=random_seed).choice(
        len(ids), size=num_clients, replace=replace)
    return [self._preprocessed_train_data.create_dataset_for_client(ids[i])
            for i in chosen]

  def _centralized(self, data):
    if isinstance(data, _client_data_class()):
      data = data.create_dataset_from_all_clients()
    if self._eval_preprocess_fn is not None:
      data = self._eval_preprocess_fn(data)
    return data

  def get_centralized_test_data(self):
    """One `Dataset` of all test examples, preprocessed for evaluation."""
    return self._centralized(self._test_data)

  def get_centralized_validation_data(self):
    """One `Dataset` of all validation examples (federax), or None."""
    if self._validation_data is None:
      return None
    return self._centralized(self._validation_data)

  def _rows(self):
    def describe(data):
      if isinstance(data, _client_data_class()):
        return 'Federated', len(data.client_ids)
      return 'Centralized', 'N/A'
    rows = [['Split', 'Dataset Type', 'Number of Clients'],
            ['Train', *describe(self._train_data)],
            ['Test', *describe(self._test_data)]]
    if self._validation_data is not None:
      rows.append(['Validation', *describe(self._validation_data)])
    return rows

  def summary(self, print_fn: Callable[[str], Any] = print):
    """Prints a table of the splits, as TFF's `summary` does.

    Example:
      >>> from federax.simulation import baselines, datasets
      >>> train = datasets.ClientData.from_arrays({'a': [1, 2], 'b': [3]})
      >>> baselines.BaselineTaskDatasets(train, train).summary()
      Split |Dataset Type |Number of Clients |
      ========================================
      Train |Federated    |2                 |
      Test  |Federated    |2                 |
      ________________________________________
      Train Preprocess Function: False
      Eval Preprocess Function: False
    """
    rows = self._rows()
    widths = [max(len(str(r[j])) for r in rows) + 1 for j in range(3)]
    lines = [''.join(f'{str(v):<{w}}|' for v, w in zip(r, widths))
             for r in rows]
    total = sum(widths) + len(widths)
    lines.insert(1, '=' * total)
    lines.append('_' * total)
    for line in lines:
      print_fn(line)
    print_fn(f'Train Preprocess Function: '
             f'{self._train_preprocess_fn is not None}')
    print_fn(f'Eval Preprocess Function: '
             f'{self._eval_preprocess_fn is not None}')
