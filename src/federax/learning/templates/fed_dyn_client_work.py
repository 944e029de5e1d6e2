"""FedDyn's clients, with their state kept in a server-side table.

D. A. E. Acar, Y. Zhao, R. Matas, M. Mattina, P. Whatmough,
V. Saligrama. "Federated Learning Based on Dynamic Regularization", ICLR
2021 (arXiv:2111.04263).

Client `k` of a population of `m` keeps a linear term `g_k` (zero at the
start). In a round with participants `P` and server model `x`, each
participant minimizes `L_k(y) - <g_k, y> + alpha/2 ||y - x||^2` from `x`
to `y_k`, then sets `g_k += alpha (x - y_k)`; the server keeps `h = mean
of g_k over all m clients` and sets `x = mean_P y_k - h / alpha`.

Clients of a federated computation keep nothing between rounds, so the
`g_k` live at the server, in the client work's state: a table with one
row per client, indexed by a client id that each client's data carries.
A participant fetches its own row with `federated_select`, and the rows'
changes return through a `federated_aggregate` that scatters each one
into a table of zeros. Since the rows of different clients are disjoint,
the server learns each participant's linear term: this design suits
simulation (and trusted servers), not secure aggregation, and its memory
grows with `m` (a model-sized row per client).

The server's step is folded into the clients' updates so that a plain
mean and SGD with learning rate 1 apply it: with `d_k = x - y_k`,
`h_prev` the table's mean before the round and `|P|` the participants,
`x_new = x - mean_P u_k` for `u_k = (1 + |P|/m) d_k + h_prev / alpha`.
"""

from __future__ import annotations

import collections

import numpy as np

from federax.core import aggregation_intrinsics
from federax.core import federated_computation
from federax.core import intrinsics
from federax.core import jax_computation
from federax.core import placements
from federax.core import types
from federax.learning import client_spec as client_spec_lib
from federax.learning import local_training
from federax.learning import metrics as metrics_lib
from federax.learning.models import model as model_lib
from federax.learning.models import model_weights as model_weights_lib
from federax.learning.optimizers import hparams as opt_hparams
from federax.learning.templates import client_work_parts as parts
from federax.learning.templates import client_works
from federax.learning.templates import model_history_distributor
from federax.learning.templates import round_state
from federax.learning.templates import scaffold_client_work
from federax.templates import measured_process


def client_data_type(model) -> types.StructType:
  """`<client_id=int32,data=<example>*>`: a FedDyn client's data.

  Example:
    >>> import numpy as np, federax as fx
    >>> from federax.learning.templates import fed_dyn_client_work
    >>> model = fx.learning.models.FunctionalModel(
    ...     initial_weights=((np.zeros(2, np.float32),), ()),
    ...     predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...     loss_fn=fx.learning.models.mean_squared_error,
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> print(fed_dyn_client_work.client_data_type(model))
    <client_id=int32,data=<float32[2],float32>*>
  """
  return types.StructType([('client_id', types.TensorType(np.int32)),
                           ('data', parts.model_types(model)[1])],
                          collections.OrderedDict)


