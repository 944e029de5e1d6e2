"""The benchmark workloads W1, W2, W3, defined once for every implementation.

Only numpy: this module is imported by the federax, TensorFlow Federated
and Flower benchmark processes alike, each in its own environment.

- W1: softmax regression 784 -> 10.
- W2: McMahan et al.'s "2NN", an MLP 784-200-200-62 on EMNIST-shaped data.
- W3: TFF's EMNIST CNN: conv 5x5x32 'same' -> relu -> 2x2 max pool ->
  conv 5x5x64 'same' -> relu -> 2x2 max pool -> dense 512 -> relu ->
  dense 62, on 28x28x1 images.

Every client holds 100 examples, trained in batches of 20 for one local
epoch with SGD (lr 0.02); the server applies the example-weighted mean of
the client deltas with SGD (lr 1.0), i.e. FedAvg. Data is random and
EMNIST-shaped (pixels uniform in [0, 1), labels uniform), the same bits in
every process: `client_data` and `initial_weights` depend only on the
workload and the seed. Weights are a list of `(kernel, bias)` pairs,
kernels `[in, out]` for dense layers and HWIO for convolutions (Keras's
layout and order).
"""

import dataclasses

import numpy as np

EXAMPLES, BATCH, EPOCHS = 100, 20, 1
CLIENT_LR, SERVER_LR = 0.02, 1.0
DATA_SEED, WEIGHTS_SEED = 0, 1


@dataclasses.dataclass(frozen=True)
class Workload:
  name: str
  model: str  # 'linear', 'mlp' or 'cnn'
  input_shape: tuple  # One example.
  classes: int
  cohorts: tuple  # Clients per round benchmarked against the others.
  layers: tuple  # Kernel shapes, in order.

  @property
  def num_params(self):
    return sum(int(np.prod(k)) + k[-1] for k in self.layers)


W1 = Workload('W1', 'linear', (784,), 10, (10, 100, 1000), ((784, 10),))
W2 = Workload('W2', 'mlp', (784,), 62, (50,),
              ((784, 200), (200, 200), (200, 62)))
W3 = Workload('W3', 'cnn', (28, 28, 1), 62, (10,),
              ((5, 5, 1, 32), (5, 5, 32, 64), (7 * 7 * 64, 512), (512, 62)))
WORKLOADS = {w.name: w for w in (W1, W2, W3)}


def client_data(workload, num_clients, seed=DATA_SEED):
  """`(x[clients, 100, *input_shape] float32, y[clients, 100] int32)`.

  The first k clients are the same whatever `num_clients` is.
  """
  rng = np.random.default_rng(seed)
  x = rng.random((num_clients, EXAMPLES) + workload.input_shape,
                 dtype=np.float32)
  y = np.random.default_rng(seed + 1).integers(
      0, workload.classes, (num_clients, EXAMPLES)).astype(np.int32)
  return x, y


def initial_weights(workload, seed=WEIGHTS_SEED):
  """`[(kernel, bias), ...]`: Glorot-uniform kernels, zero biases."""
  rng = np.random.default_rng(seed)
  weights = []
  for shape in workload.layers:
    fan_in = int(np.prod(shape[:-1]))
    fan_out = shape[-1] * (int(np.prod(shape[:-2])) if len(shape) == 4 else 1)
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    kernel = rng.uniform(-limit, limit, shape).astype(np.float32)
    weights.append((kernel, np.zeros(shape[-1], np.float32)))
  return weights


def fingerprint(x, y):
  """A short checksum of client data, to check processes agree on it."""
  return [round(float(x.sum(dtype=np.float64)), 3), int(y.sum(dtype=np.int64))]
