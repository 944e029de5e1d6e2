"""Every `>>>` example in the docstrings, the README and docs/ runs."""

import doctest
import importlib
import pathlib
import pkgutil

import pytest

import federax

ROOT = pathlib.Path(__file__).resolve().parent.parent
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _modules():
  yield 'federax'
  for info in pkgutil.walk_packages(federax.__path__, 'federax.'):
    yield info.name


@pytest.mark.parametrize('name', sorted(_modules()))
def test_docstring_examples(name):
  module = importlib.import_module(name)
  result = doctest.testmod(module, optionflags=FLAGS)
  assert result.failed == 0


@pytest.mark.parametrize(
    'path', sorted([ROOT / 'README.md'] + list((ROOT / 'docs').glob('*.md'))),
    ids=lambda p: p.name)
def test_markdown_examples(path):
  result = doctest.testfile(str(path), module_relative=False,
                            optionflags=FLAGS)
  assert result.failed == 0
