"""A saved FedAvg round runs in a fresh process that never saw its code.

The round (softmax regression: a client update doing SGD over a sequence of
batches with `Sequence.reduce`, `federated_broadcast`, `federated_map`,
weighted `federated_mean`, a server update) is saved to a file. A new
`python -c` process that imports only federax and numpy loads it, runs it
on data from an .npz file on the default (JAX) backend and on the
interpreter, and writes the results; they equal the original's.
"""

from __future__ import annotations

import collections
import os
import subprocess
import sys
import textwrap
import typing

import jax
import jax.numpy as jnp
import numpy as np

import federax as fx

F32, I32 = np.float32, np.int32
FEATURES, CLASSES = 5, 3
MODEL = collections.OrderedDict(w=fx.TensorType(F32, [FEATURES, CLASSES]),
                                b=fx.TensorType(F32, [CLASSES]))
# Batches of any size: the batch dimension is symbolic in the export.
BATCH = collections.OrderedDict(x=fx.TensorType(F32, [None, FEATURES]),
                                y=fx.TensorType(I32, [None]))


class ClientOutput(typing.NamedTuple):
  delta: typing.Any
  weight: typing.Any
  loss: typing.Any


def _loss(params, batch):
  logits = batch['x'] @ params['w'] + params['b']
  onehot = jax.nn.one_hot(batch['y'], CLASSES)
  return -jnp.mean(jnp.sum(onehot * jax.nn.log_softmax(logits), axis=-1))


@fx.jax_computation(MODEL, fx.SequenceType(BATCH))
def client_update(model, data):
  def sgd_step(state, batch):
    params, loss_sum, n = state
    loss, grads = jax.value_and_grad(_loss)(params, batch)
    params = jax.tree_util.tree_map(lambda p, g: p - 0.3 * g, params, grads)
    return params, loss_sum + loss, n + jnp.float32(batch['y'].shape[0])

  params, loss_sum, n = data.reduce((model, F32(0), F32(0)), sgd_step)
  delta = jax.tree_util.tree_map(lambda a, b: a - b, params, model)
  return ClientOutput(delta, n, loss_sum)


@fx.jax_computation(MODEL, MODEL)
def server_update(model, delta):
  return jax.tree_util.tree_map(lambda a, b: a + b, model, delta)


@fx.federated_computation(fx.type_at_server(MODEL),
                          fx.type_at_clients(fx.SequenceType(BATCH)))
def fedavg_round(model, data):
  out = fx.federated_map(client_update,
                         (fx.federated_broadcast(model), data))
  delta = fx.federated_mean(out.delta, weight=out.weight)
  new_model = fx.federated_map(server_update, (model, delta))
  return new_model, fx.federated_mean(out.loss, weight=out.weight)


def _data(seed=0, clients=(3, 1, 2), batch=4):
  r = np.random.default_rng(seed)
  model = collections.OrderedDict(
      w=(0.1 * r.normal(size=(FEATURES, CLASSES))).astype(F32),
      b=np.zeros(CLASSES, F32))
  datasets = [[collections.OrderedDict(
      x=r.normal(size=(batch, FEATURES)).astype(F32),
      y=r.integers(0, CLASSES, size=batch).astype(I32))
               for _ in range(k)] for k in clients]
  return model, datasets


def _save_npz(path, model, datasets):
  arrays = {'w': model['w'], 'b': model['b'],
            'num_clients': np.int32(len(datasets))}
  for i, ds in enumerate(datasets):
    arrays[f'x{i}'] = np.stack([b['x'] for b in ds])
    arrays[f'y{i}'] = np.stack([b['y'] for b in ds])
  np.savez(path, **arrays)


# Imports only federax and numpy; data as plain dicts and lists.
_CHILD = textwrap.dedent('''
    import sys
    import numpy as np
    import federax as fx
    comp_path, data_path, out_path = sys.argv[1:4]
    comp = fx.load(comp_path)
    d = np.load(data_path)
    model = {'w': d['w'], 'b': d['b']}
    data = [[{'x': x, 'y': y} for x, y in zip(d[f'x{i}'], d[f'y{i}'])]
            for i in range(int(d['num_clients']))]
    results = {}
    for tag in ('jax', 'interpreter'):
      if tag == 'jax':
        new_model, loss = comp(model, data)
      else:
        with fx.backends.interpreter.interpreter_context():
          new_model, loss = comp(model, data)
      results[f'{tag}_w'] = np.asarray(new_model['w'])
      results[f'{tag}_b'] = np.asarray(new_model['b'])
      results[f'{tag}_loss'] = np.asarray(loss)
      results[f'{tag}_container'] = np.asarray(type(new_model).__name__)
    results['imported_test'] = np.asarray(
        any('test_serialization' in m for m in sys.modules))
    np.savez(out_path, **results)
''')


def test_saved_round_runs_in_a_fresh_process(tmp_path):
  model, datasets = _data()
  comp_path = tmp_path / 'fedavg_round.fxc'
  data_path, out_path = tmp_path / 'data.npz', tmp_path / 'out.npz'
  fx.save(fedavg_round, comp_path)
  _save_npz(data_path, model, datasets)

  src = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
      os.path.abspath(__file__)))), 'src')
  env = dict(os.environ, PYTHONPATH=src)
  proc = subprocess.run(
      [sys.executable, '-c', _CHILD, str(comp_path), str(data_path),
       str(out_path)], cwd=tmp_path, env=env, capture_output=True, text=True,
      timeout=300)
  assert proc.returncode == 0, proc.stderr[-3000:]
  got = np.load(out_path)
  assert not bool(got['imported_test'])

  want_model, want_loss = fedavg_round(model, datasets)
  with fx.backends.interpreter.interpreter_context():
    interp_model, interp_loss = fedavg_round(model, datasets)
  for tag in ('jax', 'interpreter'):
    assert str(got[f'{tag}_container']) == 'OrderedDict'
    np.testing.assert_allclose(got[f'{tag}_w'], want_model['w'], rtol=1e-6,
                               atol=1e-7)
    np.testing.assert_allclose(got[f'{tag}_b'], want_model['b'], rtol=1e-6,
                               atol=1e-7)
    np.testing.assert_allclose(got[f'{tag}_loss'], want_loss, rtol=1e-6)
  np.testing.assert_allclose(got['interpreter_w'], interp_model['w'],
                             rtol=1e-6, atol=1e-7)
  np.testing.assert_allclose(got['interpreter_loss'], interp_loss, rtol=1e-6)
  # The round trained: the model moved.
  assert not np.allclose(got['jax_w'], model['w'])
