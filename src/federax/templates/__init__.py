"""Process templates (TFF's `tff.templates`)."""

from federax.templates.iterative_process import IterativeProcess

__all__ = ['IterativeProcess']
