"""Computations as portable bytes: `fx.serialize`, `fx.deserialize`, `fx.save`, `fx.load`.

The IR is protobuf (`federax/proto/computation.proto`), each JAX
computation StableHLO (`jax.export`). A loaded computation runs in a
process that never imported the code that defined it, on every backend.
Loading never unpickles or evaluates Python. See `docs/serialization.md`.
protobuf and `jax.export` are imported on first use, so that
`import federax` stays fast.

Example:
  >>> import numpy as np, federax as fx
  >>> @fx.jax_computation(np.int32)
  ... def square(x):
  ...   return x * x
  >>> int(fx.deserialize(fx.serialize(square))(7))
  49
"""

from __future__ import annotations

import os

# The format version this federax writes and reads (`api.FORMAT_VERSION`).
FORMAT_VERSION = 1


def serialize(comp) -> bytes:
  """The bytes of a computation: its IR as protobuf, JAX code as StableHLO.

  TFF's `tff.framework.serialize_computation`. Every JAX computation in it
  is exported with `jax.export`, with unknown dimensions symbolic; one that
  cannot be exported raises `ValueError`.

  Example:
    >>> import numpy as np, federax as fx
    >>> @fx.federated_computation(fx.type_at_clients(np.float32))
    ... def mean(x):
    ...   return fx.federated_mean(x)
    >>> data = fx.serialize(mean)
    >>> loaded = fx.deserialize(data)
    >>> print(loaded.type_signature)
    ({float32}@CLIENTS -> float32@SERVER)
    >>> float(loaded([1.0, 2.0]))
    1.5
  """
  from federax.serialization import api
  return api.serialize(comp)


def deserialize(data: bytes):
  """The `fx.Computation` serialized in `data` (by `fx.serialize`).

  Never unpickles or evaluates Python. Raises `ValueError` for anything
  that is not a valid serialized computation of the format version this
  federax reads (`FORMAT_VERSION`): other bytes, truncated or altered
  files, or files of another version.

  Example:
    >>> import federax as fx
    >>> fx.deserialize(b'not a computation')
    Traceback (most recent call last):
    ...
    ValueError: fx.deserialize: not a serialized federax computation...
  """
  from federax.serialization import api
  return api.deserialize(data)


def save(comp, path) -> None:
  """Writes `fx.serialize(comp)` to the file `path`.

  Example:
    >>> import os, tempfile, numpy as np, federax as fx
    >>> @fx.jax_computation(np.float32)
    ... def double(x):
    ...   return x * 2
    >>> path = os.path.join(tempfile.mkdtemp(), 'double.fxc')
    >>> fx.save(double, path)
    >>> float(fx.load(path)(2.0))
    4.0
  """
  data = serialize(comp)
  with open(os.fspath(path), 'wb') as f:
    f.write(data)


def load(path):
  """Reads the computation that `fx.save` wrote to `path`.

  Raises `ValueError` as `fx.deserialize` does.

  Example:
    >>> import os, tempfile, federax as fx
    >>> path = os.path.join(tempfile.mkdtemp(), 'empty.fxc')
    >>> open(path, 'wb').close()
    >>> fx.load(path)
    Traceback (most recent call last):
    ...
    ValueError: fx.deserialize: not a serialized federax computation...
  """
  with open(os.fspath(path), 'rb') as f:
    return deserialize(f.read())


__all__ = ['FORMAT_VERSION', 'deserialize', 'load', 'save', 'serialize']
