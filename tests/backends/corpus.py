"""Programs every backend must run exactly as the reference interpreter does.

`PROGRAMS` is a list of `Program(name, comp, args)`: a federated
computation and the argument tuples to call it with (`comp(*args)`).
Together they use every intrinsic, every kind of container, sequences
(ragged across clients), zero, one and several clients (counts that no
chunk size used by the tests divides), multi-stage rounds and a FedAvg-like
round of softmax regression. Arguments are random with fixed seeds.

Aggregations given to `federated_aggregate` have `zero` as the identity of
`merge`: backends may fold any partition of the clients from `zero` and
merge the partial results (the interpreter merges two halves, the JAX
backend one partial result per chunk).
"""

from __future__ import annotations

import collections
import typing

import jax
import jax.numpy as jnp
import numpy as np

import federax as fx

C, S = fx.CLIENTS, fx.SERVER
at_c, at_s = fx.type_at_clients, fx.type_at_server
fc, jc = fx.federated_computation, fx.jax_computation
F32, I32 = np.float32, np.int32

# Client counts: none, one, and counts that chunk sizes 2 and 3 don't divide.
COUNTS = (0, 1, 5)


class Program(typing.NamedTuple):
  name: str
  comp: fx.Computation
  args: list  # of argument tuples


class Pair(typing.NamedTuple):
  value: typing.Any
  count: typing.Any


PROGRAMS: list[Program] = []


def registrar(programs: list[Program]):
  """A decorator factory adding computations, with argument tuples, to
  `programs`."""
  def program(*args_list):
    def register(comp):
      programs.append(Program(comp.name, comp, list(args_list)))
      return comp
    return register
  return program


program = registrar(PROGRAMS)


def _rng(seed):
  return np.random.default_rng(seed)


def floats(seed, n, shape=()):
  r = _rng(seed)
  return [r.normal(size=shape).astype(F32) for _ in range(n)]


def ints(seed, n, shape=(), low=-50, high=50):
  r = _rng(seed)
  return [r.integers(low, high, size=shape).astype(I32) for _ in range(n)]


def positive(seed, n, shape=()):
  r = _rng(seed)
  return [r.uniform(0.5, 2.0, size=shape).astype(F32) for _ in range(n)]


def float_sequence(seed, length, shape=()):
  r = _rng(seed)
  return [r.normal(size=shape).astype(F32) for _ in range(length)]


def ragged_sequences(seed, n, shape=(), max_len=4):
  """Per-client sequences of different lengths (client 0 may be empty)."""
  r = _rng(seed)
  return [float_sequence(seed * 100 + i, int(r.integers(0, max_len + 1)),
                         shape) for i in range(n)]


# Local (JAX) computations shared by the programs.

@jc(F32)
def square(x):
  return x * x


@jc((F32, [3]))
def scale_vec(x):
  return 2.0 * x + 1.0


@jc(F32, F32)
def add(a, b):
  return a + b


@jc((F32, [3]), F32)
def shift(v, s):
  return v - s


@jc(I32)
def to_float(x):
  return x.astype(F32) / 4.0


@jc
def one_half():
  return {'h': np.float32(0.5), 'v': np.arange(3, dtype=I32)}


@jc
def two():
  return np.float32(2.0)


# federated_map, apply, broadcast.

@program(*[(floats(1, n, [3]),) for n in COUNTS])
@fc(at_c((F32, [3])))
def map_clients(x):
  return fx.federated_map(scale_vec, x)


@program((1.5, floats(2, 5)), (-0.5, floats(3, 1)), (2.0, []))
@fc(at_s(F32), at_c(F32))
def map_all_equal(s, x):
  """A map of an all-equal value is all-equal; the sum needs the count."""
  y = fx.federated_map(square, fx.federated_broadcast(s))
  return y, fx.federated_sum(y), fx.federated_sum(x)


@program((np.float32(3.0),), (np.float32(-1.25),))
@fc(at_s(F32))
def apply_at_server(s):
  return fx.federated_map(square, s), fx.federated_apply(square, s)


@program((np.float32(0.75), floats(4, 5)), (np.float32(0.0), floats(5, 1)),
         (np.float32(1.0), []))
