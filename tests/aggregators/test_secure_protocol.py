"""The pairwise-masking secure aggregation protocol, alone and in backends."""

import collections

import numpy as np
import pytest

import federax as fx
from federax.aggregators.secure_protocol import crypto
from federax.aggregators.secure_protocol import intrinsic_sums
from federax.aggregators.secure_protocol import masks
from federax.aggregators.secure_protocol import parties
from federax.aggregators.secure_protocol import shamir
from federax.aggregators import secure_protocol

Protocol = fx.aggregators.secure_protocol.MaskedSecureAggregation
OD = collections.OrderedDict


def _probably_prime(n, rounds=3):
  d, s = n - 1, 0
  while d % 2 == 0:
    d, s = d // 2, s + 1
  for a in (2, 3, 5, 7, 11)[:rounds]:
    x = pow(a, d, n)
    if x in (1, n - 1):
      continue
    for _ in range(s - 1):
      x = x * x % n
      if x == n - 1:
        break
    else:
      return False
  return True


def test_group_is_a_safe_prime_and_generator_has_order_q():
  p = crypto.MODP_2048
  assert p.bit_length() == 2048
  assert _probably_prime(p) and _probably_prime((p - 1) // 2)
  assert pow(crypto.GENERATOR, (p - 1) // 2, p) == 1  # In the order-q group.


def test_key_agreement_encryption_and_tampering():
  entropy = crypto.Entropy(seed=3)
  (a, pa), (b, pb) = (crypto.generate_key_pair(entropy),
                      crypto.generate_key_pair(entropy))
  assert crypto.agree(a, pb) == crypto.agree(b, pa)
  key = crypto.derive_key(crypto.agree(a, pb), 'x')
  sealed = crypto.encrypt(key, b'a share of a secret')
  assert b'share' not in sealed
  assert crypto.decrypt(key, sealed) == b'a share of a secret'
  with pytest.raises(ValueError, match='authentication'):
    crypto.decrypt(crypto.derive_key(b'other', 'x'), sealed)
  with pytest.raises(ValueError, match='outside the group'):
    crypto.agree(a, 1)


def test_shamir_any_t_shares_recover_and_fewer_fail():
  entropy = crypto.Entropy(seed=0)
  secret = entropy.integer(256)
  shares = shamir.share(secret, 3, range(1, 6), entropy)
  for subset in ((1, 2, 3), (2, 4, 5), (1, 3, 5, 4)):
    assert shamir.reconstruct({x: shares[x] for x in subset}, 3) == secret
  # Two shares with a wrong third do not give the secret.
  forged = {1: shares[1], 2: shares[2], 3: (shares[3] + 1) % shamir.PRIME}
  assert shamir.reconstruct(forged, 3) != secret
  with pytest.raises(ValueError, match='2 share'):
    shamir.reconstruct({1: shares[1], 2: shares[2]}, 3)


def _vectors(n, size, modulus, seed=0):
  rng = np.random.default_rng(seed)
  return [rng.integers(0, modulus, size).astype(np.uint64) for _ in range(n)]


def test_sum_is_exact_modulo_the_ring():
  modulus = 2**40
  vectors = _vectors(5, 50, modulus)
  got = Protocol(seed=1).sum_vectors(vectors, modulus)
  want = sum(v.astype(object) for v in vectors) % modulus
  assert got.tolist() == want.tolist()


def test_dropouts_within_the_threshold_give_the_survivors_exact_sum():
  modulus = 1000003
  vectors = _vectors(6, 20, modulus, seed=2)
  protocol = Protocol(threshold=3, dropouts=[1, 4], late_dropouts=[5], seed=0)
  got = protocol.sum_vectors(vectors, modulus)
  survivors = [0, 2, 3, 5]  # 5 sent its input, then dropped: it counts.
  want = sum(vectors[i].astype(object) for i in survivors) % modulus
  assert got.tolist() == want.tolist()
  view = protocol.last_view
  assert view.survivors == (0, 2, 3, 5) and view.dropped == (1, 4)
  assert sorted(view.unmasking_shares) == [0, 2, 3]
  # The server got s-key shares for the dropped clients, self-mask seed
  # shares for the survivors, never both for one client.
  for answer in view.unmasking_shares.values():
    assert {u for u, (kind, _) in answer.items() if kind == 's'} == {1, 4}
    assert {u for u, (kind, _) in answer.items() if kind == 'b'} == {
        0, 2, 3, 5}


def test_dropouts_beyond_the_threshold_are_a_clear_error():
  vectors = _vectors(5, 4, 17)
  with pytest.raises(ValueError, match='only 2 clients sent masked inputs, '
                     'fewer than the threshold 3'):
    Protocol(threshold=3, dropouts=[0, 1, 2], seed=0).sum_vectors(vectors, 17)
  with pytest.raises(ValueError, match='only 2 clients answered'):
    Protocol(threshold=3, late_dropouts=[0, 1, 2], seed=0).sum_vectors(
        vectors, 17)
  with pytest.raises(ValueError, match='threshold 6 exceeds the 5 clients'):
    Protocol(threshold=6).sum_vectors(vectors, 17)


def test_a_masked_vector_alone_reveals_nothing():
  modulus, size = 16, 4000
  constant = [np.full(size, 3, np.uint64), np.full(size, 9, np.uint64),
              np.zeros(size, np.uint64)]
  protocol = Protocol(seed=5)
  total = protocol.sum_vectors(constant, modulus)
  assert total.tolist() == [12] * size
  masked = protocol.last_view.masked_inputs
  for u, y in masked.items():
    assert not np.array_equal(y, constant[u])
    # Uniform over Z_16: a chi-square test at a generous significance.
    counts = np.bincount(y.astype(np.int64), minlength=modulus)
    chi2 = ((counts - size / modulus)**2 / (size / modulus)).sum()
    assert chi2 < 45  # 15 degrees of freedom: p < 1e-4 beyond this.
  # Random inputs: the masked vector is uncorrelated with the input.
  inputs = _vectors(3, size, modulus, seed=9)
  protocol.sum_vectors(inputs, modulus)
  for u, y in protocol.last_view.masked_inputs.items():
    r = np.corrcoef(inputs[u].astype(float), y.astype(float))[0, 1]
    assert abs(r) < 0.08


def test_only_the_unmasking_round_reveals_the_total():
  modulus = 2**20
  vectors = _vectors(4, 200, modulus, seed=4)
  protocol = Protocol(seed=2)
  total = protocol.sum_vectors(vectors, modulus)
  summed_masks = np.zeros(200, np.uint64)
  for y in protocol.last_view.masked_inputs.values():
    summed_masks = masks.add(summed_masks, y, modulus)
  # Pairwise masks cancel in the sum, self masks do not: without the
  # unmasking shares the server holds no information about the total.
  assert np.mean(summed_masks == total) < 0.01


def test_clients_refuse_to_reveal_both_secrets_of_one_client():
  entropy = crypto.Entropy(seed=0)
  clients = [parties.Client(u, np.zeros(2, np.uint64), entropy)
             for u in range(3)]
  keys = {c.index: c.advertise_keys() for c in clients}
  outgoing = {c.index: c.share_keys(keys, 2) for c in clients}
  server = parties.Server(2, 8, 2)
  inbox = server.route_shares(outgoing)
  clients[0].masked_input(inbox[0], 8)
  with pytest.raises(ValueError, match='both secrets'):
    clients[0].unmask([1, 2], [1], 2)


def test_seeded_runs_repeat():
  vectors = _vectors(3, 5, 97)
  a, b = Protocol(seed=7), Protocol(seed=7)
  a.sum_vectors(vectors, 97)
  b.sum_vectors(vectors, 97)
  for u in range(3):
    assert np.array_equal(a.last_view.masked_inputs[u],
                          b.last_view.masked_inputs[u])


def test_ring_of_each_intrinsic_and_bitwidth_errors():
  assert intrinsic_sums.ring_modulus('federated_secure_modular_sum', 10, 4) \
      == 10
  assert intrinsic_sums.ring_modulus('federated_secure_sum_bitwidth', 3, 1) \
      == 8
  with pytest.raises(ValueError, match=r'at most 2\*\*62'):
    intrinsic_sums.ring_modulus('federated_secure_sum_bitwidth', 60, 100)
  with pytest.raises(ValueError, match=r'bitwidth in \[1, 62\], got 63'):
    intrinsic_sums.ring_modulus('federated_secure_sum_bitwidth', 63, 1)


@pytest.mark.parametrize('backend', ['jax', 'interpreter'])
def test_intrinsics_run_the_protocol_on_both_backends(backend):
  bitwidth = fx.federated_computation(
      lambda x: fx.federated_secure_sum_bitwidth(x, 8),
      fx.type_at_clients((np.int32, [3])))
  modular = fx.federated_computation(
      lambda x: fx.federated_secure_modular_sum(x, (7, 100)),
      fx.type_at_clients(OD(a=np.int32, b=(np.int32, [2]))))
  values = [[1, 2, 3], [4, 5, 6], [255, 255, 255], [7, 8, 9]]
  pairs = [OD(a=3, b=[50, 1]), OD(a=6, b=[60, 2]), OD(a=5, b=[99, 3]),
           OD(a=1, b=[1, 1])]
  with fx.aggregators.secure_protocol.masked_secure_sums(
      seed=0, threshold=2, dropouts=[1], record=True,
      backend=backend) as protocol:
    assert bitwidth(values).tolist() == [263, 265, 267]
    result = modular(pairs)
    assert int(result['a']) == 2 and result['b'].tolist() == [50, 5]
  # One run per call (the modular sum's two moduli: two runs).
  assert [v.modulus for v in protocol.views] == [2**10, 7, 100]
  assert all(v.dropped == (1,) for v in protocol.views)


@pytest.mark.parametrize('backend', ['jax', 'interpreter'])
def test_protocol_errors_surface_as_value_errors(backend):
  total = fx.federated_computation(
      lambda x: fx.federated_secure_sum_bitwidth(x, 4),
      fx.type_at_clients(np.int32))
  with fx.aggregators.secure_protocol.masked_secure_sums(
      threshold=3, dropouts=[0, 1], backend=backend):
    with pytest.raises(ValueError, match='fewer than the threshold 3'):
      total([1, 2, 3, 4])


def test_bitwidth_out_of_range_is_an_error_while_tracing():
  with pytest.raises(ValueError, match=r'bitwidth in \[1, 31\].*got 0'):
    fx.federated_computation(lambda x: fx.federated_secure_sum_bitwidth(x, 0),
                             fx.type_at_clients(np.int32))
  with pytest.raises(ValueError, match=r'bitwidth in \[1, 7\].*got 9'):
    fx.federated_computation(
        lambda x: fx.federated_secure_sum_bitwidth(x, (9, 3)),
        fx.type_at_clients((np.int8, np.int32)))


def test_context_arguments_are_checked():
  with pytest.raises(TypeError, match='secure_aggregation: expected None or'):
    fx.backends.jax.create_jax_context(secure_aggregation='masked')
  with pytest.raises(ValueError, match='threshold: a fraction'):
    Protocol(threshold=1.5)
  with pytest.raises(TypeError, match='dropouts: expected a collection'):
    Protocol(dropouts=3)
  with pytest.raises(ValueError, match="backend: expected 'jax'"):
    with fx.aggregators.secure_protocol.masked_secure_sums(backend='ray'):
      pass


def test_two_protocol_sums_in_one_computation_on_the_jax_backend():
  @fx.federated_computation(fx.type_at_clients(np.int32))
  def two_sums(values):
    return (fx.federated_secure_sum_bitwidth(values, 8),
            fx.federated_secure_sum_bitwidth(values, 8))

  with secure_protocol.masked_secure_sums():
    first, second = two_sums([1, 2, 3])
  assert int(first) == int(second) == 6
