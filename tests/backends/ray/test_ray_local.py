"""The Ray backend starting (and stopping) a local Ray of its own."""

from __future__ import annotations

import shutil
import tempfile

import numpy as np
import pytest

import federax as fx

ray = pytest.importorskip('ray')

import local_cluster  # pylint: disable=wrong-import-position

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ray")]


@pytest.fixture
def own_ray_dir(monkeypatch):
  """Ray's files in a directory of the test's own; Ray's auth setting (a new
  local Ray turns token mode on for this process) restored afterwards."""
  tmp = tempfile.mkdtemp(prefix='fxray', dir='/tmp')  # Short socket paths.
  monkeypatch.setenv('RAY_TMPDIR', tmp)
  monkeypatch.delenv('RAY_AUTH_MODE', raising=False)
  local_cluster.refresh_ray_auth()
  yield tmp
  if ray.is_initialized():
    ray.shutdown()
  monkeypatch.undo()
  local_cluster.refresh_ray_auth()
  shutil.rmtree(tmp, ignore_errors=True)


def test_ray_context_starts_and_stops_a_local_ray(own_ray_dir):
  total = fx.federated_computation(lambda x: fx.federated_sum(x),
                                   fx.type_at_clients(np.int32))
  with fx.backends.ray.ray_context(num_workers=1,
                                   object_store_memory=100 * 2**20) as ctx:
    assert ray.is_initialized() and ctx.pool.num_workers == 1
    assert int(total([1, 2, 3, 4, 5])) == 15
    assert ctx.last_report.num_shares == 1
  assert not ray.is_initialized()


def test_workers_that_cannot_start_are_an_error(own_ray_dir):
  with pytest.raises(RuntimeError, match='did not start'):
    fx.backends.ray.create_ray_context(num_workers=1, num_cpus_per_worker=4,
                                       num_cpus=1, startup_timeout=5,
                                       object_store_memory=100 * 2**20)
  assert not ray.is_initialized()
