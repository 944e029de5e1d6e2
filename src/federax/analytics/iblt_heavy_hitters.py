"""Heavy hitters: the most frequent strings across clients, via IBLTs.

TFF's `tff.analytics.heavy_hitters.iblt.build_iblt_computation`, on the
vectorized backend: clients' strings arrive encoded as bytes
(`fx.analytics.encode_client_strings`), each client sketches its distinct
strings into an IBLT, the sketches are summed (securely, if asked), and the
server decodes the sum. Optionally the result is differentially private:
noisy counts, released above a threshold.
"""

from __future__ import annotations

import collections

import numpy as np

from federax.aggregators import noise
from federax.analytics import iblt
from federax.analytics import privacy
from federax.analytics import sketching
from federax.analytics import strings as strings_lib
from federax.core import aggregation_intrinsics
from federax.core import federated_computation
from federax.core import intrinsics
from federax.core import jax_computation
from federax.core import placements
from federax.core import types
from federax.templates import measured_process

WHO = 'build_iblt_heavy_hitters'


def _check_dp(z, max_words_per_user, multi_contribution, max_count_per_word,
              threshold):
  if not z:
    return 0.0, 0.0
  if max_words_per_user is None:
    raise ValueError(f'{WHO}: max_words_per_user: expected an int when '
                     f'noise_multiplier is set (it bounds what one client '
                     f'contributes), got None.')
  if multi_contribution and max_count_per_word is None:
    raise ValueError(f'{WHO}: max_count_per_word: expected an int when '
                     f'noise_multiplier is set with multi_contribution=True '
                     f'(it bounds a client\'s count of one string), got None. '
                     f'Or pass multi_contribution=False.')
  if threshold is None:
    raise ValueError(f'{WHO}: threshold: expected a number when '
                     f'noise_multiplier is set, got None. Use fx.analytics.'
                     f'gaussian_threshold(noise_multiplier, '
                     f'max_words_per_user, delta).')
  cap = max_count_per_word if multi_contribution else 1
  root = float(np.sqrt(max_words_per_user))
  return z * root, z * root * cap


