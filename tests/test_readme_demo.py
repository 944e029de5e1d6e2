"""The README's first command: its `federax train` run reaches 0.90."""

import pathlib
import re
import shlex
import subprocess
import sys

import pytest

README = pathlib.Path(__file__).resolve().parent.parent / 'README.md'


def _first_command() -> str:
  text = README.read_text()
  section = text[text.index('## Two commands'):]
  return re.search(r'```\n(.*?)\n```', section, re.S).group(1).strip()


def test_first_command_sets_up_then_trains_on_digits():
  steps = _first_command().split(' && ')
  assert steps[0] == 'python3 -m venv .venv'
  install = shlex.split(steps[1])
  extras = re.search(r"\[(.*)\]", install[-1]).group(1).split(',')
  assert {'examples', 'plot', 'tensorboard'} <= set(extras)
  assert steps[2].startswith('.venv/bin/federax train --dataset digits ')


@pytest.mark.slow
def test_demo_reaches_90_percent(tmp_path):
  argv = shlex.split(_first_command().split(' && ')[2])[1:]
  result = subprocess.run(
      [sys.executable, '-m', 'federax.cli', *argv, '--output-dir',
       str(tmp_path), '--no-progress'], capture_output=True, text=True,
      check=True, timeout=600)
  out = result.stdout
  accuracy = float(re.search(r'round 20: test accuracy ([0-9.]+)',
                             out).group(1))
  assert accuracy >= 0.90, out
  assert f'plot:        {tmp_path / "plot.png"}' in out
  assert f'metrics:     {tmp_path / "metrics.csv"}' in out
  assert (tmp_path / 'plot.png').exists()
