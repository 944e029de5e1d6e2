"""Every pass keeps the meaning of randomly generated programs.

The generator builds well-typed IR from blocks, calls of lambdas (with
all-equal arguments for per-client parameters), structs, selections, maps,
broadcasts and sums, reusing a few names so that bindings shadow each
other. Each pass's output must be well scoped, keep the type, and compute
the same values on the interpreter.
"""

import random

import numpy as np
import pytest

import federax as fx
from federax import compiler
from federax.core import building_blocks as bb

import compiler_programs
import compiler_testing as ct
from compiler_testing import AT_C, AT_C_EQ, AT_S, F32, bcast, fmap, fsum

INC = compiler_programs.inc.building_block
HALVE = compiler_programs.halve.building_block
NAMES = ('a', 'b', 'v', 'arg', '_var1')
BASE = (F32, AT_C, AT_C_EQ, AT_S)
ARG_T = fx.StructType([('c', AT_C), ('s', AT_S)])


class Generator:

  def __init__(self, seed):
    self.r = random.Random(seed)

  def type(self, depth=1):
    if depth and self.r.random() < 0.2:
      return fx.StructType([self.type(0), self.type(0)])
    return self.r.choice(BASE)

  def wider(self, t):
    """A type `t` is assignable to: per-client for all-equal, named for
    unnamed, or `t`."""
    if t == AT_C_EQ and self.r.random() < 0.5:
      return AT_C
    if isinstance(t, fx.StructType):
      elements = [self.wider(e) for e in t]
      if self.r.random() < 0.5:
        return fx.StructType(list(zip('pq', elements)))
      return fx.StructType(elements)
    return t

  def function(self, env, depth, uri='federated_map'):
    """A (float32 -> float32) function: compiled, or a lambda on members."""
    if depth <= 0 or self.r.random() < 0.5:
      return self.r.choice([INC, HALVE])
    name = self.r.choice(NAMES)
    unplaced = {n: t for n, t in env.items() if t == F32}
    unplaced[name] = F32
    return bb.Lambda(name, F32, self.expr(F32, unplaced, depth - 1))

  def expr(self, t, env, depth):
    r = self.r
    refs = [bb.Reference(n, u) for n, u in env.items() if u == t]
    refs += [bb.Selection(bb.Reference(n, u), index=i)
             for n, u in env.items() if isinstance(u, fx.StructType)
             for i, e in enumerate(u) if e == t]
    if refs and (depth <= 0 or r.random() < 0.25):
      return r.choice(refs)
    if depth <= 0:
      return self.leaf(t, env)
    choice = r.random()
    if choice < 0.2:  # A block.
      name, u = r.choice(NAMES), self.type()
      value = self.expr(u, env, depth - 1)
      return bb.Block([(name, value)],
                      self.expr(t, {**env, name: u}, depth - 1))
    if choice < 0.35:  # A call of a lambda.
      name, arg_t = r.choice(NAMES), self.type()
      u = self.wider(arg_t)
      body = self.expr(t, {**env, name: u}, depth - 1)
      return bb.Call(bb.Lambda(name, u, body), self.expr(arg_t, env,
                                                         depth - 1))
    if choice < 0.4:  # A lambda bound to a local, called once or twice.
      name, fname, arg_t = r.choice(NAMES), r.choice('fg'), self.type()
      u = self.wider(arg_t)
      fn = bb.Lambda(name, u, self.expr(t, {**env, name: u}, depth - 1))
      inner = {**env, fname: fn.type_signature}
      f = bb.Reference(fname, fn.type_signature)
      calls = [bb.Call(f, self.expr(arg_t, inner, depth - 1))
               for _ in range(r.choice([1, 2]))]
      result = calls[0] if len(calls) == 1 else bb.Selection(
          bb.Struct(calls), index=r.choice([0, 1]))
      return bb.Block([(fname, fn)], result)
    if choice < 0.45:  # A selection from a struct.
      other = self.type(0)
      pair = bb.Struct([self.expr(t, env, depth - 1),
                        self.expr(other, env, depth - 1)])
      return bb.Selection(pair, index=0)
    return self.specific(t, env, depth)

  def specific(self, t, env, depth):
    r = self.r
    if isinstance(t, fx.StructType):
      return bb.Struct([self.expr(e, env, depth - 1) for e in t])
    if t == F32:
      return bb.Call(r.choice([INC, HALVE]), self.expr(F32, env, depth - 1))
    if t == AT_S:
      if r.random() < 0.5:
        return fsum(self.expr(AT_C, env, depth - 1))
      return fmap(self.function(env, depth), self.expr(AT_S, env, depth - 1),
                  'federated_apply')
    if t == AT_C_EQ:
      if r.random() < 0.5:
        return bcast(self.expr(AT_S, env, depth - 1))
      return fmap(self.function(env, depth), self.expr(AT_C_EQ, env,
                                                        depth - 1),
                  'federated_map_all_equal')
    data_t = AT_C_EQ if r.random() < 0.3 else AT_C
    return fmap(self.function(env, depth), self.expr(data_t, env, depth - 1))

  def leaf(self, t, env):
    arg = bb.Reference('arg', ARG_T) if env.get('arg') == ARG_T else None
    if isinstance(t, fx.StructType):
      return bb.Struct([self.leaf(e, env) for e in t])
    if t == F32:
      return bb.Literal(np.float32(self.r.choice([0.5, 2.0, -1.0])))
    if arg is None:  # `arg` is hidden: make one from literals.
      s = bb.Call(bb.Intrinsic('federated_value_at_server', fx.FunctionType(
          F32, AT_S)), bb.Literal(np.float32(3.0)))
    else:
      s = bb.Selection(arg, name='s')
    if t == AT_S:
      return s
    if t == AT_C_EQ or arg is None:
      return bcast(s) if t == AT_C_EQ else fmap(INC, bcast(s))
    return bb.Selection(arg, name='c')

  def program(self):
    result_t = self.type()
    body = self.expr(result_t, {'arg': ARG_T}, 5)
    return ct.computation(bb.Lambda('arg', ARG_T, body), 'c', 's',
                          name='random')


ARGS = [([np.float32(v) for v in (0.5, -2.0, 3.0)], np.float32(1.5))]


@pytest.mark.parametrize('seed', range(40))
def test_passes_keep_random_programs_meaning(seed):
  comp = Generator(seed).program()
  want = ct.run_on(ct.INTERPRETER, comp, ARGS[0])
  for p in list(compiler.PASSES) + [compiler.normalize]:
    out = ct.check_pass(p, comp.building_block)
    got = ct.run_on(ct.INTERPRETER, ct.computation(out, 'c', 's'), ARGS[0])
    ct.assert_same(want, got, f'{p.__name__}: result')
  normalized = compiler.normalize(comp.building_block)
  compiler.check_call_dominant(normalized)
  if seed < 8:
    ct.assert_same(want, ct.run_on(ct.JAX, ct.computation(
        normalized, 'c', 's'), ARGS[0]))
