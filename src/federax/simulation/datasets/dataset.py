"""`Dataset`: an immutable, lazy sequence of examples (tf.data's role)."""

from __future__ import annotations

import math

import numpy as np

from federax.simulation.datasets import elements


class Dataset:
  """An immutable, lazy sequence of examples, with tf.data's methods.

  Examples are numpy values (or `bytes` for string features) in dicts,
  tuples or other structs. Methods (`map`, `shuffle`, `repeat`, `take`,
  `skip`, `filter`, `batch`, `padded_batch`, `unbatch`) return new
  datasets and compute nothing until iterated; iterating twice gives the
  same examples in the same order (shuffles are seeded; with
  `reshuffle_each_iteration` each `repeat` epoch has its own order).

  A dataset is a sequence value for federated computations: pass it where
  a sequence of examples goes, e.g. one per client to a learning
  process's `next`. Its `__fx_stacked__` gives its examples stacked along
  a leading axis (arrays-backed datasets without a copy).

  Example:
    >>> import numpy as np
    >>> ds = Dataset.from_tensor_slices(
    ...     {'x': np.arange(5, dtype=np.float32), 'y': np.arange(5, dtype=np.int32) % 2})
    >>> print(ds.element_spec, len(ds))
    <x=float32,y=int32> 5
    >>> [int(b['y'].sum()) for b in ds.shuffle(5, seed=0).batch(2)]
    [0, 1, 1]
  """

  UNKNOWN = -2
  INFINITE = -1

  def __init__(self, iterate, *, length=None, element_spec=None, table=None,
               index_fn=None):
    # Private: build datasets with the `from_*` class methods. `iterate`
    # maps an epoch (a tuple of ints, one per enclosing `repeat`) to an
    # iterator; `length` is an int, None (unknown) or math.inf.
    self._iterate = iterate
    self._length = length
    self._spec = element_spec
    self._table = table
    self._index_fn = index_fn

  # Constructors.

  @classmethod
  def from_tensor_slices(cls, tensors) -> Dataset:
    """A dataset over the rows of arrays sharing a leading axis.

    Example:
      >>> import numpy as np
      >>> list(Dataset.from_tensor_slices(np.arange(3, dtype=np.int32)))
      [np.int32(0), np.int32(1), np.int32(2)]
    """
    table = elements.as_table(tensors)
    return cls._from_table(table, None, elements.num_rows(table))

  @classmethod
  def from_examples(cls, examples, element_spec=None) -> Dataset:
    """A dataset over a list of examples (kept as given).

    Example:
      >>> len(Dataset.from_examples([{'x': 1.0}, {'x': 2.0}]))
      2
    """
    examples = list(examples)
    spec = None if element_spec is None else elements.to_spec(element_spec)
    return cls(lambda epoch: iter(examples), length=len(examples),
               element_spec=spec)

  @classmethod
  def from_generator(cls, generator_fn, element_spec=None,
                     length=None) -> Dataset:
    """A dataset whose examples `generator_fn()` yields, anew each pass.

    Example:
      >>> ds = Dataset.from_generator(lambda: ({'x': i} for i in range(3)))
      >>> [int(e['x']) for e in ds.take(2)]
      [0, 1]
    """
    if not callable(generator_fn):
      raise TypeError(f'Dataset.from_generator: generator_fn: expected a '
                      f'function returning an iterable, got '
                      f'{type(generator_fn).__name__}.')
    spec = None if element_spec is None else elements.to_spec(element_spec)
    return cls(lambda epoch: iter(generator_fn()), length=length,
               element_spec=spec)

  @classmethod
  def _from_table(cls, table, index_fn, length):
    def iterate(epoch):
      index = None if index_fn is None else index_fn(epoch)
      for i in range(length) if index is None else index:
        yield elements.row(table, i)
    return cls(iterate, length=length, table=table, index_fn=index_fn)

  def _index(self, epoch):
    index = None if self._index_fn is None else self._index_fn(epoch)
    return np.arange(self._length) if index is None else index

  def _derive(self, iterate, length, element_spec=None) -> Dataset:
    return Dataset(iterate, length=length, element_spec=element_spec)

  # Introspection.

  def __iter__(self):
    return iter(self._iterate(()))

  def as_numpy_iterator(self):
    """tf.data's name for iterating: the examples are numpy values already.

    Example:
      >>> [int(x) for x in Dataset.from_tensor_slices([4, 5]).as_numpy_iterator()]
      [4, 5]
    """
    return iter(self)

  @property
  def cardinality(self) -> int:
    """The number of examples, `Dataset.INFINITE` or `Dataset.UNKNOWN`.

    Example:
      >>> ds = Dataset.from_tensor_slices([1, 2, 3])
      >>> ds.cardinality, ds.repeat().cardinality, ds.filter(bool).cardinality
      (3, -1, -2)
    """
    if self._length is None:
      return self.UNKNOWN
    return self.INFINITE if self._length == math.inf else int(self._length)

  def __len__(self) -> int:
    if self._length is None or self._length == math.inf:
      raise TypeError(
          f'len(dataset): the number of examples of this dataset is '
          f'{"infinite" if self._length else "unknown (a filter or a generator)"}'
          f'; use dataset.cardinality, or count with sum(1 for _ in dataset).')
    return int(self._length)

  @property
  def element_spec(self):
    """The federax type of one example (`fx.TensorType`/`fx.StructType`).

    Example:
      >>> import numpy as np
      >>> print(Dataset.from_tensor_slices(np.zeros((3, 2), np.float32)).batch(2).element_spec)
      float32[?,2]
    """
    if callable(self._spec):  # Derived from another dataset's, lazily.
      self._spec = self._spec()
    if self._spec is None:
      if self._table is not None:
        self._spec = elements.spec_of(elements.tree_map(
            lambda a: b'' if a.dtype == object else np.zeros(a.shape[1:],
                                                             a.dtype),
            self._table))
      else:
        first = next(iter(self), None)
        if first is None:
          raise ValueError(
              'element_spec: this dataset has no examples to infer it from. '
              'Give it when building the dataset, e.g. '
              'Dataset.from_generator(fn, element_spec={"x": (np.float32, '
              '[2])}).')
        self._spec = elements.spec_of(first)
    return self._spec

  def __repr__(self):
    spec = self._spec if self._spec is not None or self._table is None else (
        self.element_spec)
    spec = '?' if callable(spec) else spec
    length = {self.UNKNOWN: '?', self.INFINITE: 'inf'}.get(
        self.cardinality, self.cardinality)
    return f'<Dataset length={length} element_spec={spec or "?"}>'

  def __fx_stacked__(self):
    """The examples stacked along a leading axis (None if they are ragged).

    Example:
      >>> Dataset.from_examples([{'x': 1}, {'x': 2}]).__fx_stacked__()
      {'x': array([1, 2], dtype=int32)}
    """
    if self._length == math.inf:
      raise ValueError('dataset: an infinite dataset (repeat() without a '
                       'count) has no stacked form; take(n) or '
                       'repeat(count) first.')
    if self._table is not None:
      index = None if self._index_fn is None else self._index_fn(())
      if index is None:
        return self._table
      return elements.tree_map(lambda a: a[index], self._table)
    examples = list(self)
    if not elements.stackable(examples):
      return None
    if self._spec is None and not examples:
      return None  # No examples and no spec: nothing to stack by.
    spec = self.element_spec if self._spec is not None else elements.spec_of(
        examples[0])
    return elements.stack(examples, spec)

  # Transformations.

  def map(self, fn) -> Dataset:
    """Applies `fn` to every example.

    Example:
      >>> [int(x) for x in Dataset.from_tensor_slices([1, 2]).map(lambda x: x * 10)]
      [10, 20]
    """
    if not callable(fn):
      raise TypeError(f'Dataset.map: fn: expected a function of one example, '
                      f'got {type(fn).__name__}.')
    return self._derive(lambda epoch: map(fn, self._iterate(epoch)),
                        self._length)

  def filter(self, predicate) -> Dataset:
    """The examples for which `predicate(example)` is true.

    Example:
      >>> [int(x) for x in Dataset.from_tensor_slices([1, 2, 3]).filter(lambda x: x != 2)]
      [1, 3]
    """
    return self._derive(lambda epoch: filter(predicate, self._iterate(epoch)),
                        None, self._spec)

  def shuffle(self, buffer_size: int, seed: int | None = None,
              reshuffle_each_iteration: bool = True) -> Dataset:
    """tf.data's buffered shuffle, seeded (`seed=None` draws a seed now).

    A buffer at least as large as the dataset gives a uniform permutation.
    With `reshuffle_each_iteration`, each epoch of an enclosing `repeat`
    has its own order; iterating the dataset again repeats the same
    orders.

    Example:
      >>> ds = Dataset.from_tensor_slices([0, 1, 2, 3]).shuffle(4, seed=1)
      >>> [int(x) for x in ds] == [int(x) for x in ds]
      True
    """
    from federax.simulation.datasets import reorder
    return reorder.shuffle(self, buffer_size, seed, reshuffle_each_iteration)

  def repeat(self, count: int | None = None) -> Dataset:
    """The examples `count` times over (forever with None).

    Example:
      >>> [int(x) for x in Dataset.from_tensor_slices([1, 2]).repeat(2)]
      [1, 2, 1, 2]
    """
    from federax.simulation.datasets import reorder
    return reorder.repeat(self, count)

  def take(self, count: int) -> Dataset:
    """The first `count` examples (all of them if fewer).

    Example:
      >>> len(Dataset.from_tensor_slices([1, 2, 3]).take(2))
      2
    """
    from federax.simulation.datasets import reorder
    return reorder.take(self, count)

  def skip(self, count: int) -> Dataset:
    """All examples but the first `count`.

    Example:
      >>> [int(x) for x in Dataset.from_tensor_slices([1, 2, 3]).skip(2)]
      [3]
    """
    from federax.simulation.datasets import reorder
    return reorder.skip(self, count)

  def batch(self, batch_size: int, drop_remainder: bool = False) -> Dataset:
    """Consecutive examples stacked in batches; the last may be shorter.

    Example:
      >>> ds = Dataset.from_tensor_slices({'x': [1, 2, 3]}).batch(2)
      >>> [b['x'].tolist() for b in ds]
      [[1, 2], [3]]
    """
    from federax.simulation.datasets import batching
    return batching.batch(self, batch_size, drop_remainder)

  def padded_batch(self, batch_size: int, mask_key: str = 'mask') -> Dataset:
    """Batches of exactly `batch_size`, the last padded with zeros, with a
    float32 mask (1 for real examples, 0 for padding).

    A dict example gets the mask under `mask_key`; any other example
    becomes a `(batch, mask)` pair. This is how a learning process batches
    a client's examples itself (`fx.learning.ClientSpec`).

    Example:
      >>> ds = Dataset.from_tensor_slices({'x': [1, 2, 3]}).padded_batch(2)
      >>> [(b['x'].tolist(), b['mask'].tolist()) for b in ds]
      [([1, 2], [1.0, 1.0]), ([3, 0], [1.0, 0.0])]
    """
    from federax.simulation.datasets import batching
    return batching.padded_batch(self, batch_size, mask_key)

  def unbatch(self) -> Dataset:
    """Splits batches back into examples.

    Example:
      >>> len(list(Dataset.from_tensor_slices([1, 2, 3]).batch(2).unbatch()))
      3
    """
    from federax.simulation.datasets import batching
    return batching.unbatch(self)
