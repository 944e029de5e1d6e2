"""A small FedAvg run with a checkpoint every round, for the resume tests.

`python resumable_training.py CHECKPOINT_DIR OUT_PATH ROUNDS STALL_AFTER`
trains (resuming from CHECKPOINT_DIR if it holds checkpoints), writes
metrics to CHECKPOINT_DIR/metrics.csv, and saves the final model weights
to OUT_PATH. With STALL_AFTER > 0, the rounds after STALL_AFTER stall
(for minutes) before training, so a test can kill the run mid-training.
"""

import sys
import time

import numpy as np

import federax as fx

NUM_CLIENTS, CLIENTS_PER_ROUND, DIM, CLASSES = 6, 3, 4, 3


def _model():
  rng = np.random.default_rng(0)
  weights = (rng.normal(size=(DIM, 8)).astype(np.float32) * 0.5,
             np.zeros(8, np.float32),
             rng.normal(size=(8, CLASSES)).astype(np.float32) * 0.5,
             np.zeros(CLASSES, np.float32))

  def predict(w, x, training=True):
    import jax.numpy as jnp
    return jnp.tanh(x @ w[0][0] + w[0][1]) @ w[0][2] + w[0][3]

  return fx.learning.models.FunctionalModel(
      initial_weights=(weights, ()), predict_on_batch_fn=predict,
      loss_fn=fx.learning.models.sparse_categorical_crossentropy,
      metrics_fns=fx.learning.models.metrics.build_mean_metrics_fns(
          accuracy=fx.learning.models.metrics.sparse_categorical_accuracy),
      input_spec=((np.float32, [None, DIM]), (np.int32, [None])))


def build():
  """`(process, train_data_fn)`: the same for every run."""
  process = fx.learning.algorithms.build_weighted_fed_avg(
      _model(), fx.learning.optimizers.build_sgdm(0.1, momentum=0.9),
      fx.learning.optimizers.build_adam(0.05),
      client_spec=fx.learning.ClientSpec(num_epochs=2, batch_size=5,
                                         shuffle=True, seed=7))
  rng = np.random.default_rng(1)
  clients = {}
  for i in range(NUM_CLIENTS):
    n = 8 + 3 * i
    x = rng.normal(size=(n, DIM)).astype(np.float32)
    clients[f'client_{i}'] = (x, (np.argmax(x[:, :CLASSES], 1) + i) % CLASSES)
  clients = {k: (x, y.astype(np.int32)) for k, (x, y) in clients.items()}
  sample = fx.simulation.build_uniform_sampling_fn(
      sorted(clients), random_seed=3, size=CLIENTS_PER_ROUND)

  def train_data_fn(round_num):
    return [clients[c] for c in sample(round_num)]

  return process, train_data_fn


def main(checkpoint_dir, out_path, rounds, stall_after):
  process, train_data_fn = build()

  def slow_train_data_fn(round_num):
    if 0 < stall_after < round_num:
      time.sleep(600)
    return train_data_fn(round_num)

  csv_manager = fx.program.CSVFileReleaseManager(f'{checkpoint_dir}/'
                                                 f'metrics.csv')
  result = fx.simulation.train_model(
      process, slow_train_data_fn, rounds, checkpoint_dir=checkpoint_dir,
      metrics_managers=[csv_manager], progress=False)
  fx.program.save_pytree(result.model_weights, out_path)


if __name__ == '__main__':
  main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