def build_fed_dyn_client_work(model_fn, optimizer, alpha: float,
                              num_clients: int, *, client_spec=None,
                              metrics_aggregator=None):
  """FedDyn's clients; the state holds every client's linear term.

  The state is `<hparams, round_num, linear_terms>`, `linear_terms` the
  table of `g_k` (the trainable weights with a leading axis of
  `num_clients`). Each client's data is `{'client_id': k, 'data':
  examples}` with `0 <= k < num_clients`, each id at most once a round.
  A client fetches `g_k`, trains with `optimizer` (the `client_work`
  hparams) on the gradient of `L_k(y) - <g_k, y> + alpha/2 ||y - x||^2`
  over its examples as `client_spec` says, and sends `u_k` (module
  docstring) with weight 1 for an unweighted mean; `g_k` grows by
  `alpha (x - y_k)`. Measurements are `<train=metrics,
  non_finite_updates=int32>`.

  Example:
    >>> import numpy as np, federax as fx
    >>> model = fx.learning.models.FunctionalModel(
    ...     initial_weights=((np.zeros(2, np.float32),), ()),
    ...     predict_on_batch_fn=lambda w, x, training=True: x @ w[0][0],
    ...     loss_fn=fx.learning.models.mean_squared_error,
    ...     input_spec=((np.float32, [None, 2]), (np.float32, [None])))
    >>> work = fx.learning.templates.build_fed_dyn_client_work(
    ...     model, fx.learning.optimizers.build_sgdm(0.1), alpha=0.01,
    ...     num_clients=100)
    >>> print(work.state_type.member.linear_terms)
    <float32[100,2]>
  """
  model = model_lib.as_model(model_fn)
  optimizer = opt_hparams.as_optimizer(optimizer, 'optimizer')
  alpha = scaffold_client_work.check_learning_rate(alpha, 'alpha')
  if (isinstance(num_clients, bool) or not isinstance(num_clients, int)
      or num_clients < 1):
    raise ValueError(f'num_clients: expected an int >= 1 (the population '
                     f'size; client ids are 0 .. num_clients - 1), got '
                     f'{num_clients!r}.')
  spec = client_spec_lib.check(client_spec)
  weights_t, _ = parts.model_types(model)
  trainable_t = weights_t[0]
  table_t = model_history_distributor.stacked_type(trainable_t, num_clients)
  data_t = client_data_type(model)
  initial = model_weights_lib.ModelWeights.from_model(model)
  state = round_state.build_round_state(
      optimizer, initial.trainable,
      linear_terms=parts.zeros_like_type(table_t))
  state_t = state.state_type
  info_t = types.StructType([
      ('hparams', state_t.hparams), ('round_num', state_t.round_num),
      ('correction', trainable_t), ('factor', types.TensorType(np.float32))],
                            collections.OrderedDict)

  @jax_computation.jax_computation(state_t, types.TensorType(np.int32))
  def round_info(server_state, participants):
    import jax
    import jax.numpy as jnp
    return collections.OrderedDict(
        hparams=server_state['hparams'], round_num=server_state['round_num'],
        correction=jax.tree.map(lambda t: jnp.mean(t, axis=0) / alpha,
                                server_state['linear_terms']),
        factor=1.0 + participants.astype(jnp.float32) / num_clients)

  @jax_computation.jax_computation(table_t, types.TensorType(np.int32))
  def select_row(table, k):
    import jax
    return jax.tree.map(lambda t: t[k], table)

  key_of = jax_computation.jax_computation(lambda d: d['client_id'][None],
                                           data_t)
  one = jax_computation.jax_computation(lambda d: np.int32(1), data_t)

  @jax_computation.jax_computation(info_t, weights_t, data_t,
                                   types.SequenceType(trainable_t))
  def client_update(info, weights, data, rows):
    import jax
    import jax.numpy as jnp
    weights = model_weights_lib.ModelWeights(*weights)
    zeros = jax.tree.map(jnp.zeros_like, weights.trainable)
    linear = rows.reduce(zeros, lambda a, r: jax.tree.map(jnp.add, a, r))

    def grad_fn(grads, trainable):
      return jax.tree.map(lambda g, l, y, x: g - l + alpha * (y - x), grads,
                          linear, trainable, weights.trainable)

    examples = data['data']
    result = local_training.train(
        model, optimizer, weights, examples, spec,
        parts.shuffle_key(spec, info['round_num'], examples), grad_fn=grad_fn,
        optimizer_state=opt_hparams.set_hparams(
            optimizer.init(weights.trainable), info['hparams']))
    delta = jax.tree.map(jnp.subtract, weights.trainable,
                         result.weights.trainable)
    delta, _, non_finite = parts.clean(delta, 1.0)
    update = jax.tree.map(lambda d, c: info['factor'] * d + c, delta,
                          info['correction'])
    update, weight, _ = parts.clean(update, 1.0, non_finite)
    return collections.OrderedDict(
        result=client_works.ClientResult(update, weight),
        metrics=metrics_lib.unfinalized_metrics(model, result),
        non_finite=non_finite,
        row=collections.OrderedDict(
            client_id=data['client_id'],
            change=jax.tree.map(lambda d: alpha * d, delta)))

  row_change_t = client_update.type_signature.result.row
  zero_table = jax_computation.jax_computation(
      lambda: parts.zeros_like_type(table_t))

  @jax_computation.jax_computation(table_t, row_change_t)
  def scatter(table, row):
    import jax
    return jax.tree.map(lambda t, c: t.at[row['client_id']].add(c), table,
                        row['change'])

  def add_tables(a, b):
    import jax
    return jax.tree.map(lambda x, y: x + y, a, b)

  add = jax_computation.jax_computation(add_tables, table_t, table_t)
  identity = jax_computation.jax_computation(lambda t: t, table_t)
  linear_terms = jax_computation.jax_computation(lambda s: s['linear_terms'],
                                                 state_t)

  @jax_computation.jax_computation(state_t, table_t)
  def advance(server_state, change):
    new = collections.OrderedDict(server_state)
    new['round_num'] = server_state['round_num'] + 1
    new['linear_terms'] = add_tables(server_state['linear_terms'], change)
    return new

  aggregate_metrics = parts.metrics_aggregation(
      model, metrics_aggregator, client_update.type_signature.result.metrics)

  @federated_computation.federated_computation(
      state.init_fn.type_signature.result, types.type_at_clients(weights_t),
      types.type_at_clients(data_t))
  def next_fn(server_state, weights, client_data):
    table = intrinsics.federated_map(linear_terms, server_state)
    rows = intrinsics.federated_select(
        intrinsics.federated_map(key_of, client_data),
        intrinsics.federated_value(np.int32(num_clients), placements.SERVER),
        table, select_row)
    participants = aggregation_intrinsics.federated_sum(
        intrinsics.federated_map(one, client_data))
    info = intrinsics.federated_map(round_info, [server_state, participants])
    outputs = intrinsics.federated_map(client_update, [
        intrinsics.federated_broadcast(info), weights, client_data, rows])
    change = aggregation_intrinsics.federated_aggregate(
        outputs.row, zero_table(), scatter, add, identity)
    measurements = client_works.training_measurements(
        aggregate_metrics(outputs.metrics), outputs.non_finite)
    return measured_process.MeasuredProcessOutput(
        state=intrinsics.federated_map(advance, [server_state, change]),
        result=outputs.result, measurements=measurements)

  return state.process(next_fn)
