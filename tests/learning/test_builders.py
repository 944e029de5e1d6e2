"""federax.learning.builders.is_builder: TFF's no-argument builders."""

import functools

import numpy as np

from federax.learning import builders


def test_functions_callable_without_arguments_are_builders():
  assert builders.is_builder(lambda: 1)
  assert builders.is_builder(lambda *args, scale=2.0, **kwargs: scale)
  assert builders.is_builder(functools.partial(lambda x: x, 3))


def test_functions_that_need_an_argument_or_hide_their_signature_are_not():
  assert not builders.is_builder(lambda x: x)
  assert not builders.is_builder(lambda *, y: y)
  assert not builders.is_builder(np.add)  # A ufunc: no signature to read.
