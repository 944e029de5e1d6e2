"""`federax train`'s settings: defaults, config files, flags, errors, help."""

import json
import subprocess
import sys

import pytest

from federax import cli
from federax.apps.train import config as config_lib
from federax.apps.train import flags

TrainConfig = config_lib.TrainConfig
ConfigError = config_lib.ConfigError


def _config(argv):
  import argparse  # pylint: disable=import-outside-toplevel
  parser = argparse.ArgumentParser()
  flags.add_arguments(parser)
  return flags.config_from_args(parser.parse_args(argv))


@pytest.mark.parametrize('dataset,model,clients,per_round', [
    ('digits', 'mlp', 25, None), ('synthetic_0.5_0.5', 'linear', 30, 10),
    ('synthetic_iid', 'linear', 30, 10), ('emnist', 'cnn', None, 10),
    ('emnist62', 'cnn', None, 10)])
def test_dataset_defaults(dataset, model, clients, per_round):
  resolved = TrainConfig(dataset=dataset).resolved()
  assert (resolved.model, resolved.num_clients,
          resolved.clients_per_round) == (model, clients, per_round)
  assert resolved.output_dir.endswith(f'{dataset}_fedavg_{model}')


@pytest.mark.parametrize('task,model', [
    ('emnist_character', 'cnn_dropout'), ('cifar100_image', 'resnet18'),
    ('shakespeare_character', 'lstm'), ('stackoverflow_word', 'lstm'),
    ('stackoverflow_tag', 'logistic')])
def test_task_defaults(task, model):
  resolved = TrainConfig(task=task).resolved()
  assert (resolved.dataset, resolved.model, resolved.clients_per_round) == (
      None, model, 10)
  assert resolved.output_dir.endswith(f'{task}_fedavg_{model}')


def test_algorithm_defaults():
  assert TrainConfig(algorithm='fedsgd').resolved().server_lr == 0.1
  fedavgm = TrainConfig(algorithm='fedavgm').resolved()
  assert (fedavgm.server_lr, fedavgm.server_momentum) == (1.0, 0.9)
  dp = TrainConfig(dp_noise_multiplier=1.0).resolved()
  assert dp.aggregator == 'dp'


def test_flags_override_a_json_config_file(tmp_path):
  path = tmp_path / 'run.json'
  path.write_text(json.dumps({'dataset': 'synthetic_iid', 'rounds': 7,
                              'client-lr': 0.05}))
  config = _config(['--config', str(path), '--rounds', '9'])
  assert (config.dataset, config.rounds, config.client_lr) == (
      'synthetic_iid', 9, 0.05)


def test_toml_config_file_with_a_train_table(tmp_path):
  path = tmp_path / 'run.toml'
  path.write_text('[train]\nalgorithm = "fedprox"\nproximal_strength = 0.1\n'
                  'progress = false\n')
  config = _config(['--config', str(path)])
  assert (config.algorithm, config.proximal_strength, config.progress) == (
      'fedprox', 0.1, False)


def test_print_config_round_trips_through_a_config_file(tmp_path, capsys):
  assert cli.main(['train', '--dataset', 'digits', '--client-momentum',
                   '0.9', '--print-config']) == 0
  printed = capsys.readouterr().out
  values = json.loads(printed)
  assert values['client_momentum'] == 0.9 and values['model'] == 'mlp'
  path = tmp_path / 'run.json'
  path.write_text(printed)
  assert _config(['--config', str(path)]).resolved().to_dict() == values


