"""Benchmark worker: the FedAvg round in Flower 1.42's simulation engine.

Runs in `benchmarks/.venv-flower` (`benchmarks/envs/setup_flower.sh`):
`python impl_flower.py WORKLOAD CLIENTS [SUPERNODES]`.
`flwr.simulation.run_simulation` starts Ray and SUPERNODES (default
CLIENTS; more lets `protocol.py`'s `load` move to larger cohorts) virtual
SuperNodes; the ClientApp (`flower_client.py`) trains in JAX in Ray actors
(one CPU each, so two run at once here). The ServerApp runs rounds when
`protocol.py` asks: one train message per client, carrying the model and
the index of the client's data, sent and received with
`Grid.send_and_receive`, then Flower's `FedAvg.aggregate_train` (the
example-weighted mean of the client models: FedAvg with server lr 1.0).
That is `FedAvg.start` without evaluation, except that the first CLIENTS
nodes are chosen rather than sampled.
"""

import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# pylint: disable=wrong-import-position
import numpy as np
from flwr.app import (ArrayRecord, ConfigRecord, Message, MessageType,
                      RecordDict)
from flwr.serverapp import ServerApp
from flwr.serverapp.strategy import FedAvg
from flwr.simulation import run_simulation

import workloads as wl
from impls import flower_client, protocol
# pylint: enable=wrong-import-position

TIMEOUT_S = 3600


def build(grid, data_dir, workload, num_clients, x, y):
  data_dir = os.path.join(data_dir, f'{workload.name}-{num_clients}')
  os.makedirs(data_dir)
  np.save(os.path.join(data_dir, 'x.npy'), x)
  np.save(os.path.join(data_dir, 'y.npy'), y)
  strategy = FedAvg(fraction_evaluate=0.0)
  while len(grid.get_node_ids()) < num_clients:
    time.sleep(0.05)
  nodes = sorted(grid.get_node_ids())[:num_clients]
  state = {'round': 0, 'arrays': ArrayRecord(
      [a for layer in wl.initial_weights(workload) for a in layer])}

  def run_round():
    state['round'] += 1
    messages = [Message(
        content=RecordDict({'arrays': state['arrays'], 'config': ConfigRecord(
            {'workload': workload.name, 'data': data_dir, 'index': i,
             'server-round': state['round']})}),
        dst_node_id=node, message_type=MessageType.TRAIN)
                for i, node in enumerate(nodes)]
    replies = grid.send_and_receive(messages, timeout=TIMEOUT_S)
    state['arrays'], _ = strategy.aggregate_train(state['round'], replies)

  def get_weights():
    flat = state['arrays'].to_numpy_ndarrays()
    return list(zip(flat[0::2], flat[1::2]))

  return run_round, get_weights


def main():
  num_supernodes = int(sys.argv[3] if len(sys.argv) > 3 else sys.argv[2])
  data_dir = tempfile.mkdtemp(prefix='flower-bench-')
  server = ServerApp()

  @server.main()
  def _(grid, context):
    del context
    protocol.serve(lambda workload, n, option, x, y: build(
        grid, data_dir, workload, n, x, y))

  try:
    run_simulation(
        server, flower_client.app, num_supernodes=num_supernodes,
        backend_config={'client_resources': {'num_cpus': 1, 'num_gpus': 0.0},
                        'init_args': {'logging_level': 'error',
                                      'log_to_driver': False}})
  finally:
    shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == '__main__':
  main()
