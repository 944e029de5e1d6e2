"""MapReduceForm and DistributeAggregateForm: extraction, reverse conversion,
and rounds run through their forms equal the rounds run directly."""

import collections

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import federax as fx
from federax.compiler import forms

F32, I32 = np.float32, np.int32
MODEL = fx.to_type(collections.OrderedDict(w=(F32, [3, 2]), b=(F32, [2])))
BATCHES = fx.SequenceType(collections.OrderedDict(x=(F32, [4, 3]),
                                                  y=(I32, [4])))


def _loss(m, batch):
  logits = batch['x'] @ m['w'] + m['b']
  return -jnp.mean(jax.nn.log_softmax(logits)[jnp.arange(4), batch['y']])


@fx.jax_computation(MODEL, BATCHES)
def _train(m, batches):
  new = batches.reduce(m, lambda m, b: jax.tree.map(
      lambda p, g: p - 0.5 * g, m, jax.grad(_loss)(m, b)))
  n = batches.reduce(0.0, lambda n, b: n + 4.0)
  return collections.OrderedDict(
      delta=jax.tree.map(jnp.subtract, new, m), n=n,
      loss=batches.reduce(0.0, lambda s, b: s + _loss(m, b)))


@fx.jax_computation(MODEL, MODEL)
def _apply(m, d):
  return jax.tree.map(jnp.add, m, d)


@fx.federated_computation(fx.type_at_server(MODEL), fx.type_at_clients(BATCHES))
def fed_avg(model, data):
  out = fx.federated_map(_train, [fx.federated_broadcast(model), data])
  delta = fx.federated_mean(out.delta, weight=out.n)
  metrics = collections.OrderedDict(
      loss=fx.federated_mean(out.loss, weight=out.n),
      examples=fx.federated_sum(out.n), most=fx.federated_max(out.n))
  return fx.federated_map(_apply, [model, delta]), metrics


@fx.jax_computation(I32, I32)
def _add(a, b):
  return a + b


@fx.federated_computation(fx.type_at_server(I32), fx.type_at_clients(I32))
def counting(state, data):
  """Every kind of aggregation, secure sums included, no broadcast."""
  total = fx.federated_sum(data)
  low = fx.federated_min(data)
  bits = fx.federated_secure_sum_bitwidth(data, 8)
  capped = fx.federated_secure_sum(data, 100)
  mod = fx.federated_secure_modular_sum(data, 7)
  agg = fx.federated_aggregate(
      data, np.int32(0), fx.jax_computation(lambda u, t: u + 2 * t, I32, I32),
      _add, fx.jax_computation(lambda u: u * 10, I32))
  return fx.federated_map(_add, [state, total]), (low, bits, capped, mod, agg)


def _fed_avg_args(n, seed=0):
  rng = np.random.default_rng(seed)
  model = collections.OrderedDict(
      w=rng.normal(size=(3, 2)).astype(F32), b=np.zeros(2, F32))
  data = collections.OrderedDict(
      x=rng.normal(size=(n, 2, 4, 3)).astype(F32),
      y=rng.integers(0, 2, (n, 2, 4)).astype(I32))
  return model, data


def _assert_same(a, b):
  leaves_a, tree_a = jax.tree_util.tree_flatten(a)
  leaves_b, tree_b = jax.tree_util.tree_flatten(b)
  assert tree_a == tree_b
  for x, y in zip(leaves_a, leaves_b):
    np.testing.assert_allclose(x, y, rtol=1e-6, atol=1e-6)


BACKENDS = [fx.backends.jax.jax_context, fx.backends.interpreter.interpreter_context]


@pytest.mark.parametrize('context', BACKENDS)
@pytest.mark.parametrize('to_form,from_form', [
    (forms.get_map_reduce_form_for_computation,
     forms.get_computation_for_map_reduce_form),
    (forms.get_distribute_aggregate_form_for_computation,
     forms.get_computation_for_distribute_aggregate_form),
])
def test_rounds_through_their_forms_equal_the_rounds(context, to_form,
                                                     from_form):
  fed_avg_again = from_form(to_form(fed_avg))
  counting_again = from_form(to_form(counting))
  assert fed_avg_again.type_signature == fed_avg.type_signature
  assert counting_again.type_signature == counting.type_signature
  with context():
    for n in (1, 5):
      args = _fed_avg_args(n, seed=n)
      _assert_same(fed_avg(*args), fed_avg_again(*args))
    data = [3, 9, 4, 1]
    _assert_same(counting(5, data), counting_again(5, data))
    assert int(counting_again(5, data)[0]) == 22
    assert int(counting_again(5, data)[1][3]) == 17 % 7
    assert int(counting_again(5, data)[1][4]) == 340


