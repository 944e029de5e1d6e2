"""Helpers of the baseline task tests: one FedAvg round, finite metrics."""

import os
import sys

import jax
import numpy as np

import federax as fx

# simulation_http (the local file server) lives one directory up.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))


def client_datasets(task, num_clients=3):
  """The preprocessed datasets of the task's first training clients."""
  data = task.datasets.preprocessed_train_data
  return [data.create_dataset_for_client(c)
          for c in data.client_ids[:num_clients]]


def check_spec(task):
  """The model takes the task's preprocessed train and test examples."""
  example = fx.learning.models.example_type(task.model_fn())
  assert example.is_assignable_from(task.datasets.element_type_structure)
  test = task.datasets.get_centralized_test_data()
  assert example.is_assignable_from(test.element_spec)
  return example


def one_round(task, num_clients=3, learning_rate=0.05):
  """Runs one FedAvg round; returns (process, state, training metrics)."""
  process = fx.learning.algorithms.build_weighted_fed_avg(
      task.model_fn,
      client_optimizer_fn=fx.learning.optimizers.build_sgdm(learning_rate),
      client_spec=task.client_spec)
  state = process.initialize()
  data = client_datasets(task, num_clients)
  state, metrics = process.next(state, data)
  train = metrics['client_work']['train']
  expected = sum(len(list(d)) for d in data) * task.client_spec.num_epochs
  assert int(train['num_examples']) == expected
  for name, value in train.items():
    assert np.all(np.isfinite(np.asarray(value))), (name, value)
  for leaf in jax.tree_util.tree_leaves(process.get_model_weights(state)):
    assert np.all(np.isfinite(np.asarray(leaf)))
  return process, state, train
