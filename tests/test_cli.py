"""The `federax` command: `federax inspect TARGET [--normalized]`."""

import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

import federax as fx
from federax import cli

EXAMPLE = textwrap.dedent('''
    import numpy as np
    import federax as fx
    from helpers import halve  # A sibling module: the file's folder imports.

    @fx.federated_computation(fx.type_at_server(np.float32),
                              fx.type_at_clients(np.float32))
    def round_(s, x):
      y = fx.federated_map(halve, fx.federated_map(halve, x))
      return fx.federated_sum(y), fx.federated_broadcast(s)

    @fx.federated_computation
    def polymorphic(x):
      return x

    @fx.federated_computation(fx.type_at_server(np.float32),
                              fx.type_at_clients(np.float32))
    def fits(s, x):
      sent = fx.federated_broadcast(s)
      return fx.federated_mean(fx.federated_map(fx.jax_computation(
          lambda v, w: v * w, np.float32, np.float32), [x, sent]))

    not_a_computation = 42
    ''')

HELPERS = textwrap.dedent('''
    import numpy as np
    import federax as fx

    halve = fx.jax_computation(lambda v: v * 0.5, np.float32)
    ''')


@pytest.fixture
def example(tmp_path):
  (tmp_path / 'helpers.py').write_text(HELPERS)
  path = tmp_path / 'example.py'
  path.write_text(EXAMPLE)
  return path


def _inspect(capsys, *args):
  status = cli.main(['inspect', *map(str, args)])
  captured = capsys.readouterr()
  return status, captured.out, captured.err


def test_inspect_a_file(example, capsys):
  status, out, err = _inspect(capsys, f'{example}:round_')
  assert status == 0 and err == ''
  lines = out.splitlines()
  assert lines[:4] == [
      'name: round_', 'parameters: s, x',
      'type: (<s=float32@SERVER,x={float32}@CLIENTS> -> '
      '<float32@SERVER,float32@CLIENTS>)', 'ir:']
  assert lines[4] == '(arg -> (let'
  assert '  _var1=federated_map(<comp#<lambda>,arg.x>),' in lines
  assert 'ir (normalized):' not in out


def test_inspect_normalized_and_compact(example, capsys):
  status, out, _ = _inspect(capsys, f'{example}:round_', '--normalized',
                            '--compact')
  assert status == 0
  lines = out.splitlines()
  assert lines[3:] == [
      'ir:',
      '(arg -> (let _var1=federated_map(<comp#<lambda>,arg.x>),_var2='
      'federated_map(<comp#<lambda>,_var1>),_var3=federated_sum(_var2),'
      '_var4=federated_broadcast(arg.s) in <_var3,_var4>))',
      'ir (normalized):',
      '(arg -> (let _var2=federated_map(<(_var5 -> (let _var6=comp#<lambda>('
      '_var5),_var7=comp#<lambda>(_var6) in _var7)),arg.x>),_var3='
      'federated_sum(_var2),_var4=federated_broadcast(arg.s) in '
      '<_var3,_var4>))']


def test_inspect_forms(example, capsys):
  status, out, _ = _inspect(capsys, f'{example}:fits', '--forms')
  assert status == 0
  assert 'map reduce form:\nprepare: (float32 -> <float32>)' in out
  assert 'distribute aggregate form:\nserver_prepare: (float32@SERVER' in out
  status, out, _ = _inspect(capsys, f'{example}:round_', '--forms')
  assert status == 0
  assert ('forms: the round does not fit them: a form needs a round '
          'returning SERVER-placed values') in out


def test_inspect_a_module(example, capsys, monkeypatch):
  package = example.parent / 'mypackage'
  package.mkdir()
  (package / '__init__.py').write_text('')
  (package / 'rounds.py').write_text(
      EXAMPLE.replace('from helpers import', 'from mypackage.helpers import'))
  (package / 'helpers.py').write_text(HELPERS)
  monkeypatch.chdir(example.parent)
  monkeypatch.setattr(sys, 'path', list(sys.path))
  status, out, err = _inspect(capsys, 'mypackage.rounds:round_')
  assert status == 0, err
  assert out.startswith('name: round_\n')
  status, out, _ = _inspect(capsys, 'mypackage.rounds:round_.type_signature')
  assert status == 2
  status, out, _ = _inspect(capsys, 'mypackage.helpers:halve')
  assert status == 0
  assert out.splitlines()[2:] == ['type: (float32 -> float32)', 'ir:',
                                  'comp#<lambda>']