@fc(at_s(F32), at_c(F32))
def broadcast_and_add(s, x):
  b = fx.federated_broadcast(s)
  return fx.federated_map(add, [x, b]), fx.federated_zip([b, x])


@program((np.float32(0.5), floats(51, 5)), (np.float32(2.0), []))
@fc(at_c(F32, all_equal=True), at_c(F32))
def all_equal_parameter(a, x):
  """An all-equal CLIENTS parameter: one value, used at every client."""
  return (a, fx.federated_map(square, a), fx.federated_sum(a),
          fx.federated_map(add, [x, a]), fx.federated_mean(a))


@program(*[(floats(6, n, [3]), np.float32(0.5 * n)) for n in COUNTS])
@fc(at_c((F32, [3])), at_s(F32))
def broadcast_named_map(x, s):
  return fx.federated_map(shift, collections.OrderedDict(
      v=x, s=fx.federated_broadcast(s)))


# federated_value, federated_eval.

@program((np.float32(2.5), ints(7, 5)), (np.float32(-1.0), []))
@fc(at_s(F32), at_c(I32))
def values_at_both_placements(s, x):
  at_server = fx.federated_value(np.float32(4.0), S)
  at_clients = fx.federated_value(np.float32(1.5), C)
  return (at_server, at_clients, fx.federated_sum(at_clients),
          fx.federated_map(add, [at_clients, fx.federated_broadcast(s)]),
          fx.federated_sum(fx.federated_map(to_float, x)))


@program((ints(8, 5),), (ints(9, 1),), ([],))
@fc(at_c(I32))
def eval_at_both_placements(x):
  per_client = fx.federated_eval(one_half, C)
  at_server = fx.federated_eval(two, S)
  return (per_client, at_server, fx.federated_sum(per_client),
          fx.federated_sum(x))


# federated_zip.

@jc(collections.OrderedDict(a=F32, b=(I32, F32)))
def flatten_ab(p):
  a, (b0, b1) = p['a'], p['b']
  return a + b0.astype(F32) * b1


@program(*[(floats(10, n), ints(11, n), floats(12, n)) for n in COUNTS])
@fc(at_c(F32), at_c(I32), at_c(F32))
def zip_nested_names(a, b0, b1):
  zipped = fx.federated_zip(collections.OrderedDict(a=a, b=(b0, b1)))
  return zipped, fx.federated_map(flatten_ab, zipped)


@program((np.float32(1.0), np.int32(3)), (np.float32(-2.0), np.int32(0)))
@fc(at_s(F32), at_s(I32))
def zip_at_server(s, t):
  return fx.federated_zip({'s': s, 't': t})


# Sums, means, min, max.

@program(*[(ints(13, n, [2]), floats(14, n, [2, 2])) for n in COUNTS])
@fc(at_c((I32, [2])), at_c((F32, [2, 2])))
def sums(i, f):
  return fx.federated_sum(i), fx.federated_sum(f), fx.federated_sum(fx.federated_zip([i, f]))


@program(*[(floats(15, n, [3]),) for n in COUNTS])
@fc(at_c((F32, [3])))
def mean(x):
  return fx.federated_mean(x)


@program(*[(floats(16, n, [2]), ints(17, n, low=1, high=9))
           for n in COUNTS])
@fc(at_c((F32, [2])), at_c(I32))
def weighted_mean_int_weights(x, w):
  return fx.federated_mean(x, w)


@program(*[(floats(18, n, [2]), positive(19, n)) for n in COUNTS])
@fc(at_c((F32, [2])), at_c(F32))
def weighted_mean_float_weights(x, w):
  return fx.federated_mean(x, w), fx.federated_mean(fx.federated_zip({'a': x, 'b': x}), w)


@program(*[(ints(20, n, [3]), floats(21, n, [2])) for n in COUNTS])
@fc(at_c((I32, [3])), at_c((F32, [2])))
def min_max(i, f):
  return (fx.federated_min(i), fx.federated_max(i), fx.federated_min(f),
          fx.federated_max(f))


# federated_aggregate.

STATS = collections.OrderedDict(total=F32, squares=F32, count=I32)


@jc(STATS, F32)
def stats_accumulate(acc, x):
  return collections.OrderedDict(total=acc['total'] + x,
                                 squares=acc['squares'] + x * x,
                                 count=acc['count'] + 1)


