"""Downloads from a local server: progress, cache, resume, checksum, offline."""

import hashlib
import lzma
import os

import numpy as np
import pytest

from federax.simulation.datasets import download
from federax.simulation.datasets import sql_client_data
from federax.simulation.datasets import sql_utils
from simulation_http import FileServer

PAYLOAD = bytes(range(256)) * 4096  # 1 MiB.


def test_download_shows_progress_and_caches(tmp_path, capsys):
  with FileServer({'data.bin': PAYLOAD}) as server:
    path = download.download_file(server.url + 'data.bin', str(tmp_path))
  assert open(path, 'rb').read() == PAYLOAD
  assert 'Downloading data.bin: 1.0/1.0 MiB 100%' in capsys.readouterr().err
  # The server is gone: the cached file is used without the network.
  assert download.download_file(server.url + 'data.bin',
                                str(tmp_path)) == path


def test_resume_after_a_truncated_partial_file(tmp_path):
  partial = tmp_path / 'data.bin.part'
  partial.write_bytes(PAYLOAD[:300_000])
  with FileServer({'data.bin': PAYLOAD}) as server:
    path = download.download_file(server.url + 'data.bin', str(tmp_path),
                                  progress=False)
  assert server.requests == [('data.bin', 'bytes=300000-')]
  assert open(path, 'rb').read() == PAYLOAD
  assert not partial.exists()


def test_server_ignoring_range_restarts_the_download(tmp_path):
  (tmp_path / 'data.bin.part').write_bytes(b'garbage' * 100)
  with FileServer({'data.bin': PAYLOAD}, honor_range=False) as server:
    path = download.download_file(server.url + 'data.bin', str(tmp_path),
                                  progress=False)
  assert open(path, 'rb').read() == PAYLOAD


def test_complete_partial_file_is_finished_without_refetching(tmp_path):
  (tmp_path / 'data.bin.part').write_bytes(PAYLOAD)
  with FileServer({'data.bin': PAYLOAD}) as server:
    path = download.download_file(
        server.url + 'data.bin', str(tmp_path), progress=False,
        sha256=hashlib.sha256(PAYLOAD).hexdigest())
  assert open(path, 'rb').read() == PAYLOAD


def test_checksum_mismatch_is_an_error_and_removes_the_file(tmp_path):
  with FileServer({'data.bin': PAYLOAD}) as server:
    with pytest.raises(ValueError, match=f'expected {"0" * 64}') as e:
      download.download_file(server.url + 'data.bin', str(tmp_path),
                             sha256='0' * 64, progress=False)
  assert hashlib.sha256(PAYLOAD).hexdigest() in str(e.value)
  assert not list(tmp_path.iterdir())


def test_offline_without_cache_says_how_to_fix_it(tmp_path):
  server = FileServer({})
  url = server.url + 'emnist_all.sqlite.lzma'
  server.stop()
  with pytest.raises(download.DatasetUnavailableError) as e:
    download.get_compressed_file(url, str(tmp_path), progress=False)
  message = str(e.value)
  assert url in message
  assert str(tmp_path / 'emnist_all.sqlite.lzma') in message
  assert str(tmp_path / 'emnist_all.sqlite') in message
  assert 'place the file' in message and 'FEDERAX_DATASETS_DIR' in message
  with FileServer({}) as server:  # A 404 is reported the same way.
    with pytest.raises(download.DatasetUnavailableError, match='HTTP 404'):
      download.download_file(server.url + 'x.bin', str(tmp_path))


def _database(tmp_path, name='db.sqlite'):
  path = str(tmp_path / name)
  sql_utils.save_to_sql_client_data(
      ['a', 'b'], lambda c: {'v': np.arange(3, dtype=np.int32)}, path)
  return open(path, 'rb').read()


def test_lzma_download_is_decompressed_validated_and_cached(tmp_path):
  packed = lzma.compress(_database(tmp_path / '..'))
  cache = tmp_path / 'cache'
  with FileServer({'db.sqlite.lzma': packed}) as server:
    path = download.get_compressed_file(
        server.url + 'db.sqlite.lzma', str(cache), progress=False,
        sha256=hashlib.sha256(packed).hexdigest(),
        validate=sql_client_data.check_database_format)
  assert path == str(cache / 'db.sqlite')
  assert os.listdir(cache) == ['db.sqlite']  # Compressed copy removed.
  assert download.get_compressed_file(server.url + 'db.sqlite.lzma',
                                      str(cache)) == path


def test_corrupt_downloads_are_removed(tmp_path):
  not_lzma = b'not lzma at all' * 10
  not_sqlite = lzma.compress(b'not a database' * 100)
  with FileServer({'a.sqlite.lzma': not_lzma,
                   'b.sqlite.lzma': not_sqlite}) as server:
    with pytest.raises(ValueError, match='not a complete LZMA file'):
      download.get_compressed_file(server.url + 'a.sqlite.lzma',
                                   str(tmp_path), progress=False)
    with pytest.raises(sql_client_data.DatabaseFormatError):
      download.get_compressed_file(
          server.url + 'b.sqlite.lzma', str(tmp_path), progress=False,
          validate=sql_client_data.check_database_format)
  assert not list(tmp_path.iterdir())


def test_mirror_and_cache_dir_environment_variables(tmp_path, monkeypatch):
  with FileServer({'data.bin': PAYLOAD}) as server:
    monkeypatch.setenv('FEDERAX_DATASETS_URL', server.url)
    monkeypatch.setenv('FEDERAX_DATASETS_DIR', str(tmp_path))
    path = download.download_file('https://example.invalid/x/data.bin',
                                  progress=False)
  assert path == str(tmp_path / 'data.bin')
