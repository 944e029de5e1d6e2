"""The compiler: passes over the IR, and forms that split rounds into pieces.

Each pass is a pure function `comp -> comp` that keeps the type signature
and the meaning of the computation:

- `uniquify_names`: no name bound twice;
- `inline_calls`: `(x -> body)(arg)` to `(let x=arg in body)`;
- `inline_blocks`: nested blocks flattened, cheap bindings inlined;
- `remove_unused_bindings`: unreferenced locals dropped;
- `merge_consecutive_maps`: a map of `g` after a map of `f` is one map;
- `to_call_dominant`: TFF's call-dominant form.

`normalize(comp)` runs them all, on an `fx.Computation` or a building
block; `FEDERAX_DUMP_IR=1` (or `dump=`) shows the IR after each pass.

Example:
  >>> import numpy as np, federax as fx
  >>> from federax import compiler
  >>> @fx.federated_computation(fx.type_at_server(np.float32))
  ... def f(s):
  ...   return fx.federated_sum(fx.federated_broadcast(s))
  >>> print(compiler.normalize(f).building_block)
  (s -> (let _var1=federated_broadcast(s),_var2=federated_sum(_var1) in _var2))
"""

from federax.compiler.forms import (
    DistributeAggregateForm, MapReduceForm,
    get_computation_for_distribute_aggregate_form,
    get_computation_for_map_reduce_form,
    get_distribute_aggregate_form_for_computation,
    get_map_reduce_form_for_computation, get_map_reduce_form_for_process)
from federax.compiler.call_dominant import check_call_dominant, to_call_dominant
from federax.compiler.inline_blocks import inline_blocks
from federax.compiler.inline_calls import inline_calls
from federax.compiler.merge_maps import merge_consecutive_maps
from federax.compiler.pipeline import PASSES, normalize, run_passes
from federax.compiler.remove_unused import remove_unused_bindings
from federax.compiler.uniquify import has_unique_names, uniquify_names

__all__ = [
    'DistributeAggregateForm', 'MapReduceForm',
    'get_computation_for_distribute_aggregate_form',
    'get_computation_for_map_reduce_form',
    'get_distribute_aggregate_form_for_computation',
    'get_map_reduce_form_for_computation', 'get_map_reduce_form_for_process',
    'PASSES', 'check_call_dominant', 'has_unique_names', 'inline_blocks',
    'inline_calls', 'merge_consecutive_maps', 'normalize',
    'remove_unused_bindings', 'run_passes', 'to_call_dominant',
    'uniquify_names',
]
