"""The README's demo trains to a useful accuracy."""

import importlib.util
import pathlib

DEMO = (pathlib.Path(__file__).resolve().parents[2] / 'examples' /
        'federated_core_demo.py')


def test_demo_trains(capsys):
  spec = importlib.util.spec_from_file_location('demo', DEMO)
  demo = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(demo)
  accuracy = demo.main()
  out = capsys.readouterr().out
  assert 'round 15' in out
  assert accuracy > 0.75  # chance is 0.2; it starts near 0.21
