"""The hypergradient example: the learned server rate beats the fixed one."""

import importlib.util
import pathlib

import pytest

EXAMPLE = (pathlib.Path(__file__).resolve().parents[2] / 'examples' /
           'learn_server_learning_rate.py')


def test_learned_server_learning_rate_beats_the_fixed_one(capsys):
  spec = importlib.util.spec_from_file_location('learn_lr', EXAMPLE)
  example = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(example)
  results = example.main(['--rounds', '6'])
  assert 'learned round  6' in capsys.readouterr().out
  rates, losses = results['learned']
  fixed_rates, fixed_losses = results['fixed']
  assert fixed_rates == pytest.approx([example.INITIAL_LR] * 6)
  assert rates[0] > example.INITIAL_LR and rates[-1] > 3 * example.INITIAL_LR
  assert losses[-1] < 0.8 * fixed_losses[-1]