@pytest.mark.parametrize('values,message', [
    ({'rounds': -1}, '--rounds: expected an integer >= 0, got -1.'),
    ({'dataset': 'mnist'}, "--dataset: expected digits"),
    ({'client_optimizer': 'adam', 'client_momentum': 0.9},
     '--client-momentum: only sgd has momentum'),
    ({'aggregator': 'dp'}, '--aggregator dp needs --dp-noise-multiplier'),
    ({'aggregator': 'robust', 'dp_noise_multiplier': 1.0},
     '--dp-noise-multiplier: it sets up the dp aggregator'),
    ({'model': 'cnn', 'dataset': 'synthetic_iid'},
     "--model: expected one of linear, mlp (the models for synthetic_iid); "
     "got 'cnn'."),
    ({'algorithm': 'scaffold', 'client_momentum': 0.9},
     '--client-momentum: scaffold uses plain SGD'),
    ({'dataset': 'emnist', 'num_clients': 5},
     '--num-clients: the clients of EMNIST are given'),
    ({'client_lr': 0}, '--client-lr: expected a number > 0, got 0.'),
    ({'progress': 'yes'}, "--progress: expected true or false, got 'yes'."),
    ({'task': 'mnist_digits'}, '--task: expected one of emnist_character, '),
    ({'task': 'emnist_character', 'dataset': 'digits'},
     '--task brings its own data; drop --dataset digits.'),
    ({'task': 'emnist_character', 'model': 'resnet18'},
     "--model: expected one of cnn_dropout, cnn, 2nn (the models for "
     "emnist_character); got 'resnet18'."),
    ({'synthetic_data': True}, '--synthetic-data applies to --task only.'),
    ({'task': 'shakespeare_character', 'num_clients': 3},
     '--num-clients: the clients of shakespeare_character are given'),
])
def test_bad_settings_name_the_flag(values, message):
  with pytest.raises(ConfigError) as raised:
    TrainConfig(**values).validate()
  assert message in str(raised.value)


def test_unknown_config_key_suggests_the_right_one(tmp_path):
  path = tmp_path / 'run.json'
  path.write_text('{"client_learning_rate": 0.1}')
  with pytest.raises(ConfigError, match="unknown setting "
                     "'client_learning_rate'. Did you mean 'client_lr'"):
    flags.load_file(str(path))


def test_bad_config_files(tmp_path):
  with pytest.raises(ConfigError, match='--config: no such file'):
    flags.load_file(str(tmp_path / 'nope.json'))
  path = tmp_path / 'run.json'
  path.write_text('[1, 2]')
  with pytest.raises(ConfigError, match='must hold a table'):
    flags.load_file(str(path))
  path.write_text('{rounds: 1}')
  with pytest.raises(ConfigError, match='is not valid JSON'):
    flags.load_file(str(path))


def test_command_line_mistakes_exit_2_with_one_line(tmp_path, capsys):
  assert cli.main(['train', '--rounds', '-1']) == 2
  assert capsys.readouterr().err == (
      'federax train: error: --rounds: expected an integer >= 0, got -1.\n')
  assert cli.main(['train', '--clients-per-round', '40', '--output-dir',
                   str(tmp_path / 'run')]) == 2
  assert ('--clients-per-round: expected at most the 25 clients of digits, '
          'got 40.') in capsys.readouterr().err


def test_output_dir_with_other_files_is_refused(tmp_path, capsys):
  (tmp_path / 'notes.txt').write_text('mine')
  assert cli.main(['train', '--output-dir', str(tmp_path)]) == 2
  assert 'not a federax train run' in capsys.readouterr().err
  assert (tmp_path / 'notes.txt').read_text() == 'mine'


def test_help_is_clear_and_loads_no_heavy_packages():
  code = ('import sys\nfrom federax import cli\n'
          'for argv in (["--help"], ["train", "--help"], '
          '["datasets", "--help"]):\n'
          '  try:\n    cli.main(argv)\n  except SystemExit:\n    pass\n'
          'heavy = {"matplotlib", "sklearn", "tensorboardX", "dp_accounting"}\n'
          'print(sorted(heavy & {m.split(".")[0] for m in sys.modules}))\n')
  result = subprocess.run([sys.executable, '-c', code], capture_output=True,
                          text=True, check=True)
  out = result.stdout
  for text in ('train', 'datasets', 'inspect', '--dp-noise-multiplier',
               '--clients-per-round', '--config FILE', 'examples:',
               'download'):
    assert text in out
  assert out.strip().endswith('[]')