def build_iblt_heavy_hitters(
    *, string_max_bytes: int = 10, capacity: int = 1000,
    max_words_per_user: int | None = None, multi_contribution: bool = True,
    max_count_per_word: int | None = None, k_anonymity: int = 1,
    max_heavy_hitters: int | None = None, secure_sum: bool = False,
    noise_multiplier: float | None = None, threshold: float | None = None,
    noise_seed: int | None = None, repetitions: int = 3, seed: int = 0):
  """A `MeasuredProcess` finding the heavy hitters of the clients' strings.

  `next(state, client_data)` takes `{uint8[string_max_bytes]*}@CLIENTS`
  (per client, its strings from `fx.analytics.encode_strings`) and returns
  a `HeavyHitters` result (strings, `counts` of occurrences,
  `unique_counts` of clients, most frequent first) and measurements
  `num_clients`, `num_decoded` and `undecoded_count`. The state is the
  noise's PRNG key (`noise_seed`; drawn from the OS when None).

  Each client keeps at most `max_words_per_user` distinct strings (its most
  frequent; all when None), counting each `min(occurrences,
  max_count_per_word)` times (once if `multi_contribution=False`). The
  sketches are summed with `fx.federated_sum`, or with
  `federated_secure_sum_bitwidth(sketch, 32)` when `secure_sum`. Strings
  held by fewer than `k_anonymity` clients are dropped; at most
  `max_heavy_hitters` are returned. `capacity` is the number of distinct
  strings (over all clients) the sketch decodes reliably; beyond it
  decoding may stop early (`undecoded_count > 0`).

  With `noise_multiplier` z, N(0, (z sqrt(max_words_per_user))^2) noise is
  added to the unique counts and N(0, (z sqrt(max_words_per_user)
  max_count_per_word)^2) to the counts, and a string is released when its
  noisy unique count reaches `threshold` (see `gaussian_threshold`).

  Example:
    >>> import federax as fx
    >>> process = fx.analytics.build_iblt_heavy_hitters(
    ...     string_max_bytes=8, capacity=20)
    >>> data = fx.analytics.encode_client_strings(
    ...     [['cat', 'dog', 'cat'], ['cat'], ['emu']], 8)
    >>> output = process.next(process.initialize(), data)
    >>> n = int(output.result.num_heavy_hitters)
    >>> fx.analytics.decode_strings(output.result.heavy_hitters[:n])
    ['cat', 'dog', 'emu']
    >>> output.result.counts[:n].tolist(), output.result.unique_counts[:n].tolist()
    ([3, 1, 1], [2, 1, 1])
  """
  params = iblt.IbltParams(capacity, string_max_bytes, 1, repetitions, seed)
  max_words_per_user = privacy.check_count(max_words_per_user,
                                           'max_words_per_user', WHO)
  max_count_per_word = privacy.check_count(max_count_per_word,
                                           'max_count_per_word', WHO)
  max_heavy_hitters = privacy.check_count(max_heavy_hitters,
                                          'max_heavy_hitters', WHO)
  k_anonymity = privacy.check_count(k_anonymity, 'k_anonymity', WHO, False)
  for name, flag in (('multi_contribution', multi_contribution),
                     ('secure_sum', secure_sum)):
    if not isinstance(flag, bool):
      raise TypeError(f'{WHO}: {name}: expected a bool, got '
                      f'{type(flag).__name__}.')
  z = privacy.check_noise(noise_multiplier, WHO)
  unique_stddev, count_stddev = _check_dp(
      z, max_words_per_user, multi_contribution, max_count_per_word,
      threshold)

  data_t = types.SequenceType(types.TensorType(np.uint8, [string_max_bytes]))
  def sketch_fn(data):
    return sketching.client_sketch(params, data, max_words_per_user,
                                   multi_contribution, max_count_per_word)

  def sketch_and_one_fn(data):
    return sketch_fn(data), np.uint32(1)

  sketch_and_one = jax_computation.jax_computation(sketch_and_one_fn, data_t)
  table_t = sketch_and_one.type_signature.result[0]
  key_t = types.TensorType(np.uint32, [2])

  def decode_fn(key_data, table):
    next_key, round_key = noise.split(key_data)
    result, decoded, undecoded = sketching.server_decode(
        params, table, round_key, max_heavy_hitters=max_heavy_hitters,
        k_anonymity=k_anonymity, unique_stddev=unique_stddev,
        count_stddev=count_stddev, threshold=threshold)
    return next_key, result, decoded, undecoded

  decode = jax_computation.jax_computation(decode_fn, key_t, table_t)
  initial_key = noise.initial_key_fn(noise_seed)

  @federated_computation.federated_computation()
  def init_fn():
    return intrinsics.federated_eval(initial_key, placements.SERVER)

  def total(value):
    if secure_sum:
      return aggregation_intrinsics.federated_secure_sum_bitwidth(value, 32)
    return aggregation_intrinsics.federated_sum(value)

  @federated_computation.federated_computation(
      init_fn.type_signature.result, types.type_at_clients(data_t))
  def next_fn(state, client_data):
    # One sum (one secure sum) for the sketch and the number of clients.
    table, clients = total(intrinsics.federated_map(sketch_and_one,
                                                    client_data))
    new_state, result, decoded, undecoded = intrinsics.federated_map(
        decode, [state, table])
    measurements = intrinsics.federated_zip(collections.OrderedDict(
        num_clients=clients, num_decoded=decoded,
        undecoded_count=undecoded))
    return measured_process.MeasuredProcessOutput(new_state, result,
                                                  measurements)

  return measured_process.MeasuredProcess(init_fn, next_fn)


def heavy_hitters(client_strings, *, string_max_bytes: int = 10,
                  capacity: int = 1000, **kwargs) -> dict:
  """`{string: count}` of the clients' heavy hitters, most frequent first.

  Encodes `client_strings` (one list of strings per client), runs one
  round of `build_iblt_heavy_hitters(string_max_bytes=...,
  capacity=..., **kwargs)` and decodes the result.

  Example:
    >>> import federax as fx
    >>> fx.analytics.heavy_hitters([['a', 'b', 'a'], ['a'], ['c']],
    ...                            capacity=10, k_anonymity=2)
    {'a': 3}
  """
  process = build_iblt_heavy_hitters(string_max_bytes=string_max_bytes,
                                     capacity=capacity, **kwargs)
  data = strings_lib.encode_client_strings(client_strings, string_max_bytes)
  result = process.next(process.initialize(), data).result
  n = int(result.num_heavy_hitters)
  found = strings_lib.decode_strings(np.asarray(result.heavy_hitters)[:n])
  return dict(zip(found, np.asarray(result.counts)[:n].tolist()))
