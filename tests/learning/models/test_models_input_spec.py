"""batch_type, example_type, split_batch, as_model and finalize_metrics."""

import collections
from typing import NamedTuple

import numpy as np
import pytest

import federax as fx
from federax.learning import models
from federax.learning.models import input_spec as input_spec_lib


class Batch(NamedTuple):
  x: object
  y: object


def _model(spec):
  return models.FunctionalModel(
      initial_weights=([np.zeros(2, np.float32)], []),
      predict_on_batch_fn=lambda w, x, training: x['a'] @ w[0][0],
      loss_fn=models.mean_squared_error, input_spec=spec)


@pytest.mark.parametrize('spec, batch, example', [
    (((np.float32, [None, 2]), (np.int32, [None])),
     '<float32[?,2],int32[?]>', '<float32[2],int32>'),
    ({'y': (np.int32, [None]), 'x': {'a': (np.float32, [None, 2]),
                                     'b': (np.bool_, [8])}},
     '<x=<a=float32[?,2],b=bool[8]>,y=int32[?]>', '<x=<a=float32[2],b=bool>,'
     'y=int32>'),
    (collections.OrderedDict(y=(np.int32, [None]), x=(np.float32, [None])),
     '<y=int32[?],x=float32[?]>', '<y=int32,x=float32>'),
    (Batch(x=fx.TensorType(np.float32, [None, 3]),
           y=fx.TensorType(np.float32, [None, 1])),
     '<x=float32[?,3],y=float32[?,1]>', '<x=float32[3],y=float32[1]>'),
])
def test_batch_and_example_types(spec, batch, example):
  model = _model(spec)
  assert str(models.batch_type(model)) == batch
  assert str(models.example_type(model)) == example
  assert models.example_type(model).container_type is type(spec)
  assert models.batch_type(model) == fx.to_type(spec)


def test_example_type_is_the_element_type_of_client_data():
  model = _model({'x': {'a': (np.float32, [None, 2])},
                  'y': (np.float32, [None])})
  seq = fx.SequenceType(models.example_type(model))
  assert str(fx.type_at_clients(seq)) == '{<x=<a=float32[2]>,y=float32>*}@CLIENTS'


@pytest.mark.parametrize('spec, message', [
    (((np.float32, [None, 2]), np.int32),
     'every tensor needs a leading batch dimension; the element batch[1] is '
     'int32 in <float32[?,2],int32>. Give it one, e.g. int32[?]'),
    ({'x': {'a': (np.float32, None)}, 'y': (np.int32, [None])},
     'the element batch.x.a is float32[*]'),
    ((np.float32, [None, 2]), 'expected a struct of two elements <x,y>'),
    (((np.float32, [None]),) * 3, 'got <float32[?],float32[?],float32[?]> with '
     '3 elements'),
    ({'x': (np.float32, [None])}, 'must have elements named x and y'),
    ([object(), object()], 'cannot convert'),
    ((fx.SequenceType(np.int32), (np.int32, [None])),
     'expected tensors and structs of tensors, got int32* at batch[0]'),
])
def test_bad_input_specs(spec, message):
  with pytest.raises(TypeError) as e:
    input_spec_lib.to_batch_type(spec, 'FunctionalModel(input_spec)')
  assert str(e.value).startswith('FunctionalModel(input_spec): ')
  assert message in str(e.value)


@pytest.mark.parametrize('batch', [
    (1, 2), [1, 2], {'x': 1, 'y': 2, 'extra': 3}, Batch(1, 2),
    collections.OrderedDict(y=2, x=1), fx.Struct.named(x=1, y=2),
    fx.Struct([(None, 1), (None, 2)])])
def test_split_batch(batch):
  assert input_spec_lib.split_batch(batch) == (1, 2)


def test_split_batch_error():
  with pytest.raises(TypeError, match='got a tuple'):
    input_spec_lib.split_batch((1, 2, 3))


def test_as_model():
  model = _model(((np.float32, [None]), (np.float32, [None])))
  assert models.as_model(model) is model
  assert models.as_model(lambda: model) is model

  def with_defaults(scale=1.0):
    del scale
    return model
  assert models.as_model(with_defaults) is model


def test_as_model_errors():
  with pytest.raises(TypeError, match=r'model_fn: expected a federax Model or '
                     r'a function of no arguments returning one, got a str'):
    models.as_model('model')
  with pytest.raises(TypeError, match=r'model_fn: expected a function of no '
                     r'arguments, got make\(seed\).*functools.partial'):
    def make(seed):
      return seed
    models.as_model(make)
  with pytest.raises(TypeError, match=r'function returning a federax Model, '
                     r'got one returning a dict.*from_keras_model'):
    models.as_model(dict)


def test_finalize_metrics_with_a_dict_of_finalizers():
  class Fake:
    def metric_finalizers(self):
      return {'a': lambda v: v[0] / v[1]}
  assert models.finalize_metrics(Fake(), {'a': (6.0, 3.0)}) == {'a': 2.0}
  with pytest.raises(ValueError, match=r"no value for the metrics \['a'\]"):
    models.finalize_metrics(Fake(), {})


def test_model_is_abstract():
  with pytest.raises(TypeError):
    models.Model()
