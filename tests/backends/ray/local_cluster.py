"""A Ray cluster of two nodes on 127.0.0.1, started and stopped by tests.

Each node is a separate raylet with one CPU and a 100 MB object store; the
cluster keeps its files (and Ray's "current cluster" address file) in its
own temporary directory, and uses token authentication as Ray 2.60 does by
default (a token of its own in RAY_AUTH_TOKEN, with RAY_AUTH_MODE=token:
what docs/ray.md tells users to set), so the driver connects as a user's
script would.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile

OBJECT_STORE = 100 * 2**20


def refresh_ray_auth():
  """Ray reads RAY_AUTH_MODE and the token once per process: again."""
  from ray._raylet import AuthenticationTokenLoader, Config
  Config.initialize('')
  AuthenticationTokenLoader.instance().reset_cache()


@contextlib.contextmanager
def _environment(**values):
  old = {k: os.environ.get(k) for k in values}
  os.environ.update(values)
  refresh_ray_auth()
  try:
    yield
  finally:
    for k, v in old.items():
      if v is None:
        os.environ.pop(k, None)
      else:
        os.environ[k] = v
    refresh_ray_auth()


@contextlib.contextmanager
def local_cluster(num_nodes: int = 2):
  """Yields the head's address (`127.0.0.1:port`) of a fresh cluster."""
  import ray
  from ray import cluster_utils
  tmp = tempfile.mkdtemp(prefix='fxray', dir='/tmp')  # Short socket paths.
  src = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'src')
  path = os.pathsep.join(p for p in (os.path.abspath(src),
                                     os.environ.get('PYTHONPATH')) if p)
  node_args = dict(num_cpus=1, object_store_memory=OBJECT_STORE,
                   node_ip_address='127.0.0.1')
  cluster = None
  with _environment(RAY_TMPDIR=tmp, PYTHONPATH=path, RAY_AUTH_MODE='token',
                    RAY_AUTH_TOKEN=secrets.token_hex(16),
                    RAY_USAGE_STATS_ENABLED='0'):
    try:
      cluster = cluster_utils.Cluster(
          initialize_head=True,
          head_node_args=dict(include_dashboard=False, **node_args))
      for _ in range(num_nodes - 1):
        cluster.add_node(**node_args)
      yield cluster.address
    finally:
      ray.shutdown()
      if cluster is not None:
        cluster.shutdown()
      shutil.rmtree(tmp, ignore_errors=True)
