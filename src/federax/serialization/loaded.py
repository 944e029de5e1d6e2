"""`LoadedJaxFunction`: a `JaxFunction` rebuilt from exported StableHLO.

Its `lowered` calls the exported function on the flat leaves of its
argument. `jax.vmap` cannot batch an exported call, so the call is a
`jax.custom_batching.custom_vmap` whose rule broadcasts the unbatched
arguments and calls the export made under `vmap`; under a second level of
`vmap` (as `federated_select` uses) the two batch axes are merged into one
and the same export is called once, and so on at any depth. Loaded functions run on every
backend but are not differentiable, and sequences passed to them must be
stackable (elements of one shape).

Example:
  >>> import numpy as np, federax as fx
  >>> @fx.jax_computation(np.float32)
  ... def double(x):
  ...   return x * 2
  >>> loaded = fx.deserialize(fx.serialize(double))
  >>> type(loaded.building_block.function).__name__, float(loaded(1.5))
  ('LoadedJaxFunction', 3.0)
"""

from __future__ import annotations

from federax.core import jax_support
from federax.core import types
from federax.core.jax_computation import JaxFunction
from federax.serialization import leaves
from federax.serialization.jax_export import Artifacts


def deserialize_exported(data: bytes, what: str):
  """`jax.export.deserialize`, with any failure as a `ValueError`."""
  jax_support.jax()
  from jax import export
  try:
    return export.deserialize(bytearray(data))
  except Exception as e:  # pylint: disable=broad-except
    raise ValueError(f'{what}: not a valid jax.export serialization '
                     f'({type(e).__name__}: {e}); it may be corrupt or '
                     f'written by an incompatible JAX version.') from e


def _check_avals(avals, expected, what: str, exact_dims: bool):
  if len(avals) != len(expected):
    raise ValueError(f'{what}: the export has {len(avals)} arrays, its type '
                     f'needs {len(expected)}')
  for i, (aval, (dtype, shape)) in enumerate(zip(avals, expected)):
    if aval.dtype != dtype:
      raise ValueError(f'{what}: array {i} is {aval.dtype}, its type says '
                       f'{dtype}')
    if shape is None:
      continue
    if len(aval.shape) != len(shape):
      raise ValueError(f'{what}: array {i} has rank {len(aval.shape)}, its '
                       f'type says {len(shape)}')
    if exact_dims:
      for got, want in zip(aval.shape, shape):
        if want is not None and got != want:
          raise ValueError(f'{what}: array {i} has shape {aval.shape}, its '
                           f'type says {shape}')


def _check_export(exported, parameter_type, result_type, batched, what):
  if exported.nr_devices != 1:
    raise ValueError(f'{what}: exported for {exported.nr_devices} devices, '
                     f'expected 1')
  prefix = ((None,) if batched else ())
  expected_in = [] if parameter_type is None else [
      (d, None if s is None else prefix + s)
      for d, s in leaves.leaf_types(parameter_type)]
  expected_out = [(d, None if s is None else prefix + s)
                  for d, s in leaves.leaf_types(result_type)]
  if exported.in_tree.num_leaves != len(exported.in_avals) or (
      exported.out_tree.num_leaves != len(exported.out_avals)):
    raise ValueError(f'{what}: inconsistent export')
  _check_avals(exported.in_avals, expected_in, f'{what} arguments', True)
  _check_avals(exported.out_avals, expected_out, f'{what} results', False)


def _broadcast(axis_size, in_batched, args):
  jnp = jax_support.jnp()
  return tuple(x if b else jnp.broadcast_to(x, (axis_size,) + jnp.shape(x))
               for x, b in zip(args, in_batched))


