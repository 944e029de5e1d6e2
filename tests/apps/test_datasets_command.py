"""`federax datasets list|download`, and `federax train` on a cached
EMNIST, against a small file in TFF's format on a local server."""

import lzma
import pathlib
import sys

import numpy as np

from federax import cli
from federax.simulation.datasets import sql_utils

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] /
                       'simulation'))
from simulation_http import FileServer  # noqa: E402


def _tiny_emnist(tmp_path) -> bytes:
  """EMNIST's SQLite file with 3 writers of 4 examples in each split."""
  path = str(tmp_path / 'emnist.sqlite')
  rng = np.random.default_rng(0)
  splits = ['digits_only_train', 'digits_only_test', 'all_train', 'all_test']
  for i, split in enumerate(splits):
    sql_utils.save_to_sql_client_data(
        [f'writer_{k}' for k in range(3)],
        lambda c: [{'label': np.int64(j),
                    'pixels': rng.random((28, 28)).astype(np.float32)}
                   for j in range(4)],
        path, split_name=split, append=i > 0)
  return lzma.compress(pathlib.Path(path).read_bytes())


def test_list_shows_every_dataset_and_the_cache(tmp_path, capsys):
  assert cli.main(['datasets', 'list', '--cache-dir', str(tmp_path)]) == 0
  out = capsys.readouterr().out
  for name in ('digits', 'emnist', 'shakespeare', 'stackoverflow',
               'cifar100', 'synthetic'):
    assert name in out
  assert 'offline' in out and 'download' in out
  assert f'cache: {tmp_path}' in out


def test_offline_and_unknown_datasets(capsys):
  assert cli.main(['datasets', 'download', 'synthetic']) == 0
  assert capsys.readouterr().out == (
      'synthetic needs no download: it is generated.\n')
  assert cli.main(['datasets', 'download', 'mnist']) == 2
  err = capsys.readouterr().err
  assert err.startswith("federax datasets: error: NAME: unknown dataset "
                        "'mnist'; expected one of celeba, cifar100, digits")


def test_unreachable_download_is_one_line(tmp_path, monkeypatch, capsys):
  monkeypatch.setenv('FEDERAX_DATASETS_URL', 'http://127.0.0.1:9/')
  assert cli.main(['datasets', 'download', 'shakespeare', '--no-progress',
                   '--cache-dir', str(tmp_path)]) == 2
  err = capsys.readouterr().err
  assert err.startswith('federax datasets: error: ')
  assert 'shakespeare.sqlite.lzma' in err and len(err.splitlines()) == 1


def test_download_then_list_then_train_offline(tmp_path, monkeypatch,
                                               capsys):
  cache = tmp_path / 'cache'
  with FileServer({'emnist_all.sqlite.lzma': _tiny_emnist(tmp_path)}) as s:
    monkeypatch.setenv('FEDERAX_DATASETS_URL', s.url)
    assert cli.main(['datasets', 'download', 'emnist', '--no-progress',
                     '--cache-dir', str(cache)]) == 0
  assert capsys.readouterr().out == f'{cache / "emnist_all.sqlite"}\n'
  assert cli.main(['datasets', 'list', '--cache-dir', str(cache)]) == 0
  listed = [line for line in capsys.readouterr().out.splitlines()
            if line.startswith('emnist')]
  assert 'cached' in listed[0]
  # The server is gone: training reads the cache.
  assert cli.main(['train', '--dataset', 'emnist', '--model', 'linear',
                   '--cache-dir', str(cache), '--clients-per-round', '2',
                   '--rounds', '1', '--no-progress', '--no-plot',
                   '--no-tensorboard', '--output-dir',
                   str(tmp_path / 'run')]) == 0
  out = capsys.readouterr().out
  assert 'FedAvg on EMNIST (10 classes), 3 writers' in out
  assert 'round 1: test accuracy' in out
