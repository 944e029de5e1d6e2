"""The compiler: passes over the IR, and forms that split rounds into pieces."""

from federax.compiler.forms import (
    DistributeAggregateForm, MapReduceForm,
    get_computation_for_distribute_aggregate_form,
    get_computation_for_map_reduce_form,
    get_distribute_aggregate_form_for_computation,
    get_map_reduce_form_for_computation, get_map_reduce_form_for_process)
