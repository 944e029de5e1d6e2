"""Every test starts with the default execution context federax installs."""

import pytest

import federax as fx


@pytest.fixture(autouse=True)
def _restore_default_context():
  default = fx.framework.get_default_context()
  yield
  fx.framework.set_default_context(default)