@jc(STATS, STATS)
def stats_merge(a, b):
  return collections.OrderedDict(total=a['total'] + b['total'],
                                 squares=a['squares'] + b['squares'],
                                 count=a['count'] + b['count'])


@jc(STATS)
def stats_report(acc):
  n = acc['count'].astype(F32)
  m = acc['total'] / n
  return {'mean': m, 'variance': acc['squares'] / n - m * m,
          'count': acc['count']}


@program(*[(floats(22, n),) for n in COUNTS])
@fc(at_c(F32))
def aggregate_stats(x):
  zero = collections.OrderedDict(total=np.float32(0), squares=np.float32(0),
                                 count=np.int32(0))
  return fx.federated_aggregate(x, zero, stats_accumulate, stats_merge,
                                stats_report)


@jc(Pair(I32, I32), (I32, [2]))
def pair_accumulate(acc, x):
  return Pair(acc.value + x[0] * x[1], acc.count + 1)


@jc(Pair(I32, I32), Pair(I32, I32))
def pair_merge(a, b):
  return Pair(a.value + b.value, a.count + b.count)


@jc(Pair(I32, I32))
def pair_report(acc):
  return Pair(acc.value * 2, acc.count)


@program(*[(ints(23, n, [2]),) for n in COUNTS])
@fc(at_c((I32, [2])))
def aggregate_named_tuple(x):
  return fx.federated_aggregate(x, Pair(np.int32(0), np.int32(0)),
                                pair_accumulate, pair_merge, pair_report)


# Secure sums.

@program(*[(ints(24, n, [2], 0, 100), ints(25, n, (), 0, 7)) for n in COUNTS])
@fc(at_c((I32, [2])), at_c(I32))
def secure_sums(x, y):
  return (fx.federated_secure_sum(x, 100),
          fx.federated_secure_sum_bitwidth(y, 3),
          fx.federated_secure_modular_sum(x, 7),
          fx.federated_secure_modular_sum(fx.federated_zip([x, y]), [5, 3]),
          fx.federated_secure_modular_sum(
              fx.federated_zip({'x': x, 'y': y}), 4))


# federated_select.

@jc((F32, [6, 2]), I32)
def pick_row(table, key):
  return table[key] * (key.astype(F32) + 1.0)


@jc(fx.SequenceType((F32, [2])))
def sum_rows(seq):
  return seq.sum()


def _keys(seed, n, k=3, max_key=6):
  r = _rng(seed)
  return [r.integers(0, max_key, size=k).astype(I32) for _ in range(n)]


@program(*[(_keys(26, n), np.int32(6), _rng(27).normal(size=(6, 2)).astype(
    F32)) for n in COUNTS])
@fc(at_c((I32, [3])), at_s(I32), at_s((F32, [6, 2])))
def select(keys, max_key, table):
  selected = fx.federated_select(keys, max_key, table, pick_row)
  return selected, fx.federated_sum(fx.federated_map(sum_rows, selected))


# Sequences.

@jc(F32)
def plus_one(x):
  return x + 1.0


@jc(F32, F32)
def abs_sum(acc, x):
  return acc + abs(x)


@program((float_sequence(28, 5),), (float_sequence(29, 1),), ([],))
@fc(fx.SequenceType(F32))
def sequence_unplaced(seq):
  return (fx.sequence_map(plus_one, seq), fx.sequence_sum(seq),
          fx.sequence_reduce(seq, np.float32(0.0), abs_sum),
          fx.sequence_sum(fx.sequence_map(square, seq)))


@program((float_sequence(30, 3),))
@fc(at_s(fx.SequenceType(F32)))
def sequence_at_server(seq):
  return fx.sequence_sum(seq), fx.sequence_map(plus_one, seq)


@program(*[(ragged_sequences(31, n),) for n in COUNTS])
@fc(at_c(fx.SequenceType(F32)))
def sequence_per_client(seqs):
  mapped = fx.sequence_map(square, seqs)
  return (mapped, fx.federated_sum(fx.sequence_sum(mapped)),
          fx.federated_sum(fx.sequence_reduce(seqs, np.float32(0.0), abs_sum)))