def test_map_reduce_form_pieces_are_local_and_typed():
  form = forms.get_map_reduce_form_for_computation(fed_avg)
  for name in ('prepare', 'work', 'zero', 'accumulate', 'merge', 'report',
               'update'):
    piece = getattr(form, name)
    assert isinstance(piece.building_block,
                      fx.framework.building_blocks.CompiledComputation)
  assert str(form.prepare.type_signature).startswith('(<w=float32[3,2]')
  assert 'SERVER' not in form.summary() and 'CLIENTS' not in form.summary()
  counting_form = forms.get_map_reduce_form_for_computation(counting)
  assert int(counting_form.secure_sum_bitwidth()[0]) == 8
  assert int(counting_form.secure_sum_max_input()[0]) == 100
  assert int(counting_form.secure_modular_sum_modulus()[0]) == 7


def test_distribute_aggregate_form_stages_are_placed():
  daf = forms.get_distribute_aggregate_form_for_computation(fed_avg)
  assert str(daf.client_broadcast.type_signature).endswith('@CLIENTS)')
  assert '@CLIENTS' in str(daf.client_work.type_signature)
  assert str(daf.server_result.type_signature).endswith(
      '<loss=float32@SERVER,examples=float32@SERVER,most=float32@SERVER>>)')


def test_forms_of_an_iterative_process():
  init = fx.federated_computation(
      lambda: fx.federated_value(np.int32(0), fx.SERVER))
  process = fx.templates.IterativeProcess(init, counting)
  form = forms.get_map_reduce_form_for_process(process)
  again = forms.get_computation_for_map_reduce_form(form)
  assert int(again(process.initialize(), [1, 2])[0]) == 3


@fx.federated_computation(fx.type_at_server(F32), fx.type_at_clients(F32))
def two_round_trips(state, data):
  mean = fx.federated_mean(data)
  scaled = fx.federated_map(fx.jax_computation(
      lambda x, m: x - m, F32, F32), [data, fx.federated_broadcast(mean)])
  return fx.federated_mean(scaled)


@fx.federated_computation(fx.type_at_server(F32), fx.type_at_clients(F32))
def returns_client_values(state, data):
  return state, data


@fx.federated_computation(fx.type_at_clients(F32))
def no_state(data):
  return fx.federated_sum(data)


@pytest.mark.parametrize('comp,message', [
    (two_round_trips, 'after aggregating from them'),
    (returns_client_values, 'returning SERVER-placed values'),
    (no_state, r'needs a round of type \(<S@SERVER,\{D\}@CLIENTS>'),
])
def test_rounds_that_do_not_fit_name_the_construct(comp, message):
  with pytest.raises(TypeError, match=message):
    forms.get_map_reduce_form_for_computation(comp)


def test_select_and_strings_do_not_fit():
  @fx.federated_computation(fx.type_at_server((F32, [4])),
                            fx.type_at_clients((I32, [2])))
  def selecting(table, keys):
    seqs = fx.federated_select(keys, fx.federated_value(np.int32(4),
                                                        fx.SERVER), table,
                               fx.jax_computation(lambda t, k: t[k],
                                                  (F32, [4]), I32))
    return fx.federated_sum(fx.sequence_sum(seqs))

  with pytest.raises(TypeError, match='federated_select'):
    forms.get_map_reduce_form_for_computation(selecting)

  @fx.federated_computation(fx.type_at_server(F32), fx.type_at_clients(F32))
  def stringy(state, data):
    return fx.federated_value('hello', fx.SERVER)

  with pytest.raises(TypeError, match='cannot be lowered'):
    forms.get_map_reduce_form_for_computation(stringy)
  with pytest.raises(TypeError, match='expected an fx.Computation'):
    forms.get_map_reduce_form_for_computation(lambda s, d: s)


def test_a_broken_form_is_rejected():
  form = forms.get_map_reduce_form_for_computation(counting)
  with pytest.raises(TypeError, match=r'MapReduceForm\(prepare\)'):
    forms.MapReduceForm(form.type_signature, form.update, *[
        getattr(form, f) for f in ('work', 'zero', 'accumulate', 'merge',
                                   'report', 'secure_sum_bitwidth',
                                   'secure_sum_max_input',
                                   'secure_modular_sum_modulus', 'update')])
  with pytest.raises(TypeError, match=r'expected an fx.Computation'):
    forms.MapReduceForm(form.type_signature, None, *[
        getattr(form, f) for f in ('work', 'zero', 'accumulate', 'merge',
                                   'report', 'secure_sum_bitwidth',
                                   'secure_sum_max_input',
                                   'secure_modular_sum_modulus', 'update')])
