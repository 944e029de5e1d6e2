"""Federated GANs: the round's parts, weighting, DP, learning, errors."""

import struct
import zlib

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import federax as fx
from federax.learning import gans
from federax.learning.gans import server_training


def _toy_spec():
  """1-D data; generator z -> a z + b; discriminator a small tanh MLP."""
  rng = np.random.default_rng(0)

  def discriminator(w, x):
    hidden = jnp.tanh(x @ w[0] + w[1])
    return hidden @ w[2]

  return gans.GanSpec(
      generator_fn=lambda w, z: z * w[0] + w[1],
      discriminator_fn=discriminator,
      initial_generator_weights=(np.ones(1, np.float32),
                                 np.zeros(1, np.float32)),
      initial_discriminator_weights=(
          rng.normal(0, 1, (1, 8)).astype(np.float32),
          np.zeros(8, np.float32),
          rng.normal(0, 0.5, 8).astype(np.float32)),
      noise_shape=(1,), data_shape=(1,))


def _clients(sizes, mean=3.0, seed=1):
  rng = np.random.default_rng(seed)
  return [(mean + 0.5 * rng.normal(size=(n, 1))).astype(np.float32)
          for n in sizes]


NO_SHUFFLE = fx.learning.ClientSpec(batch_size=4, shuffle=False)
ADAM = optax.adam(0.05, b1=0.5)
# Every test below runs clients whose data pads to 8 examples, in cohorts
# of 3 (or 1), so the process compiles twice for the whole module.
SIZES = [5, 7, 8]


@pytest.fixture(scope='module')
def process():
  return gans.build_gan_training_process(
      _toy_spec(), client_discriminator_optimizer=optax.sgd(0.1),
      generator_optimizer=ADAM, client_spec=NO_SHUFFLE, generator_steps=2,
      generator_batch_size=16, seed=4)


def _flat(tree):
  return np.concatenate([np.ravel(x) for x in jax.tree.leaves(tree)])


def _alone(process, start, client):
  """The discriminator change one client makes on its own."""
  state, _ = process.next(start, [client])
  return _flat(state.discriminator_weights) - _flat(
      start.discriminator_weights)


def test_discriminator_is_the_weighted_mean_of_client_models(process):
  clients = _clients(SIZES)
  start = process.initialize()
  state, metrics = process.next(start, clients)
  # Each client alone makes the same change (keys come from its data and
  # the round, not from its position in the cohort or its padding).
  deltas = [_alone(process, start, client) for client in clients]
  expected = (_flat(start.discriminator_weights) +
              np.average(deltas, axis=0, weights=SIZES))
  np.testing.assert_allclose(_flat(state.discriminator_weights), expected,
                             rtol=1e-5, atol=1e-6)
  assert int(metrics['num_discriminator_train_examples']) == 20
  assert int(metrics['non_finite_updates']) == 0
  assert int(state.round_num) == 1
  again, _ = process.next(start, clients)   # deterministic
  np.testing.assert_array_equal(_flat(again.generator_weights),
                                _flat(state.generator_weights))


def test_generator_trains_on_the_server_against_the_new_discriminator(
    process):
  spec = _toy_spec()
  state, metrics = process.next(process.initialize(), _clients(SIZES))
  key = jax.random.fold_in(jax.random.fold_in(
      jax.random.key(4), server_training._SERVER_TAG), 0)
  generator, _, loss = server_training.train_generator(
      spec, gans.nonsaturating(), ADAM, spec.initial_generator_weights,
      ADAM.init(spec.initial_generator_weights),
      state.discriminator_weights, key, 2, 16)
  np.testing.assert_allclose(_flat(state.generator_weights),
                             _flat(generator), rtol=1e-5)
  assert float(metrics['generator_loss']) == pytest.approx(float(loss),
                                                           rel=1e-5)
  assert int(state.generator_optimizer_state[0].count) == 2


def test_non_finite_client_is_dropped(process):
  good = _clients(SIZES[:2])
  bad = np.full((8, 1), np.nan, np.float32)
  start = process.initialize()
  state, metrics = process.next(start, [good[0], bad, good[1]])
  assert int(metrics['non_finite_updates']) == 1
  deltas = [_alone(process, start, client) for client in good]
  expected = (_flat(start.discriminator_weights) +
              np.average(deltas, axis=0, weights=SIZES[:2]))
  np.testing.assert_allclose(_flat(state.discriminator_weights), expected,
                             rtol=1e-5, atol=1e-6)


def test_learns_the_mean_of_one_dimensional_data(process):
  spec, clients = _toy_spec(), _clients([8, 8, 8])
  state = process.initialize()
  for _ in range(60):
    state, metrics = process.next(state, clients)
  samples = gans.generate(spec, state.generator_weights, 500, seed=1)
  assert abs(float(samples.mean()) - 3.0) < 0.5, float(samples.mean())
  assert np.isfinite(float(metrics['discriminator_loss']))


def test_private_discriminator_aggregation():
  clip = 1e-3
  dp = fx.aggregators.DifferentiallyPrivateFactory.gaussian_fixed(
      0.0, clients_per_round=3, clip=clip)
  process = gans.build_gan_training_process(
      _toy_spec(), discriminator_aggregator=dp,
      client_discriminator_optimizer=optax.sgd(1.0))
  start = process.initialize()
  state, metrics = process.next(start, _clients(SIZES))
  change = _flat(state.discriminator_weights) - _flat(
      start.discriminator_weights)
  # Every client's change is clipped to `clip`, so their mean is too.
  assert 0 < np.linalg.norm(change) <= clip * (1 + 1e-4)
  assert sorted(metrics['aggregator']) == ['dp', 'dp_query_metrics']
  assert sorted(state.aggregator._fields) == ['agg_state', 'noise_key',
                                              'query_state']