EXAMPLE = collections.OrderedDict(x=fx.TensorType(F32, [2]),
                                  y=fx.TensorType(I32))


def _examples(seed, n, max_len=4):
  r = _rng(seed)
  out = []
  for _ in range(n):
    out.append([collections.OrderedDict(
        x=r.normal(size=2).astype(F32), y=np.int32(r.integers(0, 5)))
                for _ in range(int(r.integers(0, max_len + 1)))])
  return out


@jc(Pair(F32, I32), EXAMPLE)
def count_examples(acc, e):
  return Pair(acc.value + e['x'].sum() * e['y'].astype(F32), acc.count + 1)


@jc(EXAMPLE)
def example_norm(e):
  return {'norm': (e['x'] ** 2).sum(), 'y': e['y']}


@program(*[(_examples(32, n),) for n in COUNTS])
@fc(at_c(fx.SequenceType(EXAMPLE)))
def sequences_of_structs(data):
  reduced = fx.sequence_reduce(data, Pair(np.float32(0), np.int32(0)),
                               count_examples)
  norms = fx.sequence_map(example_norm, data)
  return (reduced, fx.federated_sum(reduced), norms,
          fx.federated_sum(fx.sequence_sum(norms)))


@jc(fx.SequenceType(EXAMPLE))
def reduce_with_method(data):
  return data.reduce((np.float32(0), np.int32(0)),
                     lambda acc, e: (acc[0] + e['x'][0], acc[1] + e['y']))


@program(*[(_examples(33, n, max_len=3),) for n in COUNTS])
@fc(at_c(fx.SequenceType(EXAMPLE)))
def jax_sequence_reduce(data):
  return fx.federated_map(reduce_with_method, data)


@jc(fx.SequenceType(F32))
def sum_sequence(seq):
  return seq.sum()


@jc(F32, fx.SequenceType(F32))
def add_sequence(acc, seq):
  return acc + seq.sum()


@jc(F32, F32)
def add_floats(a, b):
  return a + b


@jc(F32)
def double(a):
  return 2.0 * a


@program(*[(ragged_sequences(52, n),) for n in COUNTS])
@fc(at_c(fx.SequenceType(F32)))
def aggregate_sequences(seqs):
  """federated_aggregate whose client values are sequences."""
  return fx.federated_aggregate(seqs, np.float32(0.0), add_sequence,
                                add_floats, double), seqs


@program((float_sequence(53, 3), floats(54, 5)), ([], floats(55, 1)))
@fc(at_s(fx.SequenceType(F32)), at_c(F32))
def broadcast_sequence(seq, x):
  b = fx.federated_broadcast(seq)
  sums = fx.federated_map(sum_sequence, b)
  return sums, fx.federated_sum(sums), fx.federated_zip([b, x])


# Struct containers at CLIENTS and SERVER.

POINT = collections.OrderedDict(x=(F32, [2]), n=I32)


class Weights(typing.NamedTuple):
  kernel: typing.Any
  bias: typing.Any


def _points(seed, n):
  r = _rng(seed)
  return [collections.OrderedDict(x=r.normal(size=2).astype(F32),
                                  n=np.int32(r.integers(0, 10)))
          for _ in range(n)]


def _weights(seed, n):
  r = _rng(seed)
  return [Weights(r.normal(size=(2, 2)).astype(F32),
                  r.normal(size=2).astype(F32)) for _ in range(n)]


def _dicts(seed, n):
  r = _rng(seed)
  return [{'b': r.normal(size=()).astype(F32),
           'a': [np.int32(r.integers(-5, 5)), r.normal(size=2).astype(F32)]}
          for _ in range(n)]


@program(*[(_points(34, n), _weights(35, n), _dicts(36, n)) for n in COUNTS])
@fc(at_c(POINT), at_c(Weights(fx.TensorType(F32, [2, 2]),
                              fx.TensorType(F32, [2]))),
    at_c({'b': F32, 'a': [I32, (F32, [2])]}))
def struct_containers(p, w, d):
  return {'p': fx.federated_sum(p), 'w': fx.federated_max(w),
          'd': fx.federated_min(d), 'clients': (p, w, d)}