@pytest.mark.parametrize('spec,message', [
    ('{dir}/missing.py:f', 'no such file: {dir}/missing.py'),
    ('{dir}/example.py', 'name the computation in the file: '
     '{dir}/example.py:NAME'),
    ('nonsense', "expected FILE.py:NAME, package.module:NAME or a file saved "
     "with fx.save; got 'nonsense'"),
    ('{dir}/example.py:missing', "{dir}/example.py has no attribute "
     "'missing'."),
    ('{dir}/example.py:not_a_computation', 'is not a federax computation '
     '(it is of type int). Name a function decorated with'),
    ('{dir}/example.py:polymorphic', 'is a polymorphic computation'),
    ('no_such_module_here:f', "no module named 'no_such_module_here'."),
    ('no_such_package.sub:f', "no module named 'no_such_package.sub'."),
    ('{dir}/helpers.py:halve.name', 'is not a federax computation (it is of '
     'type str)'),
    ('{dir}/broken.py:f', 'importing {dir}/broken.py failed: '
     'ZeroDivisionError: division by zero'),
    ('{dir}/exits.py:f', 'importing {dir}/exits.py exited (status 3).'),
])
def test_mistakes_are_one_line_and_status_2(example, capsys, spec, message):
  (example.parent / 'broken.py').write_text('1 / 0\n')
  (example.parent / 'exits.py').write_text('import sys\nsys.exit(3)\n')
  d = str(example.parent)
  status, out, err = _inspect(capsys, spec.format(dir=d))
  assert status == 2 and out == ''
  assert err.startswith('federax inspect: error: ')
  assert message.format(dir=d) in err
  assert len(err.strip().splitlines()) == 1


def test_usage_errors_exit_2(capsys):
  with pytest.raises(SystemExit) as e:
    cli.main([])
  assert e.value.code == 2
  with pytest.raises(SystemExit) as e:
    cli.main(['inspect', 'x:y', '--no-such-flag'])
  assert e.value.code == 2
  assert 'usage: federax' in capsys.readouterr().err


def test_inspect_a_saved_computation(example, capsys, tmp_path):
  import numpy as np

  @fx.federated_computation(fx.type_at_clients(np.float32))
  def total(x):
    return fx.federated_sum(x)

  path = tmp_path / 'total.fxc'
  fx.save(total, path)
  status, out, err = _inspect(capsys, path, '--normalized', '--compact')
  assert status == 0, err
  assert out.splitlines()[2:] == [
      'type: ({float32}@CLIENTS -> float32@SERVER)', 'ir:',
      '(x -> federated_sum(x))', 'ir (normalized):',
      '(x -> (let _var1=federated_sum(x) in _var1))']
  bad = tmp_path / 'bad.fxc'
  bad.write_bytes(b'not a computation')
  status, out, err = _inspect(capsys, bad)
  assert status == 2 and err.startswith(
      f'federax inspect: error: cannot load {bad}: ')


def _run(*args, cwd):
  env = dict(os.environ, FEDERAX_DUMP_IR='')
  return subprocess.run(list(args), capture_output=True, text=True, cwd=cwd,
                        env=env, timeout=120)


def test_python_dash_m_and_the_installed_script(example):
  done = _run(sys.executable, '-m', 'federax.cli', 'inspect',
              'example.py:round_', '--normalized', cwd=example.parent)
  assert done.returncode == 0, done.stderr
  assert done.stdout.startswith('name: round_\nparameters: s, x\n')
  assert 'ir (normalized):\n(arg -> (let\n' in done.stdout
  script = pathlib.Path(sys.executable).parent / 'federax'
  if not script.exists():
    pytest.skip('the federax script is not installed (pip install -e .)')
  done = _run(str(script), 'inspect', 'example.py:nothing',
              cwd=example.parent)
  assert done.returncode == 2
  assert 'Traceback' not in done.stderr
  assert done.stderr == ("federax inspect: error: example.py has no "
                         "attribute 'nothing'.\n")