def test_wasserstein_gradient_penalty():
  loss = gans.wasserstein(gradient_penalty=2.0)
  d = lambda w, x: jnp.sum(x ** 2, axis=1) * w   # noqa: E731
  real = np.array([[1.0], [2.0]], np.float32)
  fake = np.zeros((2, 1), np.float32)
  key = jax.random.key(3)
  eps = jax.random.uniform(key, (2, 1))
  mixed = eps * real
  norms = np.abs(2 * np.asarray(mixed)[:, 0])          # |d/dx w x^2|, w = 1
  expected = -(1 + 4) / 2 + 2.0 * np.mean((norms - 1) ** 2)
  got = loss.discriminator_loss(d, 1.0, real, fake, np.ones(2), key)
  assert float(got) == pytest.approx(expected, rel=1e-5)
  # Masked examples count neither in the loss nor in the penalty.
  masked = loss.discriminator_loss(d, 1.0, real, fake, np.array([1, 0]), key)
  assert float(masked) == pytest.approx(
      -1 + 2.0 * (norms[0] - 1) ** 2, rel=1e-5)
  assert float(loss.generator_loss(d, 1.0, real)) == pytest.approx(-2.5)


def test_spec_errors():
  ok = dict(generator_fn=lambda w, z: z @ w,
            discriminator_fn=lambda w, x: x @ w,
            initial_generator_weights=np.zeros((2, 3), np.float32),
            initial_discriminator_weights=np.zeros(3, np.float32),
            noise_shape=(2,), data_shape=(3,))
  gans.GanSpec(**ok)
  with pytest.raises(ValueError, match=r'generator_fn: expected generated '
                     r'examples float32\[2,4\]'):
    gans.GanSpec(**{**ok, 'data_shape': (4,)})
  with pytest.raises(ValueError, match='discriminator_fn: expected one logit'):
    gans.GanSpec(**{**ok, 'discriminator_fn': lambda w, x: x})
  with pytest.raises(TypeError, match='noise_shape'):
    gans.GanSpec(**{**ok, 'noise_shape': (2.5,)})
  with pytest.raises(TypeError, match='generator_fn: expected a function'):
    gans.GanSpec(**{**ok, 'generator_fn': 3})


def test_builder_errors():
  spec = _toy_spec()
  build = gans.build_gan_training_process
  with pytest.raises(TypeError, match='gan_spec: expected'):
    build('spec')
  with pytest.raises(TypeError, match='discriminator_aggregator'):
    build(spec, discriminator_aggregator=fx.aggregators.MeanFactory)
  with pytest.raises(TypeError, match='loss: expected'):
    build(spec, loss=gans.nonsaturating)
  with pytest.raises(ValueError, match='generator_steps'):
    build(spec, generator_steps=0)
  with pytest.raises(TypeError, match='generator_optimizer'):
    build(spec, generator_optimizer='adam')
  with pytest.raises(ValueError, match='gradient_penalty'):
    gans.wasserstein(-1.0)


def _read_png(path):
  """`(width, height, color type, pixel rows)` of a PNG we wrote."""
  data = open(path, 'rb').read()
  assert data[:8] == b'\x89PNG\r\n\x1a\n'
  pos, chunks = 8, {}
  while pos < len(data):
    (length,), kind = struct.unpack('>I', data[pos:pos + 4]), data[
        pos + 4:pos + 8]
    body = data[pos + 8:pos + 8 + length]
    crc = struct.unpack('>I', data[pos + 8 + length:pos + 12 + length])[0]
    assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
    chunks[kind] = body
    pos += 12 + length
  width, height, _, color = struct.unpack('>IIBB', chunks[b'IHDR'][:10])
  raw = zlib.decompress(chunks[b'IDAT'])
  return width, height, color, raw


def test_image_grid_and_png(tmp_path):
  images = np.stack([np.full((2, 3), v) for v in (0.0, 0.5, 1.0)])
  grid = gans.image_grid(images, columns=2, padding=1)
  assert grid.shape == (2 * 3 + 1, 2 * 4 + 1)
  assert grid[1, 5] == 128 and grid[4, 1] == 255 and grid[0, 0] == 0
  path = tmp_path / 'grid.png'
  gans.write_png(path, grid)
  width, height, color, raw = _read_png(path)
  assert (width, height, color) == (9, 7, 0)
  rows = np.frombuffer(raw, np.uint8).reshape(7, 10)
  assert np.all(rows[:, 0] == 0)                 # filter byte: none
  np.testing.assert_array_equal(rows[:, 1:], grid)
  big = gans.image_grid(images, scale=3)
  assert big.shape == (2 * 7 + 1, 2 * 10 + 1)
  rgb = gans.image_grid(np.zeros((2, 2, 2, 3)))
  gans.write_png(tmp_path / 'rgb.png', rgb)
  assert _read_png(tmp_path / 'rgb.png')[2] == 2
  with pytest.raises(ValueError, match='image: expected uint8'):
    gans.write_png(path, np.zeros((2, 2), np.float32))
  with pytest.raises(ValueError, match='images: expected'):
    gans.image_grid(np.zeros((2, 2)))
