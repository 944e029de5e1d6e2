"""Hadamard and DFT rotations: exact round trips, norms kept, shared signs."""

import collections
import functools

import jax
import numpy as np
import pytest

import federax as fx
from federax.aggregators.compression import transforms

OD = collections.OrderedDict
MPO = fx.templates.MeasuredProcessOutput
VALUE_TYPE = OD(w=(np.float32, [2, 3]), b=(np.float32, [5]), n=(np.int32, [3]))
FACTORIES = {'hadamard': fx.aggregators.HadamardTransformFactory,
             'dft': fx.aggregators.DiscreteFourierTransformFactory}


class SpySumFactory(fx.aggregators.UnweightedAggregationFactory):
  """A sum that also reports what it summed (the rotated values' sum)."""

  def create(self, value_type):
    init = fx.federated_computation(lambda: fx.federated_value((), fx.SERVER))

    @fx.federated_computation(init.type_signature.result,
                              fx.type_at_clients(value_type))
    def next_fn(state, value):
      total = fx.federated_sum(value)
      return MPO(state, total, total)

    return fx.templates.AggregationProcess(init, next_fn)


@functools.cache
def process(name):
  repeats = 2 if name == 'hadamard' else 1
  return FACTORIES[name](SpySumFactory(), num_repeats=repeats,
                         seed=5).create(VALUE_TYPE)


def _values(seed, n=2):
  rng = np.random.default_rng(seed)
  return [OD(w=rng.normal(size=(2, 3)).astype(np.float32),
             b=rng.normal(size=5).astype(np.float32),
             n=rng.integers(-9, 9, 3).astype(np.int32)) for _ in range(n)]


def _flat(v):
  return np.concatenate([np.ravel(v['w']), np.ravel(v['b'])])


@pytest.mark.parametrize('size,repeats', [(5, 1), (33, 2)])
def test_transforms_round_trip_and_keep_norms(size, repeats):
  rng = np.random.default_rng(size)
  x = rng.normal(size=size).astype(np.float32)
  hd, dft = transforms.pow2_size(size), transforms.even_size(size)
  signs = rng.choice([-1.0, 1.0], (repeats, hd)).astype(np.float32)
  angles = rng.uniform(0, 2 * np.pi, (repeats, dft // 2)).astype(np.float32)
  for forward, inverse, padded, randomness in (
      (transforms.hadamard_forward, transforms.hadamard_inverse, hd, signs),
      (transforms.dft_forward, transforms.dft_inverse, dft, angles)):
    round_trip = jax.jit(lambda v, r, f=forward, i=inverse, p=padded: (
        f(transforms.pad(v, p), r), i(f(transforms.pad(v, p), r), r)))
    y, back = round_trip(x, randomness)
    assert y.shape == (padded,)
    assert float(np.linalg.norm(y)) == pytest.approx(np.linalg.norm(x),
                                                     rel=1e-5)
    np.testing.assert_allclose(back[:size], x, atol=1e-5)
    assert not np.allclose(y[:size], x)


@pytest.mark.parametrize('name', sorted(FACTORIES))
def test_result_is_the_sum_and_rotation_is_shared(name):
  p = process(name)
  values = _values(0)
  output = p.next(p.initialize(), values)
  np.testing.assert_allclose(_flat(output.result),
                             _flat(values[0]) + _flat(values[1]),
                             atol=1e-5)
  assert output.result['n'].dtype == np.int32
  assert output.result['n'].tolist() == sum(v['n'] for v in values).tolist()
  rotated = output.measurements['hd' if name == 'hadamard' else 'dft']
  # One rotation for all clients: the rotated sum has the sum's norm, but
  # its coordinates differ from the sum's.
  total = sum(_flat(v) for v in values)
  rotated_flat = np.concatenate([np.ravel(rotated['w']),
                                 np.ravel(rotated['b'])])
  padded_norm = np.sqrt(np.sum(rotated['w']**2) + np.sum(rotated['b']**2))
  assert padded_norm == pytest.approx(np.linalg.norm(total), rel=1e-5)
  assert not np.allclose(rotated['w'][:6], np.ravel(total[:6]), atol=1e-3)
  assert rotated_flat.dtype == np.float32


@pytest.mark.parametrize('name,padded_bits', [('hadamard', 32 * (8 + 8 + 4)),
                                              ('dft', 32 * (6 + 6 + 4))])
def test_bits_count_the_padded_floats(name, padded_bits):
  output = process(name).next(process(name).initialize(), _values(1))
  assert float(output.measurements['bits_per_client']) == padded_bits
  assert float(output.measurements['compression_ratio']) == pytest.approx(
      32 * 14 / padded_bits)
  assert output.measurements[
      'hd' if name == 'hadamard' else 'dft']['w'].shape == (
          8 if name == 'hadamard' else 6,)


def test_signs_change_every_round_reproducibly():
  p = process('hadamard')
  values = _values(2)
  first = p.next(p.initialize(), values)
  again = p.next(p.initialize(), values)
  second = p.next(first.state, values)
  np.testing.assert_array_equal(first.measurements['hd']['b'],
                                again.measurements['hd']['b'])
  assert not np.allclose(first.measurements['hd']['b'],
                         second.measurements['hd']['b'])
  np.testing.assert_allclose(_flat(second.result), _flat(first.result),
                             atol=1e-5)


@pytest.mark.parametrize('name', sorted(FACTORIES))
def test_interpreter_agrees(name):
  p = process(name)
  values = _values(3)
  expected = p.next(p.initialize(), values)
  with fx.framework.install_context(
      fx.backends.interpreter.create_interpreter_context()):
    got = p.next(p.initialize(), values)
  np.testing.assert_allclose(_flat(got.result), _flat(expected.result),
                             atol=1e-5)
  assert got.result['n'].tolist() == expected.result['n'].tolist()
