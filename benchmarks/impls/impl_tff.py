"""Benchmark worker: the FedAvg round in TensorFlow Federated 0.87.

Runs in `benchmarks/.venv-tff` (`benchmarks/envs/setup_tff.sh`):
`python impl_tff.py WORKLOAD CLIENTS`. The model is a Keras model wrapped
by `tff.learning.models.from_keras_model`, trained by
`tff.learning.algorithms.build_weighted_fed_avg` with `build_sgdm`
optimizers on TFF's default (C++) execution context. Each client's data is
a `tf.data.Dataset` of batches of 20, made once. Speaks `protocol.py`.

TFF's default context starts a `worker_binary` child process that
outlives this one: it is ended, by its process id, on exit.
"""

import atexit
import os
import sys

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import psutil  # pylint: disable=wrong-import-position
import tensorflow as tf  # pylint: disable=wrong-import-position
import tensorflow_federated as tff  # pylint: disable=wrong-import-position

import workloads as wl  # pylint: disable=wrong-import-position
from impls import protocol  # pylint: disable=wrong-import-position


def end_worker_binaries():
  """Kills this process's `worker_binary` descendants, by process id."""
  for child in psutil.Process(os.getpid()).children(recursive=True):
    try:
      if 'worker_binary' in ' '.join(child.cmdline()) + child.name():
        child.kill()
    except psutil.Error:
      pass


def keras_model(workload):
  layers = tf.keras.layers
  if workload.model == 'cnn':
    stack = [layers.Conv2D(32, 5, padding='same', activation='relu'),
             layers.MaxPool2D(2),
             layers.Conv2D(64, 5, padding='same', activation='relu'),
             layers.MaxPool2D(2), layers.Flatten(),
             layers.Dense(512, activation='relu'), layers.Dense(62)]
  else:
    sizes = [k[-1] for k in workload.layers]
    stack = [layers.Dense(n, activation='relu') for n in sizes[:-1]]
    stack.append(layers.Dense(sizes[-1]))
  return tf.keras.Sequential(
      [tf.keras.Input(shape=workload.input_shape)] + stack)


def build(workload, num_clients, option, x, y):
  del option
  atexit.register(end_worker_binaries)
  datasets = [tf.data.Dataset.from_tensor_slices((x[i], y[i])).batch(wl.BATCH)
              for i in range(num_clients)]
  spec = datasets[0].element_spec

  def model_fn():
    return tff.learning.models.from_keras_model(
        keras_model(workload), input_spec=spec,
        loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))

  process = tff.learning.algorithms.build_weighted_fed_avg(
      model_fn, client_optimizer_fn=tff.learning.optimizers.build_sgdm(
          wl.CLIENT_LR),
      server_optimizer_fn=tff.learning.optimizers.build_sgdm(wl.SERVER_LR))
  initial = [a for layer in wl.initial_weights(workload) for a in layer]
  state = {'state': process.set_model_weights(
      process.initialize(),
      tff.learning.models.ModelWeights(trainable=initial, non_trainable=[]))}

  def run_round():
    state['state'] = process.next(state['state'], datasets).state

  def get_weights():
    flat = process.get_model_weights(state['state']).trainable
    return list(zip(flat[0::2], flat[1::2]))

  return run_round, get_weights


if __name__ == '__main__':
  try:
    protocol.serve(build)
  finally:
    end_worker_binaries()
