"""The Ray backend on a real cluster: two Ray nodes on 127.0.0.1.

The cluster (`local_cluster.py`) is started once for the module and
stopped at its end; the context has one worker (actor) per node. Results
must equal the vectorized JAX backend's on the shared corpus and on FedAvg
rounds, also when a worker process is killed in the middle of a round.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

import jax
import numpy as np
import pytest

import federax as fx

ray = pytest.importorskip('ray')

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))
import corpus  # pylint: disable=wrong-import-position
from corpus import assert_same  # pylint: disable=wrong-import-position
import local_cluster  # pylint: disable=wrong-import-position

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ray")]

# The workers unpickle this module's ClientData factory by value.
ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])

JAX = fx.backends.jax.create_jax_context()
NUM_CLIENTS = 6


@pytest.fixture(scope='module')
def ctx():
  with local_cluster.local_cluster(num_nodes=2) as address:
    context = fx.backends.ray.create_ray_context(address=address,
                                                 chunk_size=2)
    try:
      assert context.pool.num_workers == 2  # One per node.
      yield context
    finally:
      context.shutdown()


def run_on(context, comp, *args):
  with fx.framework.install_context(context):
    return comp(*args)


def _cases():
  for p in corpus.PROGRAMS:
    for i in range(len(p.args)):
      yield pytest.param(p, i, id=f'{p.name}-{i}')


@pytest.mark.parametrize('program,i', list(_cases()))
def test_corpus_equals_the_vectorized_backend(ctx, program, i):
  args = program.args[i]
  assert_same(run_on(JAX, program.comp, *args),
              run_on(ctx, program.comp, *args))


def test_workers_run_on_both_nodes(ctx):
  infos = [ctx.pool.info(w) for w in ctx.pool.live()]
  nodes = {ray.get(ctx.pool.handle(w).__ray_call__.remote(
      lambda self: ray.get_runtime_context().get_node_id()))
           for w in ctx.pool.live()}
  assert len({i['pid'] for i in infos}) == 2 and len(nodes) == 2


# FedAvg.

def _model():
  return fx.learning.models.FunctionalModel(
      initial_weights=((np.zeros((3, 2), np.float32),
                        np.zeros(2, np.float32)), ()),
      predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0] + w[0][1],
      loss_fn=fx.learning.models.sparse_categorical_crossentropy,
      input_spec=((np.float32, [None, 3]), (np.int32, [None])))


def _client(i):
  r = np.random.default_rng(i)
  n = 3 + i % 4
  return (r.normal(size=(n, 3)).astype(np.float32),
          r.integers(0, 2, size=n).astype(np.int32))


def make_client_data():
  """What a worker builds: the clients' examples (made here, by seed)."""
  return fx.simulation.datasets.ClientData.from_clients_and_fn(
      [str(i) for i in range(NUM_CLIENTS)], lambda c: _client(int(c)))


@pytest.fixture(scope='module')
def fedavg():
  process = fx.learning.algorithms.build_weighted_fed_avg(
      _model(), fx.learning.optimizers.build_sgdm(0.1),
      client_spec=fx.learning.ClientSpec(batch_size=2, num_epochs=2))
  return process, [_client(i) for i in range(NUM_CLIENTS)]


def assert_outputs_close(want, got):
  jax.tree_util.tree_map(
      lambda w, g: np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6),
      (want.state, want.metrics), (got.state, got.metrics))


def test_fedavg_rounds_equal_the_vectorized_backend(ctx, fedavg):
  process, data = fedavg
  want = got = process.initialize()
  for _ in range(3):
    want = run_on(JAX, process.next, want, data)
    got = run_on(ctx, process.next, got, data)
    assert_outputs_close(want, got)
    want, got = want.state, got.state
  assert ctx.last_report.num_shares == 2


def test_fedavg_reads_client_data_on_the_workers(ctx, fedavg):
  process, data = fedavg
  state = process.initialize()
  ids = ['5', '1', '3', '0']
  remote = fx.backends.ray.RemoteClientData(make_client_data, ids)
  want = run_on(JAX, process.next, state, [data[int(c)] for c in ids])
  assert_outputs_close(want, run_on(ctx, process.next, state, remote))


def _round_with_a_killed_worker(ctx, process, state, data, tmp_path):
  """Runs a round in a thread, SIGKILLs the first worker's process while
  it holds its share, and returns the round's output."""
  run_on(ctx, process.next, state, data)  # Warm, and workers replaced.
  worker = ctx.pool.live()[0]  # It gets share 0.
  pid = ctx.pool.info(worker)['pid']
  marker = tmp_path / f'paused-{pid}'
  ray.get(ctx.pool.handle(worker).pause_next_share.remote(str(marker), 300))
  out = {}

  def round_():
    out['result'] = run_on(ctx, process.next, state, data)

  thread = threading.Thread(target=round_)
  thread.start()
  deadline = time.time() + 120
  while not marker.exists() and time.time() < deadline:
    time.sleep(0.1)
  assert marker.exists(), 'the worker never started its share'
  os.kill(pid, signal.SIGKILL)
  thread.join(300)
  assert 'result' in out, 'the round did not finish'
  return out['result']


def test_a_killed_worker_has_its_share_retried(ctx, fedavg, tmp_path):
  process, data = fedavg
  state = process.initialize()
  want = run_on(JAX, process.next, state, data)
  got = _round_with_a_killed_worker(ctx, process, state, data, tmp_path)
  assert_outputs_close(want, got)
  report = ctx.last_report
  assert report.lost_workers == 1 and report.retries == 1
  assert report.dropped == []


def test_drop_policy_counts_the_dropped_clients(ctx, fedavg, tmp_path):
  process, data = fedavg
  state = process.initialize()
  old = ctx.failure_policy
  ctx.failure_policy = fx.backends.ray.FailurePolicy('drop', min_fraction=0.4)
  try:
    got = _round_with_a_killed_worker(ctx, process, state, data, tmp_path)
  finally:
    ctx.failure_policy = old
  half = NUM_CLIENTS // 2
  report = ctx.last_report
  assert report.dropped == list(range(half))  # Share 0's clients.
  assert report.as_metrics()['num_dropped_clients'] == half
  want = run_on(JAX, process.next, state, data[half:])
  assert_outputs_close(want, got)
  examples = got.metrics['client_work']['train']['num_examples']
  assert int(examples) == 2 * sum(len(x) for x, _ in data[half:])
