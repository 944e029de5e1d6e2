"""Importing Ray, and connecting the driver to a cluster (or starting one)."""

from __future__ import annotations

import contextlib
import ipaddress

INSTALL_HINT = ("federax's Ray backend needs Ray: pip install 'federax[ray]' "
                "(or pip install 'ray>=2.9').")


def require_ray():
  """The `ray` module, or an ImportError that says how to install it."""
  try:
    import ray
  except ImportError as e:
    raise ImportError(INSTALL_HINT) from e
  return ray


def is_loopback(address: str | None) -> bool:
  """Whether `address` (`host:port`) names this machine's loopback.

  Example:
    >>> is_loopback('127.0.0.1:6379'), is_loopback('localhost:1')
    (True, True)
    >>> is_loopback('10.0.0.5:6379'), is_loopback(None)
    (False, False)
  """
  if not address or address in ('auto', 'local'):
    return False
  host = address.split('://')[-1].rsplit(':', 1)[0].strip('[]')
  if host == 'localhost':
    return True
  try:
    return ipaddress.ip_address(host).is_loopback
  except ValueError:
    return False


@contextlib.contextmanager
def _keep_loopback(ray):
  """Keeps `ray.init` from rewriting a loopback address to the host's.

  `ray.init(address='127.0.0.1:port')` replaces 127.0.0.1 with the
  machine's network address (and takes that as the driver's node address)
  unless multi-node clusters are disabled, which only changes that choice
  in this process; a cluster started with `--node-ip-address=127.0.0.1`
  listens on 127.0.0.1 only, so the rewritten address is unreachable.
  """
  constants = getattr(getattr(ray, '_private', None), 'ray_constants', None)
  if constants is None or not hasattr(constants, 'ENABLE_RAY_CLUSTER'):
    yield
    return
  old = constants.ENABLE_RAY_CLUSTER
  constants.ENABLE_RAY_CLUSTER = False
  try:
    yield
  finally:
    constants.ENABLE_RAY_CLUSTER = old


def _host_address_reachable(ray, address: str) -> bool:
  """Whether the cluster also listens on the address Ray rewrites a
  loopback one to (it does unless started with a 127.0.0.1 node address)."""
  import socket
  port = int(address.rsplit(':', 1)[1])
  try:
    host = ray._private.services.get_node_ip_address()  # pylint: disable=protected-access
  except Exception:  # pylint: disable=broad-except
    return True  # Let ray.init decide.
  try:
    with socket.create_connection((host, port), timeout=2):
      return True
  except OSError:
    return False


AUTH_HINT = ('The cluster asks for a token (Ray 2.60 enables token '
             'authentication by default): set RAY_AUTH_MODE=token '
             'and make the head\'s token available to this process '
             '(~/.ray/auth_token, RAY_AUTH_TOKEN_PATH or RAY_AUTH_TOKEN).')


def _is_auth_error(error: BaseException) -> bool:
  while error is not None:
    if type(error).__name__ == 'AuthenticationError':
      return True
    error = error.__cause__ or error.__context__
  return False


def _init_with_token_fallback(ray, address, init_kwargs):
  """`ray.init`; when it fails for want of a token and RAY_AUTH_MODE is
  unset, enables token authentication (if a token is at hand) and tries
  again, as `ray.init(address='auto')` would have from the start."""
  import os
  try:
    ray.init(address=address, **init_kwargs)
    return
  except Exception as e:  # pylint: disable=broad-except
    if not _is_auth_error(e):
      raise
    error = e
  retried = False
  if 'RAY_AUTH_MODE' not in os.environ:
    try:
      from ray._private.authentication import (
          authentication_token_setup as setup)
      retried = setup.maybe_enable_token_auth_if_token_available(
          warn_if_disabled=False)
    except Exception:  # pylint: disable=broad-except
      retried = False
  if not retried:
    raise ConnectionError(f'Could not join the Ray cluster at {address}. '
                          f'{AUTH_HINT}') from error
  ray.init(address=address, **init_kwargs)


def connect(address: str | None = None, **init_kwargs) -> bool:
  """Connects this process to Ray; True when it started a new local Ray.

  `address=None` reuses a Ray this process already joined, else starts a
  new local one (`ray.init(address='local')`); `'auto'` joins the cluster
  that `ray start` started on this machine; `'host:port'` joins that
  cluster's head. `init_kwargs` go to `ray.init` (e.g. `num_cpus`,
  `object_store_memory`, `runtime_env`).

  Example:
    >>> connect('127.0.0.1:6379')  # doctest: +SKIP
    False
  """
  ray = require_ray()
  if ray.is_initialized():
    return False
  init_kwargs.setdefault('include_dashboard', False)
  init_kwargs.setdefault('logging_level', 'WARNING')
  init_kwargs.setdefault('log_to_driver', False)
  if address is None:
    ray.init(address='local', **init_kwargs)
    return True
  for key in ('num_cpus', 'num_gpus', 'object_store_memory',
              'include_dashboard'):
    init_kwargs.pop(key, None)  # Only for a new local Ray.
  if is_loopback(address) and not _host_address_reachable(ray, address):
    with _keep_loopback(ray):
      _init_with_token_fallback(ray, address, init_kwargs)
  else:
    _init_with_token_fallback(ray, address, init_kwargs)
  return False
