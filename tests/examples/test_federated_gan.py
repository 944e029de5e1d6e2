"""The federated GAN example runs a few private rounds and writes a PNG."""

import importlib.util
import pathlib

import numpy as np

EXAMPLE = (pathlib.Path(__file__).resolve().parents[2] / 'examples' /
           'federated_gan.py')


def _load():
  spec = importlib.util.spec_from_file_location('federated_gan', EXAMPLE)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


def test_three_private_rounds_write_a_png_grid(tmp_path, capsys):
  example = _load()
  output = tmp_path / 'samples.png'
  state, path = example.main(['--rounds', '3', '--clients', '4',
                              '--noise-multiplier', '1.0', '--output',
                              str(output)])
  out = capsys.readouterr().out
  assert 'round 3: discriminator loss' in out
  assert 'epsilon' in out
  assert int(state.round_num) == 3
  data = output.read_bytes()
  assert path == str(output) and data[:8] == b'\x89PNG\r\n\x1a\n'
  # 8 x 8 cells of 32 x 32 pixels (8x8 digits scaled by 4), 1-pixel gaps.
  assert data[16:24] == (265).to_bytes(4, 'big') * 2
  clients = example.load_clients(4)
  assert len(clients) == 4 and clients[0].shape[1:] == (8, 8)
  assert 0.0 <= float(np.min(clients[0])) and float(np.max(clients[0])) <= 1
