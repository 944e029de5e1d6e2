"""Dataset loaders against small files in TFF's formats on a local server."""

import lzma

import numpy as np
import pytest

import federax as fx
from federax.simulation.datasets import sql_utils
from simulation_http import FileServer

datasets = fx.simulation.datasets


def _sqlite_lzma(tmp_path, name, splits, example_fn):
  """A TFF-style database with `splits`, each with two clients."""
  path = str(tmp_path / name)
  for i, split in enumerate(splits):
    sql_utils.save_to_sql_client_data(
        [f'{split}_0', f'{split}_1'],
        lambda c: [example_fn(k) for k in range(int(c[-1]) + 1)], path,
        split_name=split, append=i > 0)
  return lzma.compress(open(path, 'rb').read())


def _emnist_example(k):
  return {'label': np.int64(k), 'pixels': np.full((28, 28), 0.5, np.float32)}


def test_emnist_downloads_once_then_works_offline(tmp_path, monkeypatch):
  files = {'emnist_all.sqlite.lzma': _sqlite_lzma(
      tmp_path, 'e.sqlite', ['digits_only_train', 'digits_only_test',
                             'all_train', 'all_test'], _emnist_example)}
  cache = str(tmp_path / 'cache')
  with FileServer(files) as server:
    monkeypatch.setenv('FEDERAX_DATASETS_URL', server.url)
    train, test = datasets.emnist.load_data(only_digits=True,
                                            cache_dir=cache)
  assert server.requests == [('emnist_all.sqlite.lzma', None)]
  assert train.client_ids == ('digits_only_train_0', 'digits_only_train_1')
  assert str(train.element_type_structure) == (
      '<label=int32,pixels=float32[28,28]>')
  stacked = train.create_dataset_for_client(
      'digits_only_train_1').__fx_stacked__()
  assert stacked['label'].dtype == np.int32
  assert stacked['label'].tolist() == [0, 1]
  assert stacked['pixels'].shape == (2, 28, 28)
  # Offline now: the cache serves every split.
  all_train, _ = datasets.emnist.load_data(only_digits=False,
                                           cache_dir=cache)
  assert all_train.client_ids == ('all_train_0', 'all_train_1')
  assert test.num_examples_for_client('digits_only_test_0') == 1


CASES = {
    'shakespeare': (['train', 'test'], lambda k: {'snippets': b'To be' * k},
                    '<snippets=str>'),
    'stackoverflow': (
        ['train', 'heldout', 'test'],
        lambda k: {'creation_date': b'2010', 'score': np.int64(k),
                   'tags': b'a|b', 'title': b't', 'tokens': b'x y',
                   'type': b'answer'},
        '<creation_date=str,score=int64,tags=str,title=str,tokens=str,'
        'type=str>'),
    'cifar100': (
        ['train', 'test'],
        lambda k: {'coarse_label': np.int64(k), 'label': np.int64(k),
                   'image': np.full((32, 32, 3), 200, np.int64)},
        '<coarse_label=int64,image=uint8[32,32,3],label=int64>'),
}


@pytest.mark.parametrize('name', sorted(CASES))
def test_sqlite_loaders(name, tmp_path, monkeypatch):
  splits, example_fn, spec = CASES[name]
  module = getattr(datasets, name)
  files = {module.FILENAME: _sqlite_lzma(tmp_path, 'd.sqlite', splits,
                                         example_fn)}
  with FileServer(files) as server:
    monkeypatch.setenv('FEDERAX_DATASETS_URL', server.url)
    result = module.load_data(cache_dir=str(tmp_path / 'cache'))
  assert len(result) == len(splits)
  assert str(result[0].element_type_structure) == spec
  first = next(iter(result[-1].create_dataset_for_client(
      f'{splits[-1]}_1')))
  assert set(first) == set(result[0].element_type_structure.names())


