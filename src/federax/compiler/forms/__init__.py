"""Compiler forms: rounds split into local pieces (TFF's MapReduceForm)."""

from federax.compiler.forms.distribute_aggregate_form import (
    DistributeAggregateForm, get_computation_for_distribute_aggregate_form,
    get_distribute_aggregate_form_for_computation)
from federax.compiler.forms.extraction import (
    get_map_reduce_form_for_computation, get_map_reduce_form_for_process)
from federax.compiler.forms.map_reduce_form import (
    MapReduceForm, get_computation_for_map_reduce_form)

__all__ = ['DistributeAggregateForm', 'MapReduceForm',
           'get_computation_for_distribute_aggregate_form',
           'get_distribute_aggregate_form_for_computation', 'get_computation_for_map_reduce_form',
           'get_map_reduce_form_for_computation',
           'get_map_reduce_form_for_process']
