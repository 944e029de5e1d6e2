"""With several devices the clients axis is sharded; results equal one device.

Runs in a subprocess with 4 CPU devices
(`XLA_FLAGS=--xla_force_host_platform_device_count=4`).
"""

import os
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent('''
    import jax, numpy as np
    import federax as fx
    from federax.core import context_stack

    assert len(jax.devices()) == 4, jax.devices()
    model_t = fx.to_type({'b': (np.float32, [3]), 'w': (np.float32, [4, 3])})
    data_t = fx.SequenceType({'x': (np.float32, [8, 4]),
                              'y': (np.int32, [8])})

    def loss(m, b):
      logits = b['x'] @ m['w'] + m['b']
      return -jax.numpy.mean(jax.nn.log_softmax(logits)[
          jax.numpy.arange(8), b['y']])

    @fx.jax_computation(model_t, data_t)
    def train(m, batches):
      new = batches.reduce(m, lambda m, b: jax.tree.map(
          lambda p, g: p - 0.1 * g, m, jax.grad(loss)(m, b)))
      return {'delta': jax.tree.map(jax.numpy.subtract, new, m),
              'n': batches.reduce(0.0, lambda n, b: n + 8.0)}

    @fx.federated_computation(fx.type_at_server(model_t),
                              fx.type_at_clients(data_t))
    def round_(m, data):
      out = fx.federated_map(train, [fx.federated_broadcast(m), data])
      return (fx.federated_mean(out.delta, weight=out.n),
              fx.federated_max(out.n), out.n)

    rng = np.random.default_rng(0)
    model = {'b': np.zeros(3, np.float32),
             'w': rng.normal(size=(4, 3)).astype(np.float32)}
    for n in (8, 10, 13):
      data = {'x': rng.normal(size=(n, 3, 8, 4)).astype(np.float32),
              'y': rng.integers(0, 3, (n, 3, 8)).astype(np.int32)}
      with fx.backends.jax.jax_context(devices=jax.devices()[:1]):
        one = round_(model, data)
      for chunk in (None, 1, 2):
        with fx.backends.jax.jax_context(chunk_size=chunk) as ctx:
          four = round_(model, data)
          plan, laid_out = ctx._layout(
              n, data['x'], fx.type_at_clients((np.float32, [3, 8, 4])))
          assert plan.devices == 4
          assert len(laid_out.sharding.device_set) == 4
        for k in ('b', 'w'):
          np.testing.assert_allclose(four[0][k], one[0][k], rtol=1e-5,
                                     atol=1e-6)
        assert four[1] == one[1]
        np.testing.assert_array_equal(four[2], one[2])
    print('OK')
''')


@pytest.mark.slow
def test_four_devices_give_the_results_of_one():
  env = dict(os.environ,
             XLA_FLAGS='--xla_force_host_platform_device_count=4',
             JAX_PLATFORMS='cpu')
  out = subprocess.run([sys.executable, '-c', SCRIPT], env=env,
                       capture_output=True, text=True, timeout=600)
  assert out.returncode == 0, out.stderr[-3000:]
  assert 'OK' in out.stdout
