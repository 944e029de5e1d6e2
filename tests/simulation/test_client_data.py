"""`ClientData`: in memory, from a function, preprocessed, split; lazy."""

import gc
import tracemalloc

import numpy as np
import pytest

import federax as fx

datasets = fx.simulation.datasets
ClientData, Dataset = datasets.ClientData, datasets.Dataset


def _arrays_client_data():
  return ClientData.from_arrays({
      str(i): {'x': np.full((i + 1, 2), i, np.float32),
               'y': np.arange(i + 1, dtype=np.int32)} for i in range(6)})


def test_in_memory_client_data():
  cd = _arrays_client_data()
  assert cd.client_ids == tuple(str(i) for i in range(6))
  assert str(cd.element_type_structure) == '<x=float32[2],y=int32>'
  ds = cd.create_dataset_for_client('3')
  assert len(ds) == 4 and cd.num_examples_for_client('3') == 4
  assert cd.create_tf_dataset_for_client('3').__fx_stacked__()['y'].tolist(
  ) == [0, 1, 2, 3]
  with pytest.raises(ValueError, match="client_id: '9' is not a client"):
    cd.create_dataset_for_client('9')
  with pytest.raises(TypeError, match="client '1' has examples of type"):
    ClientData.from_arrays({'0': {'x': np.zeros(2)},
                            '1': {'x': np.zeros((2, 3))}})
  assert datasets.TestClientData is datasets.InMemoryClientData


def test_datasets_order_is_tffs_for_a_seed():
  cd = _arrays_client_data()
  ids = list(cd.client_ids)
  np.random.RandomState(seed=4).shuffle(ids)
  got = [int(d.__fx_stacked__()['x'][0, 0]) for d in cd.datasets(seed=4)]
  assert got == [int(i) for i in ids]
  assert len(list(cd.datasets(limit_count=2, seed=4))) == 2
  with pytest.raises(TypeError, match='seed'):
    list(cd.datasets(seed=-1))


def test_create_dataset_from_all_clients():
  cd = _arrays_client_data()
  everything = cd.create_dataset_from_all_clients(seed=0)
  assert sum(1 for _ in everything) == sum(range(1, 7))
  assert sorted(int(e['x'][0]) for e in everything) == sorted(
      i for i in range(6) for _ in range(i + 1))
  assert cd.create_tf_dataset_from_all_clients(seed=0).__fx_stacked__()[
      'x'].shape == (21, 2)


def test_preprocess():
  cd = _arrays_client_data().preprocess(
      lambda ds: ds.map(lambda e: (e['x'] * 2, e['y'])).batch(2))
  batches = list(cd.create_dataset_for_client('2'))
  assert [b[1].tolist() for b in batches] == [[0, 1], [2]]
  assert str(cd.element_type_structure) == '<float32[?,2],int32[?]>'
  assert cd.client_ids == _arrays_client_data().client_ids
  with pytest.raises(ValueError, match='is not a client'):
    cd.create_dataset_for_client('x')
  with pytest.raises(TypeError, match='preprocess_fn'):
    _arrays_client_data().preprocess(None)


def test_from_clients_and_fn_accepts_datasets_lists_and_arrays():
  cd = ClientData.from_clients_and_fn(
      ['d', 'l', 'a'], lambda c: {'d': Dataset.from_tensor_slices([1, 2]),
                                  'l': [np.int32(1), np.int32(2)],
                                  'a': {'v': np.arange(2)}}[c])
  assert [len(list(cd.create_dataset_for_client(c))) for c in 'dla'] == [
      2, 2, 2]
  bad = ClientData.from_clients_and_tf_fn(['z'], lambda c: 3)
  with pytest.raises(TypeError, match='Dataset.from_tensor_slices'):
    bad.create_dataset_for_client('z')
  with pytest.raises(ValueError, match='at least one'):
    ClientData.from_clients_and_fn([], lambda c: [])
  with pytest.raises(TypeError, match=r'str\(i\)'):
    ClientData.from_clients_and_fn([1, 2], lambda c: [])


def test_train_test_client_split_is_tffs():
  cd = ClientData.from_clients_and_fn(
      [str(i) for i in range(10)],
      lambda c: Dataset.from_tensor_slices(np.arange(int(c) % 3)))
  train, test = ClientData.train_test_client_split(cd, 3, seed=2)
  assert len(test.client_ids) == 3
  assert set(train.client_ids) | set(test.client_ids) == set(cd.client_ids)
  assert not set(train.client_ids) & set(test.client_ids)
  assert all(int(c) % 3 for c in test.client_ids)  # Test clients have data.
  again = ClientData.train_test_client_split(cd, 3, seed=2)[1]
  assert again.client_ids == test.client_ids
  with pytest.raises(ValueError, match='at most 9'):
    ClientData.train_test_client_split(cd, 10)
  with pytest.raises(ValueError, match='num_test_clients'):
    ClientData.train_test_client_split(cd, 0)


class _Population:
  """A million client ids, computed on demand (no list of strings)."""

  def __len__(self):
    return 1_000_000

  def __getitem__(self, i):
    if not 0 <= i < len(self):
      raise IndexError(i)
    return f'client_{i}'

  def __contains__(self, client_id):
    return client_id.startswith('client_') and client_id[7:].isdigit() and (
        int(client_id[7:]) < len(self))


def test_a_million_clients_cost_memory_only_when_used():
  made = []

  def dataset_fn(client_id):
    made.append(client_id)
    rng = np.random.default_rng(int(client_id[7:]))
    return Dataset.from_tensor_slices(
        {'x': rng.normal(size=(20, 784)).astype(np.float32),
         'y': rng.integers(0, 10, 20).astype(np.int32)})

  gc.collect()
  tracemalloc.start()
  cd = ClientData.from_clients_and_fn(_Population(), dataset_fn)
  sample = fx.simulation.build_uniform_sampling_fn(cd.client_ids,
                                                   random_seed=0, size=10)
  for round_num in range(3):
    ids = sample(round_num)
    stacked = [cd.create_dataset_for_client(c).__fx_stacked__() for c in ids]
    assert all(s['x'].shape == (20, 784) for s in stacked)
  _, peak = tracemalloc.get_traced_memory()
  tracemalloc.stop()
  assert len(made) == 30  # Only the sampled clients were ever built.
  # 10 clients x 20 x 784 float32 is 0.6 MB; a million would be 63 GB.
  assert peak < 20 * 2**20, peak
