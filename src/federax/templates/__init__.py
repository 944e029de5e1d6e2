"""Process templates (TFF's `tff.templates`)."""

from federax.templates.aggregation_process import AggregationProcess
from federax.templates.estimation_process import EstimationProcess
from federax.templates.iterative_process import IterativeProcess
from federax.templates.measured_process import (MeasuredProcess,
                                                MeasuredProcessOutput)

__all__ = ['AggregationProcess', 'EstimationProcess', 'IterativeProcess',
           'MeasuredProcess', 'MeasuredProcessOutput']
