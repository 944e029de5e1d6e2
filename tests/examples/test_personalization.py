"""The personalization example: fine-tuning helps on pathological shards."""

import importlib.util
import pathlib

EXAMPLE = (pathlib.Path(__file__).resolve().parents[2] / 'examples' /
           'personalization.py')


def test_finetuning_beats_the_global_model_on_non_iid_clients(capsys):
  spec = importlib.util.spec_from_file_location('personalization', EXAMPLE)
  example = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(example)
  accuracy = example.main(['--rounds', '5'])
  out = capsys.readouterr().out
  assert 'FedAvg round  5' in out and 'finetune_5_epochs' in out
  baseline = accuracy['baseline_metrics']
  assert 0.5 < baseline < 0.95
  for strategy in ('finetune_1_epoch', 'finetune_5_epochs'):
    assert accuracy[strategy] > baseline + 0.05, accuracy
    assert accuracy[strategy] > 0.9, accuracy
