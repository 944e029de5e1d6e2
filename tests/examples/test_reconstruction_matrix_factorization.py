"""The FedRecon example: unseen users' ratings predicted with private
embeddings, better than any global-only model of the same form."""

import importlib.util
import pathlib

EXAMPLE = (pathlib.Path(__file__).resolve().parents[2] / 'examples' /
           'reconstruction_matrix_factorization.py')


def test_held_out_users_are_predicted_with_reconstructed_embeddings(capsys):
  spec = importlib.util.spec_from_file_location('recon_mf', EXAMPLE)
  example = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(example)
  initial, final, global_only = example.main(['--rounds', '15'])
  assert 'round 15' in capsys.readouterr().out
  assert final < 0.7 * initial
  assert final < 0.8 * global_only
