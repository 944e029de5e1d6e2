"""Federated Averaging written with the Federated Core, on an embedded dataset.

Softmax regression trained across 20 simulated clients whose data differ
(each sees a skewed mix of the 5 classes). Each round the server broadcasts
the model, every client runs SGD over its batches (a `jax_computation` over
a sequence), and the server averages the updates weighted by the number of
examples. Run: `python examples/federated_core_demo.py`.
"""

import jax
import jax.numpy as jnp
import numpy as np

import federax as fx

NUM_CLIENTS, DIM, CLASSES, BATCH = 20, 20, 5, 10
CLIENT_LR, ROUNDS = 0.1, 15


def make_dataset(seed=0):
  """A deterministic synthetic federated dataset: (client batches, test set)."""
  rng = np.random.default_rng(seed)
  centers = rng.normal(0, 0.5, (CLASSES, DIM)).astype(np.float32)

  def sample(n, class_probs):
    y = rng.choice(CLASSES, size=n, p=class_probs).astype(np.int32)
    x = centers[y] + rng.normal(0, 1.0, (n, DIM)).astype(np.float32)
    return x, y

  clients = []
  for _ in range(NUM_CLIENTS):
    probs = rng.dirichlet(0.5 * np.ones(CLASSES))
    n = BATCH * rng.integers(2, 8)          # 20 to 70 examples
    x, y = sample(n, probs)
    clients.append({'x': x.reshape(-1, BATCH, DIM), 'y': y.reshape(-1, BATCH)})
  test = sample(1000, np.ones(CLASSES) / CLASSES)
  return clients, test


MODEL = fx.to_type({'w': (np.float32, [DIM, CLASSES]),
                    'b': (np.float32, [CLASSES])})
BATCHES = fx.SequenceType({'x': (np.float32, [BATCH, DIM]),
                           'y': (np.int32, [BATCH])})


def loss_fn(model, batch):
  logits = batch['x'] @ model['w'] + model['b']
  labels = jax.nn.one_hot(batch['y'], CLASSES)
  return -jnp.mean(jnp.sum(labels * jax.nn.log_softmax(logits), axis=-1))


@fx.jax_computation(MODEL, BATCHES)
def client_update(model, batches):
  """Local SGD over the client's batches; returns (delta, weight, loss)."""
  def step(state, batch):
    m, loss_sum, n = state
    loss, grads = jax.value_and_grad(loss_fn)(m, batch)
    m = jax.tree.map(lambda p, g: p - CLIENT_LR * g, m, grads)
    return m, loss_sum + loss * BATCH, n + BATCH
  trained, loss_sum, n = batches.reduce((model, 0.0, 0.0), step)
  delta = jax.tree.map(lambda a, b: a - b, trained, model)
  return {'delta': delta, 'weight': n, 'loss': loss_sum / n}


@fx.jax_computation(MODEL, MODEL)
def apply_update(model, delta):
  return jax.tree.map(lambda p, d: p + d, model, delta)


@fx.federated_computation(fx.type_at_server(MODEL),
                          fx.type_at_clients(BATCHES))
def fed_avg_round(server_model, client_data):
  """One round of FedAvg: broadcast, local training, weighted mean, update."""
  outputs = fx.federated_map(
      client_update, [fx.federated_broadcast(server_model), client_data])
  mean_delta = fx.federated_mean(outputs.delta, weight=outputs.weight)
  loss = fx.federated_mean(outputs.loss, weight=outputs.weight)
  return fx.federated_map(apply_update, [server_model, mean_delta]), loss


@jax.jit
def accuracy(model, x, y):
  return jnp.mean(jnp.argmax(x @ model['w'] + model['b'], -1) == y)


def main():
  clients, (test_x, test_y) = make_dataset()
  print(f'fed_avg_round: {fed_avg_round.type_signature}')
  model = {'w': np.zeros((DIM, CLASSES), np.float32),
           'b': np.zeros((CLASSES,), np.float32)}
  print(f'{NUM_CLIENTS} clients, {sum(len(c["y"]) for c in clients) * BATCH} '
        f'examples; test accuracy before training: '
        f'{float(accuracy(model, test_x, test_y)):.3f}')
  for round_num in range(1, ROUNDS + 1):
    model, loss = fed_avg_round(model, clients)
    acc = float(accuracy(model, test_x, test_y))
    print(f'round {round_num:2d}  train loss {float(loss):.4f}  '
          f'test accuracy {acc:.3f}')
  print(f'final test accuracy: {acc:.3f}')
  return acc


if __name__ == '__main__':
  main()
