"""The Ray backend's split and merge, without Ray (in-process workers).

`fx.backends.ray.RayContext` over `InProcessPool` runs exactly the driver
and worker code a Ray cluster runs (serialized computations, shares,
stages, merges in share order, retries and drops), with the workers in
this process; results must equal the vectorized JAX backend's.
"""

from __future__ import annotations

import collections
import os
import subprocess
import sys

import jax.numpy as jnp
import numpy as np
import pytest

import federax as fx
from federax.backends.jax import aggregation
from federax.backends.ray import connect
from federax.backends.ray import dispatch
from federax.backends.ray import shares
from federax.backends.ray import staging

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))
import corpus  # pylint: disable=wrong-import-position
from corpus import assert_same  # pylint: disable=wrong-import-position

JAX = fx.backends.jax.create_jax_context()
PROGRAMS = collections.OrderedDict()  # Compiled worker programs, shared.
# One call of each kind of aggregation, multi-stage calls, CLIENTS-placed
# results, sequences, checks, and an empty cohort.
CASES = [('sums', 2), ('mean', 2), ('weighted_mean_float_weights', 2),
         ('min_max', 2), ('aggregate_stats', 2), ('secure_sums', 2),
         ('three_stages', 1), ('select', 2), ('fedavg_round', 0),
         ('sums', 0), ('apply_at_server', 0)]


def program(name):
  return next(p for p in corpus.PROGRAMS if p.name == name)


def on(ctx, comp, *args):
  with fx.framework.install_context(ctx):
    return comp(*args)


def in_process(num_workers=2, fail=None, **kwargs):
  return fx.backends.ray.RayContext(
      dispatch.InProcessPool(num_workers, chunk_size=2, fail=fail,
                             programs=PROGRAMS), **kwargs)


@pytest.fixture(scope='module')
def ctx():
  return in_process()


@pytest.mark.parametrize('name,i', CASES, ids=[f'{n}-{i}' for n, i in CASES])
def test_equals_the_vectorized_backend(ctx, name, i):
  p = program(name)
  assert_same(on(JAX, p.comp, *p.args[i]), on(ctx, p.comp, *p.args[i]))


def test_shares_of_at_most_clients_per_share():
  p = program('three_stages')
  ctx = in_process(3, clients_per_share=2)
  got = on(ctx, p.comp, *p.args[1])
  assert_same(on(JAX, p.comp, *p.args[1]), got)
  assert (ctx.last_report.num_shares, ctx.last_report.stages) == (3, 3)


def test_split_and_shares():
  assert shares.split(10, 3) == [(0, 4), (4, 7), (7, 10)]
  assert shares.split(1, 4) == [(0, 1)]
  assert shares.num_shares_for(10, 4, 3) == 4
  with pytest.raises(ValueError, match='num_shares'):
    shares.split(3, 0)


@pytest.mark.parametrize('make', [
    lambda: aggregation.Sum(None, np.float32(0)),
    lambda: aggregation.Extreme(None, np.float32(np.inf), np.minimum),
])
def test_merge_partials_follows_the_aggregation(make):
  agg = make()
  values = np.float32([3, -1, 7, 2])
  whole = agg.finish(agg.step(agg.init(), values, np.ones(4, bool)))
  parts = [agg.step(agg.init(), v, np.ones(len(v), bool))
           for v in (values[:1], values[1:])]
  assert float(staging.merge_partials(agg, parts)) == float(whole)
  assert float(staging.merge_partials(agg, [])) == float(agg.finish(
      agg.init()))


# A median: it does not decompose into sums, so the accumulator gathers the
# values (up to K clients) and `merge` joins two shares' buffers.
K = 8
ACC = (fx.TensorType(np.float32, [K]), np.int32)


@fx.jax_computation(ACC, np.float32)
def _gather(acc, x):
  buf, n = acc
  return buf.at[n].set(x), n + 1


