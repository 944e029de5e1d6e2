"""from_flax_module: equals a FunctionalModel; batch stats and RNG state."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from federax.learning import models

SPEC = {'x': (np.float32, [None, 4]), 'y': (np.int32, [None])}


class MLP(nnx.Module):

  def __init__(self, rngs):
    self.hidden = nnx.Linear(4, 6, rngs=rngs)
    self.out = nnx.Linear(6, 3, rngs=rngs)

  def __call__(self, x):
    return self.out(jnp.tanh(self.hidden(x)))


class NormNet(nnx.Module):

  def __init__(self, rngs):
    self.layers = nnx.List([nnx.Linear(4, 5, rngs=rngs),
                            nnx.Linear(5, 3, rngs=rngs)])
    self.norm = nnx.BatchNorm(5, rngs=rngs)
    self.drop = nnx.Dropout(0.5, rngs=rngs)

  def __call__(self, x):
    return self.layers[1](self.drop(self.norm(self.layers[0](x))))


def _data(n, size, seed=0):
  rng = np.random.default_rng(seed)
  x = np.full((size, 4), -7.0, np.float32)
  x[:n] = rng.normal(size=(n, 4))
  y = np.ones(size, np.int32)
  y[:n] = rng.integers(0, 3, size=n)
  return {'x': x, 'y': y}, (np.arange(size) < n).astype(np.float32)


def _loss_and_grad(model, weights, batch, mask=None):
  @jax.jit
  def run(trainable, batch, mask):
    def loss(t):
      out, _ = model.forward_pass(
          models.ModelWeights(t, weights.non_trainable), batch,
          sample_weight=mask)
      return out.loss, out
    return jax.value_and_grad(loss, has_aux=True)(trainable)
  return run(weights.trainable, batch, mask)


def _metrics_fns():
  return models.build_mean_metrics_fns(
      accuracy=models.sparse_categorical_accuracy)


def test_flax_mlp_equals_a_functional_model_and_masks_padding():
  model = models.from_flax_module(
      MLP(nnx.Rngs(0)), models.sparse_categorical_crossentropy, SPEC,
      metrics_fns=_metrics_fns())
  weights = models.ModelWeights.from_model(model)
  assert jax.tree.map(jnp.shape, weights.trainable) == {
      'hidden': {'bias': (6,), 'kernel': (4, 6)},
      'out': {'bias': (3,), 'kernel': (6, 3)}}
  assert weights.non_trainable == {}

  def predict(model_weights, x, training=True):
    p = model_weights.trainable
    h = jnp.tanh(x @ p['hidden']['kernel'] + p['hidden']['bias'])
    return h @ p['out']['kernel'] + p['out']['bias']

  twin = models.FunctionalModel(
      initial_weights=weights, predict_on_batch_fn=predict,
      loss_fn=models.sparse_categorical_crossentropy, input_spec=SPEC)
  padded, mask = _data(5, 8)
  real = jax.tree.map(lambda a: a[:5], padded)
  (loss, out), grads = _loss_and_grad(model, weights, padded, mask)
  (t_loss, _), t_grads = _loss_and_grad(twin, weights, padded, mask)
  (u_loss, _), u_grads = _loss_and_grad(model, weights, real)
  np.testing.assert_allclose(loss, t_loss, rtol=1e-5)
  np.testing.assert_allclose(loss, u_loss, rtol=1e-5)
  close = lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
  jax.tree.map(close, grads, t_grads)
  jax.tree.map(close, grads, u_grads)
  assert int(out.num_examples) == 5
  local = model.update_local_metrics(model.local_variables, padded, out, mask)
  assert float(local['accuracy']['count']) == 5.0


def test_batch_stats_and_rng_state_are_non_trainable_and_update():
  model = models.from_flax_module(
      NormNet(nnx.Rngs(0)), models.sparse_categorical_crossentropy, SPEC)
  weights = model.initial_weights
  assert sorted(weights.trainable['layers']) == ['0', '1']
  assert jax.tree.map(lambda a: a.dtype.name, weights.non_trainable) == {
      'drop': {'rngs': {'count': 'uint32', 'key': 'uint32'}},
      'norm': {'mean': 'float32', 'var': 'float32'}}
  batch, _ = _data(6, 6)
  step = jax.jit(model.forward_pass, static_argnames='training')
  _, trained = step(weights, batch, training=True)
  _, evaluated = step(weights, batch, training=False)
  changed = jax.tree.map(lambda a, b: bool(np.any(a != b)),
                         weights.non_trainable, trained)
  assert changed == {'drop': {'rngs': {'count': True, 'key': False}},
                     'norm': {'mean': True, 'var': True}}
  jax.tree.map(np.testing.assert_array_equal, weights.non_trainable,
               evaluated)
  # Different RNG counts give different dropout masks.
  first = model.predict_on_batch(weights, batch['x'])
  second = model.predict_on_batch(models.ModelWeights(
      weights.trainable, trained), batch['x'])
  assert not np.allclose(first, second)
  assert model.predict_on_batch(weights, batch['x'], training=False).shape == (
      6, 3)


def test_vmap_and_save_load_of_flax_weights(tmp_path):
  model = models.from_flax_module(
      NormNet(nnx.Rngs(1)), models.sparse_categorical_crossentropy, SPEC)
  weights = model.initial_weights
  data = [_data(n, 4, seed=n) for n in (2, 4)]
  batches = jax.tree.map(lambda *a: np.stack(a), *[b for b, _ in data])
  masks = np.stack([m for _, m in data])
  outs, new_nt = jax.vmap(lambda b, m: model.forward_pass(
      weights, b, training=False, sample_weight=m))(batches, masks)
  assert outs.num_examples.tolist() == [2, 4]
  assert new_nt['norm']['mean'].shape == (2, 5)
  models.save_model_weights(weights, tmp_path / 'w.npz')
  loaded = models.load_model_weights(tmp_path / 'w.npz')
  jax.tree.map(np.testing.assert_array_equal, loaded, weights)
  module = model.to_module(loaded)
  assert isinstance(module, NormNet)
  np.testing.assert_array_equal(module.layers[1].kernel[...],
                                weights.trainable['layers']['1']['kernel'])


class Lazy(nnx.Module):

  def __init__(self, rngs):
    self.linear = nnx.Linear(4, 3, rngs=rngs)

  def __call__(self, x):
    self.total = nnx.BatchStat(jnp.sum(x))  # A variable made by the call.
    return self.linear(x)


def test_errors(monkeypatch):
  lazy = models.from_flax_module(Lazy(nnx.Rngs(0)),
                                 models.sparse_categorical_crossentropy, SPEC)
  with pytest.raises(ValueError, match='changed the structure of its state.*'
                     'create every variable in __init__'):
    lazy.forward_pass(lazy.initial_weights, _data(2, 2)[0])
  with pytest.raises(TypeError, match=r'from_flax_module\(module\): expected '
                     r'a flax nnx.Module, got function'):
    models.from_flax_module(lambda x: x, models.mean_squared_error, SPEC)
  with pytest.raises(TypeError, match='named x and y'):
    models.from_flax_module(MLP(nnx.Rngs(0)), models.mean_squared_error,
                            {'inputs': (np.float32, [None, 4]),
                             'y': (np.int32, [None])})
  monkeypatch.setitem(__import__('sys').modules, 'flax', None)
  with pytest.raises(ModuleNotFoundError, match=r'pip install federax\[flax\]'):
    models.from_flax_module(None, models.mean_squared_error, SPEC)
