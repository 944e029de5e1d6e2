"""IR trees to and from the `nodes` table of a serialized computation.

Each node stores its type (an index into the types table) and its kind's
fields; children are indices of earlier nodes. Identical subtrees are
stored once. Decoding rebuilds each node with its constructor, so every
typing rule is checked again, and compares the rebuilt node's type with the
stored one. JAX functions go to their own table (`jax_codec`); the
encoder lists them in `functions`.

Example:
  >>> import numpy as np, federax as fx
  >>> from federax.core import building_blocks as bb
  >>> from federax.serialization import ir_codec, type_codec
  >>> tree = bb.Lambda('x', fx.TensorType(np.int32),
  ...                  bb.Struct([('a', bb.Reference('x', fx.TensorType(np.int32))),
  ...                             ('b', bb.Literal(np.float32(2.5)))]))
  >>> encoder = ir_codec.NodeEncoder()
  >>> root = encoder.encode(tree)
  >>> type_table = type_codec.decode_types(encoder.types.table)
  >>> decoded = ir_codec.decode_nodes(encoder.nodes, type_table, [])
  >>> print(decoded[root])
  (x -> <a=x,b=2.5>)
  >>> decoded[root] == tree
  True
"""

from __future__ import annotations

from federax.core import building_blocks as bb
from federax.core import placements
from federax.core import types
from federax.core.jax_computation import JaxFunction
from federax.proto import computation_pb2 as pb
from federax.serialization import literals
from federax.serialization import type_codec

# Largest number of nodes a decoded tree may expand to (shared subtrees are
# stored once, so a small file could otherwise describe a huge tree).
MAX_EXPANDED_SIZE = 1 << 24


class NodeEncoder:
  """Builds the `nodes`, `types` and JAX function tables."""

  def __init__(self):
    self.types = type_codec.TypeEncoder()
    self.nodes: list[pb.Node] = []
    self.functions: list = []  # the JaxFunction objects, in table order
    self._function_index: dict[int, int] = {}
    self._by_id: dict[int, tuple[int, bb.ComputationBuildingBlock]] = {}
    self._by_key: dict[bytes, int] = {}

  def function_index(self, function) -> int:
    if not isinstance(function, JaxFunction):
      raise TypeError(
          f'Cannot serialize a compiled computation of '
          f'{type(function).__name__}; only JAX computations '
          f'(fx.jax_computation) can be serialized.')
    if id(function) not in self._function_index:
      self._function_index[id(function)] = len(self.functions)
      self.functions.append(function)
    return self._function_index[id(function)]

  def encode(self, comp: bb.ComputationBuildingBlock) -> int:
    """The index of `comp` in the nodes table (added if new)."""
    hit = self._by_id.get(id(comp))
    if hit is not None:
      return hit[0]
    node = pb.Node(type=self.types.encode(comp.type_signature))
    self._fill(comp, node)
    key = node.SerializeToString(deterministic=True)
    index = self._by_key.get(key)
    if index is None:
      index = self._by_key[key] = len(self.nodes)
      self.nodes.append(node)
    self._by_id[id(comp)] = (index, comp)  # keeps `comp` alive
    return index

  def _fill(self, comp, node: pb.Node):
    if isinstance(comp, bb.Reference):
      node.reference.name = comp.name
    elif isinstance(comp, bb.Selection):
      node.selection.source = self.encode(comp.source)
      node.selection.index = comp.index
    elif isinstance(comp, bb.Struct):
      node.struct.SetInParent()
      for name, value in comp.elements:
        node.struct.elements.add(name=name or '', value=self.encode(value))
    elif isinstance(comp, bb.Call):
      node.call.function = self.encode(comp.function)
      if comp.argument is not None:
        node.call.argument = self.encode(comp.argument)
    elif isinstance(comp, bb.Lambda):
      node.lambda_.parameter_name = comp.parameter_name or ''
      node.lambda_.result = self.encode(comp.result)
    elif isinstance(comp, bb.Block):
      for name, value in comp.locals:
        node.block.locals.add(name=name, value=self.encode(value))
      node.block.result = self.encode(comp.result)
    elif isinstance(comp, bb.Intrinsic):
      node.intrinsic.uri = comp.uri
    elif isinstance(comp, bb.Literal):
      node.literal.CopyFrom(literals.encode(comp.value))
    elif isinstance(comp, bb.Placement):
      node.placement.uri = comp.literal.uri
    elif isinstance(comp, bb.CompiledComputation):
      node.compiled.function = self.function_index(comp.function)
    else:
      raise TypeError(f'Cannot serialize the IR node {type(comp).__name__}.')


