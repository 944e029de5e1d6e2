"""`to_call_dominant`: TFF's call-dominant form.

A computation in call-dominant form is one lambda whose body is one block:
each local is a call of an intrinsic or a compiled computation (or, where a
value is needed more than once, a struct or selection), and the result is
built from references with structs and selections. Lambdas appear only as
arguments of calls, and their bodies have the same form. This is the form
that MapReduceForm and DistributeAggregateForm extraction start from.
"""

from __future__ import annotations

from federax.compiler import _ir
from federax.compiler.inline_blocks import fold_selection, inline_blocks
from federax.compiler.inline_calls import inline_calls
from federax.compiler.remove_unused import remove_unused_bindings
from federax.compiler.uniquify import uniquify_names
from federax.core import building_blocks as bb
from federax.core import transformations
from federax.core import types

_MAX_ROUNDS = 100


def to_call_dominant(comp: _ir.Node) -> _ir.Node:
  """Normalizes `comp` to call-dominant form.

  Lambdas bound to locals are inlined where they are used and every call
  of a lambda is beta-reduced (`inline_calls`), until none is left; then
  every call is bound to a local of the block of the lambda it is in,
  nested blocks are merged (`inline_blocks`) and unused locals removed
  (`remove_unused_bindings`). Calls are never duplicated. A compiled
  computation is already normal and is returned as is.

  Example:
    >>> import numpy as np, federax as fx
    >>> @fx.federated_computation(fx.type_at_server(np.float32))
    ... def broadcast_sum(s):
    ...   return fx.federated_sum(fx.federated_broadcast(s))
    >>> print(broadcast_sum.building_block)
    (s -> (let _var1=federated_broadcast(s) in federated_sum(_var1)))
    >>> print(to_call_dominant(broadcast_sum.building_block))
    (s -> (let _var1=federated_broadcast(s),_var2=federated_sum(_var1) in _var2))
  """
  if isinstance(comp, bb.CompiledComputation):
    return comp
  for _ in range(_MAX_ROUNDS):
    before = comp
    comp = inline_calls(comp)
    comp = _inline_function_values(uniquify_names(comp))
    comp = inline_blocks(comp)
    comp = remove_unused_bindings(comp)
    if comp == before:
      break
  comp = uniquify_names(comp)
  comp = _bind_calls(comp, _ir.NameGenerator(comp))
  comp = inline_blocks(comp)
  return remove_unused_bindings(comp)


def _is_function_valued(value) -> bool:
  """A non-call value that holds a function (a lambda, a struct of ...)."""
  return (not isinstance(value, (bb.Call, bb.Block)) and
          types.contains(value.type_signature, types.FunctionType))


def _inline_function_values(comp):
  """Replaces each local bound to a function-valued non-call at every use.

  This copies lambdas (code, not work: a lambda does nothing until it is
  called), so that every call of a lambda becomes a beta-redex. The copies
  bind the same names; the next `uniquify_names` renames them.
  """
  def visit(node):
    if not isinstance(node, bb.Block):
      return node
    ref_types = _ir.reference_types(node)
    mapping, kept = {}, []
    for name, value in node.locals:
      value = _ir.substitute(value, mapping)
      if _is_function_valued(value) and all(
          _ir.identical_types(t, value.type_signature)
          for t in ref_types[name]):
        mapping[name] = value
      else:
        kept.append((name, value))
    if not mapping:
      return node
    result = _ir.substitute(node.result, mapping)
    return transformations.transform_postorder(
        _ir.block(kept, result), fold_selection)

  return transformations.transform_postorder(comp, visit)


def _bind_calls(comp, names):
  """Binds every call to a local of the block of its enclosing lambda."""
  if isinstance(comp, bb.Lambda):
    return transformations.with_children(comp, [_body(comp.result, names)])
  return _body(comp, names)


def _body(comp, names):
  local_symbols = []
  atom = _atom(comp, local_symbols, names)
  return _ir.block(local_symbols, atom)


def _atom(node, local_symbols, names):
  """`node` without calls; each call it held is appended as a local."""
  if isinstance(node, bb.Lambda):
    return transformations.with_children(node, [_body(node.result, names)])
  if isinstance(node, bb.Block):
    for name, value in node.locals:
      local_symbols.append((name, _bound(value, local_symbols, names)))
    return _atom(node.result, local_symbols, names)
  if isinstance(node, bb.Call):
    value = _bound(node, local_symbols, names)
    name = names.fresh()
    local_symbols.append((name, value))
    return bb.Reference(name, node.type_signature)
  children = [_atom(c, local_symbols, names) for c in node.children()]
  return fold_selection(transformations.with_children(node, children))


def _bound(value, local_symbols, names):
  """The value of a local: a call with call-free operands, or an atom."""
  if isinstance(value, bb.Call):
    return transformations.with_children(value, [_atom(c, local_symbols, names)
                                     for c in value.children()])
  return _atom(value, local_symbols, names)


def check_call_dominant(comp: _ir.Node):
  """Raises `ValueError` naming the first part of `comp` not in the form.

  Example:
    >>> import numpy as np, federax as fx
    >>> @fx.federated_computation(fx.type_at_clients(np.float32))
    ... def total(x):
    ...   return fx.federated_sum(x)
    >>> check_call_dominant(to_call_dominant(total.building_block))
    >>> check_call_dominant(total.building_block)
    Traceback (most recent call last):
    ...
    ValueError: Not in call-dominant form: the result is the call federated_sum(x); bind it to a local.
  """
  if isinstance(comp, bb.CompiledComputation):
    return
  if not isinstance(comp, bb.Lambda):
    raise ValueError(f'Not in call-dominant form: expected a lambda at the '
                     f'top, got {type(comp).__name__} {comp}.')
  _check_body(comp.result)


def _check_body(body):
  if isinstance(body, bb.Block):
    for name, value in body.locals:
      if isinstance(value, bb.Call):
        fn = value.function
        if not (isinstance(fn, (bb.Intrinsic, bb.CompiledComputation)) or
                _ir.is_selection_of_reference(fn)):
          raise ValueError(
              f'Not in call-dominant form: local {name}={value} calls '
              f'{fn}, not an intrinsic, a compiled computation or a '
              f'function parameter.')
        if value.argument is not None:
          _check_atom(value.argument, f'the argument of local {name}')
      else:
        _check_atom(value, f'local {name}')
    body = body.result
  _check_atom(body, 'the result')


def _check_atom(node, where, whole=None):
  whole = node if whole is None else whole
  if isinstance(node, bb.Lambda):
    _check_body(node.result)
    return
  holds = 'is' if node is whole else f'{whole} holds'
  if isinstance(node, bb.Call):
    raise ValueError(f'Not in call-dominant form: {where} {holds} the call '
                     f'{node}; bind it to a local.')
  if isinstance(node, bb.Block):
    raise ValueError(f'Not in call-dominant form: {where} {holds} the nested '
                     f'block {node}; merge it into the enclosing one.')
  for c in node.children():
    _check_atom(c, where, whole)
