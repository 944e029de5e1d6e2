"""Lower-level pieces for those who build on the Federated Core (TFF's
`tff.framework`): the IR, intrinsic definitions, contexts and conversions."""

from federax.core import building_blocks
from federax.core import intrinsic_defs
from federax.core.context_stack import (Context, get_default_context,
                                        set_default_context)
from federax.core.context_stack import install as install_context
from federax.core.jax_computation import JaxFunction
from federax.core.value_conversion import to_internal, to_python

__all__ = ['building_blocks', 'intrinsic_defs', 'Context',
           'get_default_context', 'set_default_context', 'install_context',
           'JaxFunction', 'to_internal', 'to_python']