@fx.jax_computation(ACC, ACC)
def _join(a, b):
  (buf_a, n_a), (buf_b, n_b) = a, b
  i = jnp.arange(K)
  shifted = buf_b[jnp.clip(i - n_a, 0, K - 1)]
  joined = jnp.where(i < n_a, buf_a, jnp.where(i < n_a + n_b, shifted, 0.0))
  return joined, n_a + n_b


@fx.jax_computation(ACC)
def _median(acc):
  buf, n = acc
  s = jnp.sort(jnp.where(jnp.arange(K) < n, buf, jnp.inf))
  return (s[(n - 1) // 2] + s[n // 2]) / 2


@fx.federated_computation(fx.type_at_clients(np.float32))
def federated_median(x):
  zero = (np.zeros(K, np.float32), np.int32(0))
  return fx.federated_aggregate(x, zero, _gather, _join, _median)


@pytest.mark.parametrize('n', [1, 4, 7])
def test_a_median_gathers_the_values_across_shares(n):
  values = np.random.default_rng(n).normal(size=n).astype(np.float32)
  ctx = in_process(3, clients_per_share=2)
  got = on(ctx, federated_median, list(values))
  assert ctx.last_report.num_shares == -(-n // 2)
  np.testing.assert_allclose(got, np.median(values), rtol=1e-6)


def test_a_lost_worker_has_its_share_retried():
  p = program('fedavg_round')
  want = on(JAX, p.comp, *p.args[0])
  ctx = in_process(fail={0: [0]})
  assert_same(want, on(ctx, p.comp, *p.args[0]))
  report = ctx.last_report
  assert (report.retries, report.lost_workers, report.dropped) == (1, 1, [])


def test_drop_policy_leaves_the_failed_clients_out():
  p = program('fedavg_round')
  model, data = p.args[0]
  policy = fx.backends.ray.FailurePolicy('drop', min_fraction=0.4)
  ctx = in_process(fail={0: [0]}, failure_policy=policy)
  got = on(ctx, p.comp, model, data)
  assert ctx.last_report.dropped == [0, 1, 2]  # Share 0 of (0..2, 3..4).
  assert_same(on(JAX, p.comp, model, data[3:]), got)
  assert int(got[1]['examples']) == sum(2 * len(d) for d in data[3:])
  assert ctx.last_report.as_metrics()['num_dropped_clients'] == 3


def test_drop_policy_retries_when_too_few_clients_would_remain():
  p = program('mean')
  policy = fx.backends.ray.FailurePolicy('drop', min_fraction=0.9)
  ctx = in_process(fail={1: [0]}, failure_policy=policy)
  assert_same(on(JAX, p.comp, *p.args[2]), on(ctx, p.comp, *p.args[2]))
  assert (ctx.last_report.dropped, ctx.last_report.retries) == ([], 1)


def test_later_stages_retry_instead_of_dropping():
  p = program('three_stages')
  policy = fx.backends.ray.FailurePolicy('drop', min_fraction=0.0)
  ctx = in_process(fail={0: [1]}, failure_policy=policy)  # Its 2nd stage.
  assert_same(on(JAX, p.comp, *p.args[1]), on(ctx, p.comp, *p.args[1]))
  assert (ctx.last_report.dropped, ctx.last_report.retries) == ([], 1)


def test_errors_when_every_worker_is_lost_or_retries_run_out():
  p = program('mean')
  with pytest.raises(RuntimeError, match='every worker was lost'):
    on(in_process(fail={0: [0], 1: [0]}), p.comp, *p.args[2])
  policy = fx.backends.ray.FailurePolicy(max_retries=0)
  with pytest.raises(RuntimeError, match='failed 1 times'):
    on(in_process(fail={0: [0]}, failure_policy=policy), p.comp, *p.args[2])


def test_checks_on_workers_raise_on_the_driver(ctx):
  p = program('select')
  keys, max_key, table = p.args[2]
  bad = [k.copy() for k in keys]
  bad[-1][0] = 99
  with pytest.raises(ValueError, match='outside'):
    on(ctx, p.comp, bad, max_key, table)


def _batches_client_data():
  p = program('fedavg_round')
  data = p.args[0][1]
  ids = [f'c{i}' for i in range(len(data))]
  return fx.simulation.datasets.ClientData.from_clients_and_fn(
      ids, lambda c: data[int(c[1:])])


def test_remote_client_data_is_read_by_the_workers(ctx):
  p = program('fedavg_round')
  model, data = p.args[0]
  ids = ['c4', 'c0', 'c2']
  remote = fx.backends.ray.RemoteClientData(_batches_client_data, ids)
  want = on(JAX, p.comp, model, [data[4], data[0], data[2]])
  assert_same(want, on(ctx, p.comp, model, remote))


def test_remote_client_data_errors(ctx):
  with pytest.raises(TypeError, match='factory'):
    fx.backends.ray.RemoteClientData('emnist', ['a'])
  with pytest.raises(TypeError, match='client_ids'):
    fx.backends.ray.RemoteClientData(_batches_client_data, 'c0')
  remote = fx.backends.ray.RemoteClientData(_batches_client_data, ['c0'])
  with pytest.raises(TypeError, match='RemoteClientData stands for'):
    on(ctx, program('mean').comp, remote)


def test_interpreter_fallback_for_strings(ctx):
  hello = fx.federated_computation(lambda: 'Hello World')
  assert on(ctx, hello) == 'Hello World'


def test_argument_errors():
  pool = dispatch.InProcessPool(1)
  with pytest.raises(ValueError, match='clients_per_share'):
    fx.backends.ray.RayContext(pool, clients_per_share=0)
  with pytest.raises(ValueError, match='on_failure'):
    fx.backends.ray.FailurePolicy('ignore')
  with pytest.raises(ValueError, match='min_fraction'):
    fx.backends.ray.FailurePolicy('drop', min_fraction=2)
  with pytest.raises(TypeError, match='failure_policy'):
    fx.backends.ray.RayContext(pool, failure_policy='drop')
  ctx = fx.backends.ray.RayContext(pool)
  ctx.shutdown()
  with pytest.raises(ValueError, match='shut down'):
    on(ctx, program('mean').comp, *program('mean').args[2])


def test_loopback_addresses():
  assert connect.is_loopback('127.0.0.1:6379')
  assert connect.is_loopback('localhost:10001')
  assert not connect.is_loopback('192.0.2.7:6379')
  assert not connect.is_loopback('auto')


def test_import_federax_does_not_import_ray():
  code = ('import sys, federax as fx; fx.backends.ray.RemoteClientData; '
          'print("ray" in sys.modules)')
  out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                       text=True, check=True)
  assert out.stdout.strip() == 'False'


def test_missing_ray_says_how_to_install(monkeypatch):
  monkeypatch.setitem(sys.modules, 'ray', None)
  with pytest.raises(ImportError, match=r"pip install 'federax\[ray\]'"):
    fx.backends.ray.create_ray_context()


def test_training_loop_releases_what_the_ray_context_reports():
  @fx.federated_computation()
  def initialize():
    return fx.federated_value(np.float32(0.0), fx.SERVER)

  @fx.federated_computation(initialize.type_signature.result,
                            fx.type_at_clients(np.float32))
  def next_fn(state, values):
    total = fx.federated_sum(values)
    return fx.federated_map(fx.jax_computation(
        lambda s, t: s + t, np.float32, np.float32), (state, total)), total

  process = fx.templates.IterativeProcess(initialize, next_fn)
  policy = fx.backends.ray.FailurePolicy('drop', min_fraction=0.4)
  memory = fx.program.MemoryReleaseManager()
  with fx.framework.install_context(
      in_process(fail={0: [0]}, failure_policy=policy)):
    state = fx.simulation.run_training_process(
        process, lambda r: [np.float32(c + 1) for c in range(5)], 2,
        metrics_managers=[memory])
  first, second = memory.values()[1], memory.values()[2]
  assert first['execution']['num_dropped_clients'] == 3  # Clients 1..3.
  assert float(first['metrics']) == 4.0 + 5.0
  assert second['execution']['num_dropped_clients'] == 0
  assert float(state) == 9.0 + 15.0
