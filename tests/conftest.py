"""Every test starts with the default execution context federax installs;
compiled programs a test caches on disk (`federax train` does) go to a
temporary directory, not the user's cache."""

import os
import tempfile

import pytest

import federax as fx

os.environ['FEDERAX_COMPILATION_CACHE_DIR'] = tempfile.mkdtemp(
    prefix='federax-xla-')


@pytest.fixture(autouse=True)
def _restore_default_context():
  default = fx.framework.get_default_context()
  yield
  fx.framework.set_default_context(default)