@jc(Weights(fx.TensorType(F32, [2, 2]), fx.TensorType(F32, [2])),
    (F32, [2]))
def apply_weights(w, x):
  return {'y': x @ w.kernel + w.bias, 'w': w}


@program(*[(_weights(37, 1)[0], floats(38, n, [2])) for n in COUNTS])
@fc(at_s(Weights(fx.TensorType(F32, [2, 2]), fx.TensorType(F32, [2]))),
    at_c((F32, [2])))
def struct_at_server_broadcast(w, x):
  out = fx.federated_map(apply_weights, [fx.federated_broadcast(w), x])
  return w, out, fx.federated_mean(out)


class Nested(typing.NamedTuple):
  a: typing.Any
  b: typing.Any


@jc(F32)
def to_nested(x):
  return Nested(x, {'z': x * 2.0, 'y': (x, x + 1.0)})


@program(*[(floats(56, n),) for n in COUNTS])
@fc(at_c(F32))
def local_results_in_containers(x):
  """A JAX computation returning a NamedTuple holding a dict and a tuple."""
  y = fx.federated_map(to_nested, x)
  return y, fx.federated_sum(y), y.a, fx.federated_max(y.b)


def _small(dtype, seed, n, shape=()):
  r = _rng(seed)
  return [r.integers(0, 100, size=shape).astype(dtype) for _ in range(n)]


@program(*[(_small(np.int8, 57, n, [2]), _small(np.uint8, 58, n),
            _small(np.uint32, 59, n), _small(np.int16, 60, n))
           for n in COUNTS])
@fc(at_c((np.int8, [2])), at_c(np.uint8), at_c(np.uint32), at_c(np.int16))
def integer_dtypes(a, b, c, d):
  """Sums wrap around in the member dtype; min/max start from its limits."""
  return [(fx.federated_sum(v), fx.federated_min(v), fx.federated_max(v))
          for v in (a, b, c, d)]


# Multi-stage rounds.

@jc((F32, [3]))
def _sum_vec(v):
  return v.sum()


@program(*[(floats(39, n, [3]),) for n in COUNTS[1:]])
@fc(at_c((F32, [3])))
def two_stages(x):
  """Aggregate, broadcast the result, map again, aggregate again."""
  m = fx.federated_mean(x)
  centered = fx.federated_map(shift, [x, fx.federated_map(
      _sum_vec, fx.federated_broadcast(m))])
  squares = fx.federated_map(scale_vec, centered)
  return m, centered, fx.federated_sum(squares), fx.federated_max(centered)


@program(*[(floats(40, n),) for n in COUNTS[1:]])
@fc(at_c(F32))
def three_stages(x):
  a = fx.federated_max(x)
  y = fx.federated_map(add, [x, fx.federated_broadcast(a)])
  b = fx.federated_sum(y)
  z = fx.federated_map(add, [y, fx.federated_broadcast(
      fx.federated_map(square, b))])
  return a, b, fx.federated_min(z), z


@program(*[(floats(41, n), ints(42, n)) for n in COUNTS])
@fc(at_c(F32), at_c(I32))
def shared_client_value(x, i):
  """The same client value feeds several aggregations in one pass."""
  y = fx.federated_map(square, x)
  zero = collections.OrderedDict(total=np.float32(0), squares=np.float32(0),
                                 count=np.int32(0))
  return (fx.federated_sum(y), fx.federated_max(y), fx.federated_min(i),
          fx.federated_aggregate(y, zero, stats_accumulate, stats_merge,
                                 stats_report),
          fx.federated_sum(fx.federated_map(to_float, i)), y)


@program((floats(43, 4), floats(44, 4)), (floats(45, 1), floats(46, 1)))
@fc(at_c(F32), at_c(F32))
def nested_federated_computation(x, y):
  inner = fc(lambda v: fx.federated_sum(fx.federated_map(square, v)),
             at_c(F32))
  return inner(x), inner(y), inner(fx.federated_map(add, [x, y]))


# A FedAvg-like round: softmax regression trained with SGD on each client.

NUM_FEATURES, NUM_CLASSES, BATCH = 4, 3, 2
MODEL = collections.OrderedDict(w=fx.TensorType(F32, [NUM_FEATURES,
                                                      NUM_CLASSES]),
                                b=fx.TensorType(F32, [NUM_CLASSES]))
