"""Shared helpers of the compiler tests: IR builders, checks, running."""

from __future__ import annotations

import numpy as np

import compiler_programs  # noqa: F401  (puts the corpus on the path)
import corpus
import federax as fx
from federax.compiler import _ir
from federax.core import building_blocks as bb
from federax.core import transformations

F32 = fx.TensorType(np.float32)
I32 = fx.TensorType(np.int32)
AT_C = fx.type_at_clients(np.float32)
AT_C_EQ = fx.type_at_clients(np.float32, all_equal=True)
AT_S = fx.type_at_server(np.float32)

INTERPRETER = fx.backends.interpreter.create_interpreter_context()
JAX = fx.backends.jax.create_jax_context()


def ref(name, t):
  return bb.Reference(name, t)


def lit(x):
  return bb.Literal(np.float32(x))


def intrinsic_call(uri, arg, result_type):
  return bb.Call(bb.Intrinsic(uri, fx.FunctionType(arg.type_signature,
                                                   result_type)), arg)


def fsum(x):
  t = x.type_signature
  return intrinsic_call('federated_sum', x, fx.type_at_server(t.member))


def bcast(x):
  return intrinsic_call('federated_broadcast', x,
                        fx.type_at_clients(x.type_signature.member, True))


def fmap(fn, x, uri='federated_map'):
  result_member = fn.type_signature.result
  if uri == 'federated_apply':
    result = fx.type_at_server(result_member)
    data = fx.type_at_server(fn.type_signature.parameter)
  else:
    all_equal = uri == 'federated_map_all_equal'
    result = fx.type_at_clients(result_member, all_equal)
    data = fx.type_at_clients(fn.type_signature.parameter, all_equal)
  arg = bb.Struct([fn, x])
  ft = fx.FunctionType(fx.StructType([fn.type_signature, data]), result)
  return bb.Call(bb.Intrinsic(uri, ft), arg)


def compiled(comp):
  """The `comp#name` building block of a JAX computation."""
  return comp.building_block


def computation(block, *parameter_names, name='hand_built'):
  return fx.Computation(block, list(parameter_names), name)


def check_pass(p, comp):
  """`p(comp)`, checked: well scoped, identical type signature."""
  out = p(comp)
  transformations.check_well_scoped(out)
  assert _ir.identical_types(out.type_signature, comp.type_signature), (
      comp.type_signature, out.type_signature)
  return out


def run_on(ctx, comp, args):
  with fx.framework.install_context(ctx):
    return comp(*args)


def assert_same(want, got, path='result'):
  """`got` equals `want` (as in the backends' tests, with rtol 1e-5: the
  passes may reorder float operations)."""
  corpus.assert_same(want, got, path, rtol=1e-5)


def assert_same_results(original, transformed, args_list, jax=False):
  """Both computations give the same results on the interpreter (and the
  transformed one on the JAX backend) for every argument tuple."""
  for args in args_list:
    want = run_on(INTERPRETER, original, args)
    assert_same(want, run_on(INTERPRETER, transformed, args))
    if jax:
      assert_same(want, run_on(JAX, transformed, args))
