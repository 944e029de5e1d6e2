"""What the algorithm builders share: checking and defaulting their parts."""

from __future__ import annotations

from federax.aggregators import factory as factory_lib
from federax.aggregators import mean as mean_lib
from federax.core import jax_computation
from federax.learning.models import model_weights as model_weights_lib
from federax.learning.templates import distributors
from federax.learning.templates import client_work_parts


def distributor(model_distributor, weights_type):
  if model_distributor is None:
    return distributors.build_broadcast_process(weights_type)
  if not isinstance(model_distributor, distributors.DistributionProcess):
    raise TypeError(f'model_distributor: expected an fx.learning.templates.'
                    f'DistributionProcess, got '
                    f'{type(model_distributor).__name__}.')
  return model_distributor


def aggregator(model_aggregator, update_type, weighted: bool):
  """The update aggregation process from a factory (default: a mean)."""
  if model_aggregator is None:
    model_aggregator = (mean_lib.MeanFactory() if weighted else
                        mean_lib.UnweightedMeanFactory())
  if isinstance(model_aggregator, factory_lib.WeightedAggregationFactory):
    return model_aggregator.create(update_type, 'float32')
  if isinstance(model_aggregator, factory_lib.UnweightedAggregationFactory):
    return model_aggregator.create(update_type)
  raise TypeError(f'model_aggregator: expected an aggregation factory from '
                  f'fx.aggregators (e.g. fx.aggregators.MeanFactory()), got '
                  f'{type(model_aggregator).__name__}.')


def initial_weights_fn(model):
  """A computation returning the model's initial `ModelWeights`."""
  initial = model_weights_lib.ModelWeights.from_model(model)
  return jax_computation.jax_computation(lambda: initial)


def weights_type(model):
  return client_work_parts.model_types(model)[0]