BATCH_TYPE = collections.OrderedDict(
    x=fx.TensorType(F32, [BATCH, NUM_FEATURES]),
    y=fx.TensorType(I32, [BATCH]))


def _loss(model, batch):
  logits = batch['x'] @ model['w'] + model['b']
  logp = jax.nn.log_softmax(logits)
  onehot = jax.nn.one_hot(batch['y'], NUM_CLASSES)
  return -jnp.mean(jnp.sum(onehot * logp, axis=-1))


@jc(MODEL, fx.SequenceType(BATCH_TYPE))
def client_update(model, data):
  def sgd_step(state, batch):
    params, loss_sum, n = state
    loss, grads = jax.value_and_grad(_loss)(params, batch)
    params = jax.tree_util.tree_map(lambda p, g: p - 0.5 * g, params, grads)
    return params, loss_sum + loss, n + BATCH

  params, loss_sum, n = data.reduce((model, np.float32(0.0), np.int32(0)),
                                    sgd_step)
  delta = jax.tree_util.tree_map(lambda a, b: a - b, params, model)
  return {'delta': delta, 'weight': n.astype(F32), 'loss': loss_sum,
          'examples': n}


@jc(MODEL, MODEL)
def server_update(model, delta):
  return jax.tree_util.tree_map(lambda a, b: a + b, model, delta)


def _model(seed):
  r = _rng(seed)
  return collections.OrderedDict(
      w=(0.1 * r.normal(size=(NUM_FEATURES, NUM_CLASSES))).astype(F32),
      b=np.zeros(NUM_CLASSES, F32))


def _client_datasets(seed, n, min_batches=1, max_batches=3):
  r = _rng(seed)
  out = []
  for _ in range(n):
    out.append([collections.OrderedDict(
        x=r.normal(size=(BATCH, NUM_FEATURES)).astype(F32),
        y=r.integers(0, NUM_CLASSES, size=BATCH).astype(I32))
                for _ in range(int(r.integers(min_batches, max_batches + 1)))])
  return out


@program((_model(47), _client_datasets(48, 5)),
         (_model(49), _client_datasets(50, 1)))
@fc(at_s(MODEL), at_c(fx.SequenceType(BATCH_TYPE)))
def fedavg_round(model, data):
  out = fx.federated_map(client_update, [fx.federated_broadcast(model), data])
  delta = fx.federated_mean(out['delta'], out['weight'])
  new_model = fx.federated_map(server_update, [model, delta])
  metrics = collections.OrderedDict(
      loss=fx.federated_mean(out['loss'], out['examples']),
      examples=fx.federated_sum(out['examples']))
  return new_model, metrics


NAMES = [p.name for p in PROGRAMS]
assert len(set(NAMES)) == len(NAMES), NAMES


def assert_same(want, got, path='result', rtol=1e-6):
  """`got` equals `want`: same containers and leaf types, close floats."""
  assert type(got) is type(want), (
      f'{path}: expected a {type(want).__name__}, got a {type(got).__name__}')
  if isinstance(want, (list, tuple)) and not isinstance(want, str):
    assert len(got) == len(want), f'{path}: length {len(got)} != {len(want)}'
    if hasattr(want, '_fields'):
      assert got._fields == want._fields, path
    for k, (w, g) in enumerate(zip(want, got)):
      assert_same(w, g, f'{path}[{k}]', rtol)
  elif isinstance(want, dict):
    assert list(got) == list(want), f'{path}: keys {list(got)} != {list(want)}'
    for k in want:
      assert_same(want[k], got[k], f'{path}[{k!r}]', rtol)
  elif isinstance(want, (np.ndarray, np.generic)):
    assert got.dtype == want.dtype, f'{path}: dtype {got.dtype} != {want.dtype}'
    assert got.shape == want.shape, f'{path}: shape {got.shape} != {want.shape}'
    if np.issubdtype(want.dtype, np.inexact):
      np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-6,
                                 err_msg=path)
    else:
      np.testing.assert_array_equal(got, want, err_msg=path)
  else:
    assert got == want, f'{path}: {got!r} != {want!r}'