def test_celeba_attributes_are_bools(tmp_path, monkeypatch):
  def example(k):
    return {'image': np.zeros((84, 84, 3), np.int64),
            **{a: np.int64(k % 2) for a in datasets.celeba.ATTRIBUTE_NAMES}}
  files = {datasets.celeba.FILENAME: _sqlite_lzma(
      tmp_path, 'c.sqlite', ['split_by_examples_train',
                             'split_by_examples_test'], example)}
  with FileServer(files) as server:
    monkeypatch.setenv('FEDERAX_DATASETS_URL', server.url)
    train, _ = datasets.celeba.load_data(split_by_clients=False,
                                         cache_dir=str(tmp_path / 'cache'))
  stacked = train.create_dataset_for_client(
      'split_by_examples_train_1').__fx_stacked__()
  assert stacked['smiling'].dtype == np.bool_
  assert stacked['smiling'].tolist() == [False, True]
  assert stacked['image'].shape == (2, 84, 84, 3)


def _csv(rows):
  return ('\n'.join(','.join(r) for r in rows) + '\n').encode()


def test_gldv2_mapping_and_local_images(tmp_path, monkeypatch):
  train = _csv([('user_id', 'image_id', 'class'), ('7', 'aa', '3'),
                ('7', 'bb', '4'), ('9', 'cc', '3')])
  test = _csv([('image_id', 'class'), ('dd', '1')])
  images = tmp_path / 'images' / 'nested'
  images.mkdir(parents=True)
  for name in ('aa', 'cc', 'dd'):  # 'bb' is missing: skipped.
    (images / f'{name}.jpg').write_bytes(b'\xff\xd8 jpeg ' + name.encode())
  with FileServer({'mini_gld_train_split.csv': train,
                   'mini_gld_test.csv': test}) as server:
    monkeypatch.setenv('FEDERAX_DATASETS_URL', server.url)
    cd, test_ds = datasets.gldv2.load_data(
        str(tmp_path / 'images'), cache_dir=str(tmp_path / 'cache'),
        gld23k=True, decode_images=False)
  assert cd.client_ids == ('7', '9')
  examples = list(cd.create_dataset_for_client('7'))
  assert len(examples) == 1
  assert examples[0]['class'].tolist() == [3]
  assert examples[0]['image/encoded_jpeg'].endswith(b'aa')
  assert [e['class'].tolist() for e in test_ds] == [[1]]
  with pytest.raises(ValueError, match='image_dir'):
    datasets.gldv2.load_data(None, cache_dir=str(tmp_path / 'cache'),
                             gld23k=True)


def test_inaturalist_splits_map_clients(tmp_path, monkeypatch):
  train = _csv([('user_120k', 'geo_100', 'image_id', 'class'),
                ('u1', 'g1', 'i1', '5'), ('u2', 'NA', 'i2', '6')])
  test = _csv([('image_id', 'class'), ('i3', '1')])
  with FileServer({'iNaturalist_train.csv': train,
                   'iNaturalist_test.csv': test}) as server:
    monkeypatch.setenv('FEDERAX_DATASETS_URL', server.url)
    inat = datasets.inaturalist
    by_user, test_rows = inat.load_mapping(inat.INaturalistSplit.USER_120K,
                                           str(tmp_path))
    by_geo, _ = inat.load_mapping(inat.INaturalistSplit.GEO_100,
                                  str(tmp_path))
  assert by_user == {'u1': [('i1', 5)], 'u2': [('i2', 6)]}
  assert by_geo == {'g1': [('i1', 5)]}  # 'NA' rows belong to no client.
  assert test_rows == [{'image_id': 'i3', 'class': '1'}]


def test_registry_lists_and_downloads(tmp_path, monkeypatch):
  names = [d.name for d in datasets.registry.list_datasets()]
  assert {'emnist', 'shakespeare', 'stackoverflow', 'cifar100', 'celeba',
          'gldv2', 'inaturalist', 'digits', 'synthetic'} <= set(names)
  files = {'shakespeare.sqlite.lzma': _sqlite_lzma(
      tmp_path, 's.sqlite', ['train', 'test'], CASES['shakespeare'][1])}
  with FileServer(files) as server:
    monkeypatch.setenv('FEDERAX_DATASETS_URL', server.url)
    paths = datasets.registry.download('shakespeare', str(tmp_path / 'c'),
                                       progress=False)
  assert paths == [str(tmp_path / 'c' / 'shakespeare.sqlite')]
  with pytest.raises(ValueError, match="unknown dataset 'mnist'"):
    datasets.registry.download('mnist')
