"""federax: federated computation and federated learning on JAX.

`import federax as fx`; the names follow TensorFlow Federated's `tff.*`.
"""

from federax.core.aggregation_intrinsics import (
    federated_aggregate, federated_max, federated_mean, federated_min,
    federated_secure_modular_sum, federated_secure_sum,
    federated_secure_sum_bitwidth, federated_sum)
from federax.core.computation import Computation, PolymorphicComputation
from federax.core.federated_computation import federated_computation
from federax.core.intrinsics import (
    federated_apply, federated_broadcast, federated_eval, federated_map,
    federated_select, federated_value, federated_zip)
from federax.core.jax_computation import jax_computation
from federax.core.placements import CLIENTS, SERVER, PlacementLiteral
from federax.core.sequence import Sequence
from federax.core.sequence_intrinsics import (sequence_map, sequence_reduce,
                                              sequence_sum)
from federax.core.structure import Struct
from federax.core.type_conversions import infer_type, to_type
from federax.core.types import (FederatedType, FunctionType, PlacementType,
                                SequenceType, StructType, TensorType, Type,
                                type_at_clients, type_at_server)
from federax.core.value import Value
from federax.serialization import deserialize, load, save, serialize
from federax import backends
from federax import framework
from federax import serialization
from federax import templates

backends.jax.set_jax_context()

# Imported on first use (`fx.learning...`), which keeps `import federax`
# to the Federated Core.
_LAZY = ('aggregators', 'analytics', 'compiler', 'learning', 'program',
         'simulation')


def __getattr__(name):
  if name in _LAZY:
    import importlib
    return importlib.import_module(f'federax.{name}')
  raise AttributeError(f"module 'federax' has no attribute {name!r}")


def __dir__():
  return sorted(set(globals()) | set(_LAZY))

__version__ = '0.1.0'
