"""The Ray backend: one federated call's clients split across Ray workers.

Importing this module does not import Ray; creating a context does (with
an install hint when Ray is missing: `pip install 'federax[ray]'`).
See docs/ray.md.
"""

from federax.backends.ray.api import create_ray_context
from federax.backends.ray.api import ray_context
from federax.backends.ray.api import set_ray_context
from federax.backends.ray.context import RayContext
from federax.backends.ray.dispatch import CallReport
from federax.backends.ray.dispatch import FailurePolicy
from federax.backends.ray.dispatch import InProcessPool
from federax.backends.ray.remote_data import RemoteClientData

__all__ = ['CallReport', 'FailurePolicy', 'InProcessPool', 'RayContext',
           'RemoteClientData', 'create_ray_context', 'ray_context',
           'set_ray_context']