def _vmappable_call(exported, batched):
  """A function of the flat leaves that `jax.vmap` can batch."""
  jax_support.jax()
  from jax.custom_batching import custom_vmap

  @custom_vmap
  def call_batched(*args):
    return tuple(batched.call(*args))

  @call_batched.def_vmap
  def _merge_axes(axis_size, in_batched, *args):
    # Batched again: fold the new axis into the batch axis, call once.
    if not any(in_batched):
      out = call_batched(*args)
      return out, (False,) * len(out)
    args = _broadcast(axis_size, in_batched, args)
    inner = args[0].shape[1]
    out = call_batched(*(x.reshape((axis_size * inner,) + x.shape[2:])
                         for x in args))
    out = tuple(y.reshape((axis_size, inner) + y.shape[1:]) for y in out)
    return out, (True,) * len(out)

  @custom_vmap
  def call(*args):
    return tuple(exported.call(*args))

  @call.def_vmap
  def _vmap(axis_size, in_batched, *args):
    if not any(in_batched):
      out = call(*args)
      return out, (False,) * len(out)
    out = call_batched(*_broadcast(axis_size, in_batched, args))
    return out, (True,) * len(out)

  return call


class LoadedJaxFunction(JaxFunction):
  """A JAX computation loaded from StableHLO; `artifacts` are its bytes."""

  def __init__(self, name: str, parameter_type: types.Type | None,
               result_type: types.Type, parameter_names: list[str],
               artifacts: Artifacts):
    super().__init__(self._python_fn, parameter_type, result_type,
                     parameter_names, name)
    self.artifacts = artifacts
    what = f'JAX function {name!r}'
    exported = deserialize_exported(artifacts.exported, what)
    _check_export(exported, parameter_type, result_type, False, what)
    if len(artifacts.result_sequences_full) != leaves.count_sequences(
        result_type):
      raise ValueError(f'{what}: expected one full flag per result sequence')
    self._in_dtypes = [] if parameter_type is None else [
        d for d, _ in leaves.leaf_types(parameter_type)]
    if not self._in_dtypes:  # No argument arrays: nothing to batch.
      if artifacts.exported_batched:
        raise ValueError(f'{what}: a function without argument arrays has '
                         f'no batched export')
      self._call = lambda *args: tuple(exported.call(*args))
    else:
      batched = deserialize_exported(artifacts.exported_batched,
                                     f'{what} (batched)')
      _check_export(batched, parameter_type, result_type, True,
                    f'{what} (batched)')
      self._call = _vmappable_call(exported, batched)

  def lowered(self, arg=None):
    """Runs the exported function on an internal value (sequences stacked)."""
    if self.parameter_type is None:
      out = self._call()
    else:
      jnp = jax_support.jnp()
      args = leaves.flatten(arg, self.parameter_type, self.name)
      args = [jnp.asarray(x) for x in args]
      args = [x if x.dtype == d else x.astype(d)
              for x, d in zip(args, self._in_dtypes)]
      out = self._call(*args)
    return leaves.unflatten(list(out), self.result_type,
                            list(self.artifacts.result_sequences_full))

  def _python_fn(self, *args, **kwargs):
    """`fn`: the user-facing form (containers in and out, as JAX values).

    Called with JAX tracers when a loaded computation is called inside
    another JAX function; keyword arguments are matched by parameter name.
    """
    t, names = self.parameter_type, self.parameter_names
    if kwargs:
      args = list(args) + [kwargs.pop(n) for n in names[len(args):]
                           if n in kwargs]
      if kwargs:
        raise TypeError(f'{self.name} got unexpected keyword arguments '
                        f'{sorted(kwargs)}; its parameters are {names}.')
    if t is None:
      arg = None
    elif len(names) > 1:
      if len(args) != len(names):
        raise TypeError(f'{self.name} takes {len(names)} arguments {names}, '
                        f'got {len(args)}.')
      arg = tuple(jax_support.python_to_internal(a, e, n)
                  for a, e, n in zip(args, t, names))
    else:
      if len(args) != 1:
        raise TypeError(f'{self.name} takes 1 argument, got {len(args)}.')
      arg = jax_support.python_to_internal(args[0], t,
                                           names[0] if names else 'arg')
    return jax_support.internal_to_python(self.lowered(arg), self.result_type)

  def __repr__(self):
    return (f'LoadedJaxFunction({self.name}: ({self.parameter_type} -> '
            f'{self.result_type}))')
