"""`SumFactory`: the stateless federated sum as an aggregation process."""

import collections

import numpy as np
import pytest

import federax as fx

OD = collections.OrderedDict
CONTEXTS = {
    'jax': fx.backends.jax.create_jax_context(),
    'jax_chunk2': fx.backends.jax.create_jax_context(chunk_size=2),
    'interpreter': fx.backends.interpreter.create_interpreter_context(),
}


@pytest.fixture(params=sorted(CONTEXTS))
def backend(request):
  with fx.framework.install_context(CONTEXTS[request.param]):
    yield request.param


def test_is_an_unweighted_factory_making_an_aggregation_process():
  factory = fx.aggregators.SumFactory()
  assert isinstance(factory, fx.aggregators.UnweightedAggregationFactory)
  process = factory.create(fx.TensorType(np.int32, [2]))
  assert isinstance(process, fx.templates.AggregationProcess)
  assert not process.is_weighted
  assert str(process.next.type_signature) == (
      '(<state=<>@SERVER,value={int32[2]}@CLIENTS> -> <state=<>@SERVER,'
      'result=int32[2]@SERVER,measurements=<>@SERVER>)')


def test_sums_tensors(backend):
  process = fx.aggregators.SumFactory().create(fx.TensorType(np.int32, [2]))
  state = process.initialize()
  assert state == ()
  output = process.next(state, [[1, 2], [3, 4], [5, -6]])
  assert output.result.tolist() == [9, 0]
  assert output.result.dtype == np.int32
  assert output.state == () and output.measurements == ()


def test_sums_structs_keeping_containers(backend):
  value_type = OD(a=np.float32, b=(np.float32, [2]))
  process = fx.aggregators.SumFactory().create(value_type)
  values = [OD(a=np.float32(1.5), b=np.array([1, 2], np.float32)),
            OD(a=np.float32(2.0), b=np.array([0.5, 0], np.float32))]
  result = process.next(process.initialize(), values).result
  assert isinstance(result, OD) and list(result) == ['a', 'b']
  assert float(result['a']) == 3.5 and result['b'].tolist() == [1.5, 2.0]


def test_no_clients_give_zeros(backend):
  process = fx.aggregators.SumFactory().create(
      fx.TensorType(np.float32, [3]))
  assert process.next(process.initialize(), []).result.tolist() == [0, 0, 0]


def test_accepts_type_specs():
  process = fx.aggregators.SumFactory().create((np.float32, [3]))
  assert str(process.value_type) == 'float32[3]'


@pytest.mark.parametrize('value_type,match', [
    ('abc', "SumFactory.create: value_type: expected a type .*got 'abc'"),
    (fx.type_at_clients(np.int32), r'SumFactory.create: value_type: expected '
     r'a tensor or a struct of tensors \(unplaced\), got \{int32\}@CLIENTS'),
    (fx.SequenceType(np.int32), 'got int32\\*'),
    (fx.FunctionType(np.int32, np.int32), r'got \(int32 -> int32\)'),
    ([np.int32, fx.SequenceType(np.int32)], r'got <int32,int32\*>'),
])
def test_type_errors(value_type, match):
  with pytest.raises(TypeError, match=match):
    fx.aggregators.SumFactory().create(value_type)