def decode_nodes(table, type_table, functions) -> list:
  """The building blocks of a nodes table; `ValueError` if malformed.

  `type_table` is the decoded types; `functions` the decoded JAX functions.
  """
  decoded: list[bb.ComputationBuildingBlock] = []
  sizes: list[int] = []
  for position, message in enumerate(table):
    kind = message.WhichOneof('kind')
    try:
      if message.type >= len(type_table):
        raise ValueError(f'its type index {message.type} is out of range')
      node_type = type_table[message.type]
      comp, children = _decode_one(kind, message, node_type, functions,
                                   decoded, position)
      if comp.type_signature != node_type:
        raise ValueError(f'it has type {comp.type_signature}, the file says '
                         f'{node_type}')
    except (TypeError, ValueError, AttributeError, KeyError) as e:
      raise ValueError(f'nodes[{position}] ({kind}): {e}') from e
    size = 1 + sum(sizes[c] for c in children)
    if size > MAX_EXPANDED_SIZE:
      raise ValueError(f'nodes[{position}] expands to more than '
                       f'{MAX_EXPANDED_SIZE} nodes')
    decoded.append(comp)
    sizes.append(size)
  return decoded


def _decode_one(kind, message, node_type, functions, decoded, position):
  children = []

  def ref(index):
    if not 0 <= index < position:
      raise ValueError(f'refers to nodes[{index}], which is not an earlier '
                       f'entry')
    children.append(index)
    return decoded[index]

  if kind == 'reference':
    return bb.Reference(message.reference.name, node_type), children
  if kind == 'selection':
    m = message.selection
    return bb.Selection(ref(m.source), index=m.index), children
  if kind == 'struct':
    if not isinstance(node_type, types.StructType):
      raise ValueError(f'a struct node has type {node_type}')
    elements = [(e.name or None, ref(e.value))
                for e in message.struct.elements]
    return bb.Struct(elements, node_type.container_type), children
  if kind == 'call':
    m = message.call
    argument = ref(m.argument) if m.HasField('argument') else None
    return bb.Call(ref(m.function), argument), children
  if kind == 'lambda_':
    m = message.lambda_
    if not isinstance(node_type, types.FunctionType):
      raise ValueError(f'a lambda has type {node_type}')
    name = m.parameter_name or None
    parameter_type = node_type.parameter if name is not None else None
    return bb.Lambda(name, parameter_type, ref(m.result)), children
  if kind == 'block':
    m = message.block
    local_symbols = [(x.name, ref(x.value)) for x in m.locals]
    return bb.Block(local_symbols, ref(m.result)), children
  if kind == 'intrinsic':
    return bb.Intrinsic(message.intrinsic.uri, node_type), children
  if kind == 'literal':
    if not isinstance(node_type, types.TensorType):
      raise ValueError(f'a literal has type {node_type}')
    value = literals.decode(message.literal, node_type.dtype)
    return bb.Literal(value, node_type), children
  if kind == 'placement':
    literal = placements.from_uri(message.placement.uri)
    return bb.Placement(literal), children
  if kind == 'compiled':
    index = message.compiled.function
    if not 0 <= index < len(functions):
      raise ValueError(f'refers to jax_functions[{index}], which does not '
                       f'exist')
    function = functions[index]
    expected = types.FunctionType(function.parameter_type,
                                  function.result_type)
    if node_type != expected:
      raise ValueError(f'has type {node_type}, its JAX function {expected}')
    return bb.CompiledComputation(function, node_type), children
  raise ValueError('the node has no kind')
