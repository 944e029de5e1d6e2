"""FunctionalModel: padding is exact, jit and vmap work, errors are clear."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from federax.learning import models

SPEC = {'x': (np.float32, [None, 4]), 'y': (np.int32, [None])}


def _predict(model_weights, x, training=True):
  (w1, b1, w2, b2), _ = model_weights
  return jnp.tanh(x @ w1 + b1) @ w2 + b2


def _initial_weights(seed=0):
  rng = np.random.default_rng(seed)
  f = lambda *s: rng.normal(size=s).astype(np.float32)
  return (f(4, 5), f(5), f(5, 3), f(3)), ()


def _model(**kwargs):
  kwargs.setdefault('metrics_fns', models.build_mean_metrics_fns(
      accuracy=models.sparse_categorical_accuracy))
  return models.FunctionalModel(
      initial_weights=_initial_weights(), predict_on_batch_fn=_predict,
      loss_fn=models.sparse_categorical_crossentropy, input_spec=SPEC,
      **kwargs)


def _data(n, seed=1):
  rng = np.random.default_rng(seed)
  return {'x': rng.normal(size=(n, 4)).astype(np.float32),
          'y': rng.integers(0, 3, size=n).astype(np.int32)}


def _pad(batch, size, fill=1e3):
  n = batch['y'].shape[0]
  x = np.full((size, 4), fill, np.float32)
  x[:n] = batch['x']
  y = np.full((size,), 2, np.int32)
  y[:n] = batch['y']
  mask = (np.arange(size) < n).astype(np.float32)
  return {'x': x, 'y': y}, mask


def _loss_and_grad(model, batch, mask=None):
  @jax.jit
  def loss_and_grad(trainable, batch, mask):
    def loss(trainable):
      out, _ = model.forward_pass(models.ModelWeights(trainable, ()), batch,
                                  sample_weight=mask)
      return out.loss, out
    return jax.value_and_grad(loss, has_aux=True)(trainable)
  return loss_and_grad(model.trainable_variables, batch, mask)


def test_padded_batch_gives_the_loss_and_gradient_of_the_unpadded_one():
  model = _model()
  real = _data(5)
  padded, mask = _pad(real, 8)
  (loss, out), grads = _loss_and_grad(model, real)
  (p_loss, p_out), p_grads = _loss_and_grad(model, padded, mask)
  np.testing.assert_allclose(p_loss, loss, rtol=1e-6)
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5,
                                                       atol=1e-7),
               p_grads, grads)
  assert int(out.num_examples) == int(p_out.num_examples) == 5
  assert out.num_examples.dtype == p_out.num_examples.dtype == jnp.int32
  assert p_out.predictions.shape == (8, 3)


def test_all_padding_batch_has_zero_loss_and_zero_gradient():
  model = _model()
  padded, mask = _pad(_data(0), 4)
  (loss, out), grads = _loss_and_grad(model, padded, mask)
  assert float(loss) == 0.0 and int(out.num_examples) == 0
  assert all(float(jnp.abs(g).sum()) == 0.0 for g in jax.tree.leaves(grads))


def test_non_trainable_weights_pass_through():
  model = models.FunctionalModel(
      initial_weights=([np.ones(4, np.float32)], {'scale': np.float32(2.0)}),
      predict_on_batch_fn=lambda w, x, training: x @ w[0][0] * w[1]['scale'],
      loss_fn=models.mean_squared_error,
      input_spec=((np.float32, [None, 4]), (np.float32, [None])))
  weights = models.ModelWeights.from_model(model)
  out, new_nt = model.forward_pass(
      weights, (np.ones([2, 4], np.float32), np.full([2], 8.0, np.float32)))
  assert new_nt is weights.non_trainable
  assert float(out.loss) == 0.0
  assert model.predict_on_batch(weights, np.ones([1, 4], np.float32)
                                ).tolist() == [8.0]


def test_jit_and_vmap_over_forward_pass():
  model = _model()
  weights = models.ModelWeights.from_model(model)
  clients = [_pad(_data(n, seed=n), 8) for n in (3, 8, 5)]
  batches = jax.tree.map(lambda *a: np.stack(a), *[b for b, _ in clients])
  masks = np.stack([m for _, m in clients])
  step = jax.jit(functools.partial(model.forward_pass, training=True))

  def per_client(batch, mask):
    out, _ = step(weights, batch, sample_weight=mask)
    return out.loss, out.num_examples

  losses, counts = jax.vmap(per_client)(batches, masks)
  assert counts.tolist() == [3, 8, 5]
  for i, n in enumerate((3, 8, 5)):
    out, _ = model.forward_pass(weights, _data(n, seed=n))
    np.testing.assert_allclose(losses[i], out.loss, rtol=1e-6)


def test_metrics_over_three_masked_batches_equal_the_concatenated_data():
  model = _model()
  weights = models.ModelWeights.from_model(model)
  real = [_data(n, seed=10 + n) for n in (4, 2, 6)]
  update = jax.jit(model.update_local_metrics)
  local = model.local_variables
  for batch in real:
    padded, mask = _pad(batch, 6)
    out, _ = model.forward_pass(weights, padded, sample_weight=mask)
    local = update(local, padded, out, mask)
  finalized = models.finalize_metrics(
      model, model.report_local_unfinalized_metrics(local))
  x = np.concatenate([b['x'] for b in real])
  y = np.concatenate([b['y'] for b in real])
  expected = np.mean(np.argmax(_predict(weights, x), -1) == y)
  np.testing.assert_allclose(finalized['accuracy'], expected, rtol=1e-6)
  assert float(local['accuracy']['count']) == 12.0


def test_unfinalized_metrics_of_two_halves_sum_to_the_whole():
  model = _model()
  weights = models.ModelWeights.from_model(model)
  data = _data(10, seed=3)

  def unfinalized(batch):
    out, _ = model.forward_pass(weights, batch)
    return model.report_local_unfinalized_metrics(
        model.update_local_metrics(model.local_variables, batch, out))

  half = lambda s: jax.tree.map(lambda a: a[s], data)
  summed = jax.tree.map(jnp.add, unfinalized(half(slice(0, 4))),
                        unfinalized(half(slice(4, 10))))
  whole = unfinalized(data)
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-6),
               summed, whole)
  assert models.finalize_metrics(model, summed).keys() == {'accuracy'}


def test_no_metrics():
  model = _model(metrics_fns=None)
  assert model.local_variables == {}
  assert models.finalize_metrics(model, {}) == {}


def test_positional_sample_weight_and_mask_named_parameters():
  def loss_fn(output, label, mask):
    return models.weighted_mean((output - label) ** 2, mask)
  model = models.FunctionalModel(
      initial_weights=([np.float32(1.0)], []),
      predict_on_batch_fn=lambda w, x, training: x * w[0][0],
      loss_fn=loss_fn, input_spec=((np.float32, [None]),
                                   (np.float32, [None])))
  out, _ = model.forward_pass(model.initial_weights,
                              (np.array([1.0, 5.0]), np.array([1.0, 0.0])),
                              sample_weight=np.array([1.0, 0.0]))
  assert float(out.loss) == 0.0


@pytest.mark.parametrize('kwargs, message', [
    (dict(initial_weights=[np.zeros(2)]),
     'FunctionalModel(initial_weights): expected a (trainable, non_trainable) '
     'pair'),
    (dict(loss_fn='mse'), 'FunctionalModel(loss_fn): expected a function'),
    (dict(predict_on_batch_fn=None),
     'FunctionalModel(predict_on_batch_fn): expected a function'),
    (dict(metrics_fns=(dict, dict)),
     'FunctionalModel(metrics_fns): expected a triple'),
    (dict(metrics_fns=(list, lambda *a: a, lambda s: s)),
     'initialize_metrics_state_fn: expected a dict'),
    (dict(input_spec=(np.float32, [None, 4])),
     'expected a struct of two elements <x,y>'),
    (dict(input_spec={'a': (np.float32, [None]), 'b': (np.int32, [None])}),
     'a named input_spec must have elements named x and y'),
])
def test_constructor_errors(kwargs, message):
  args = dict(initial_weights=_initial_weights(), predict_on_batch_fn=_predict,
              loss_fn=models.sparse_categorical_crossentropy, input_spec=SPEC)
  args.update(kwargs)
  with pytest.raises(TypeError) as e:
    models.FunctionalModel(**args)
  assert message in str(e.value)


def test_loss_and_metrics_without_sample_weight_cannot_mask():
  model = models.FunctionalModel(
      initial_weights=_initial_weights(), predict_on_batch_fn=_predict,
      loss_fn=lambda output, label: jnp.mean(output),
      metrics_fns=(dict, lambda state, labels, batch_output: state,
                   lambda s: {}),
      input_spec=SPEC)
  batch, mask = _pad(_data(2), 4)
  out, _ = model.forward_pass(model.initial_weights, batch)  # No mask: fine.
  model.update_local_metrics({}, batch, out)
  with pytest.raises(TypeError, match=r'FunctionalModel\(loss_fn\): <lambda> '
                     r'does not take sample_weight.*weighted_mean'):
    model.forward_pass(model.initial_weights, batch, sample_weight=mask)
  with pytest.raises(TypeError, match=r'update_metrics_state_fn\(state, '
                     r'labels, batch_output, sample_weight=None\)'):
    model.update_local_metrics({}, batch, out, mask)


def test_bad_sample_weight_weights_and_batch():
  model = _model()
  batch = _data(3)
  with pytest.raises(ValueError, match=r'sample_weight: expected '
                     r'float32\[3\].*got shape \(2,\)'):
    model.forward_pass(model.initial_weights, batch,
                       sample_weight=np.ones(2))
  with pytest.raises(TypeError, match=r'weights: expected ModelWeights'):
    model.forward_pass([1, 2, 3], batch)
  with pytest.raises(TypeError, match=r'batch: expected an \(x, y\) pair'):
    model.forward_pass(model.initial_weights, {'features': batch['x']})
