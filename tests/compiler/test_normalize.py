"""`normalize`: the pipeline on computations and building blocks, its
checks, and the IR dump (`dump=` and `FEDERAX_DUMP_IR`)."""

import numpy as np
import pytest

import federax as fx
from federax import compiler
from federax.core import building_blocks as bb

import compiler_programs
import compiler_testing as ct

PASS_NAMES = [p.__name__ for p in compiler.PASSES]


@fx.federated_computation(fx.type_at_server(np.float32),
                          fx.type_at_clients(np.float32))
def _round(s, x):
  b = fx.federated_broadcast(s)
  return fx.federated_sum(fx.federated_map(
      compiler_programs.inc, fx.federated_map(compiler_programs.halve, x))), b


def test_a_computation_gives_a_computation_like_it():
  out = compiler.normalize(_round)
  assert isinstance(out, fx.Computation) and out is not _round
  assert out.name == '_round' and out.parameter_names == ['s', 'x']
  assert out.type_signature == _round.type_signature
  assert str(out.building_block) == (
      '(arg -> (let _var1=federated_broadcast(arg.s),_var3=federated_map(<'
      '(_var5 -> (let _var6=comp#halve(_var5),_var7=comp#inc(_var6) in '
      '_var7)),arg.x>),_var4=federated_sum(_var3) in <_var4,_var1>))')
  args = (np.float32(2.0), [1.0, 2.0, 4.0])
  ct.assert_same(_round(*args), out(*args))
  assert float(out(s=np.float32(1.0), x=[2.0])[0]) == 2.0


def test_a_building_block_gives_a_building_block():
  block = _round.building_block
  assert compiler.normalize(block) == compiler.normalize(
      _round).building_block


def test_a_jax_computation_is_returned_as_it_is():
  assert compiler.normalize(compiler_programs.inc) is compiler_programs.inc


def test_wrong_arguments():
  with pytest.raises(TypeError, match='polymorphic'):
    compiler.normalize(fx.federated_computation(lambda x: x))
  with pytest.raises(TypeError, match='expected an fx.Computation'):
    compiler.normalize(lambda x: x)
  with pytest.raises(TypeError, match='normalize\\(dump\\)'):
    compiler.normalize(_round, dump=3)


def test_chosen_passes_and_a_broken_pass_is_caught():
  out = compiler.normalize(_round, [compiler.remove_unused_bindings])
  assert out is _round

  def change_the_type(comp):
    return bb.Lambda(comp.parameter_name, comp.parameter_type,
                     bb.Literal(np.int32(0)))

  def unbind(comp):
    return bb.Lambda(comp.parameter_name, comp.parameter_type,
                     bb.Reference('nowhere', comp.result.type_signature))

  with pytest.raises(AssertionError, match='change_the_type changed the type'):
    compiler.normalize(_round, [change_the_type])
  with pytest.raises(AssertionError, match="unbind produced an ill-scoped "
                     "tree: Unbound reference 'nowhere'"):
    compiler.normalize(_round, [unbind])


def _sections(text):
  return [line for line in text.splitlines() if line.startswith('===')]


def test_dump_to_a_function():
  texts = []
  compiler.normalize(_round, dump=texts.append)
  assert [t.splitlines()[0] for t in texts] == (
      ['=== _round: input ==='] +
      [f'=== _round: after {n} ===' for n in PASS_NAMES])
  assert texts[-1].split('\n', 1)[1] == compiler.normalize(
      _round).building_block.formatted_representation()


def test_dump_true_prints_to_stderr(capsys):
  compiler.normalize(_round.building_block, dump=True)
  captured = capsys.readouterr()
  assert captured.out == ''
  assert _sections(captured.err) == (
      ['=== comp: input ==='] +
      [f'=== comp: after {n} ===' for n in PASS_NAMES])
  assert '  _var1=federated_broadcast(arg.s),' in captured.err


def test_the_environment_variable(monkeypatch, capsys, tmp_path):
  monkeypatch.setenv('FEDERAX_DUMP_IR', '1')
  compiler.normalize(_round)
  assert len(_sections(capsys.readouterr().err)) == len(PASS_NAMES) + 1

  monkeypatch.setenv('FEDERAX_DUMP_IR', '0')
  compiler.normalize(_round)
  assert capsys.readouterr().err == ''

  directory = tmp_path / 'ir'
  monkeypatch.setenv('FEDERAX_DUMP_IR', str(directory))
  compiler.normalize(_round)
  files = sorted(p.name for p in directory.iterdir())
  assert len(files) == len(PASS_NAMES) + 1
  assert files[0].endswith('-_round-00-input.txt')
  assert files[-1].endswith('-_round-06-after_to_call_dominant.txt')
  text = (directory / files[-1]).read_text()
  assert text.startswith('=== _round: after to_call_dominant ===\n(arg -> ')
  # An explicit dump= wins over the variable.
  compiler.normalize(_round, dump=False)
  assert len(list(directory.iterdir())) == len(PASS_NAMES) + 1
  assert capsys.readouterr().err == ''


def test_dump_to_a_directory_keeps_every_run(tmp_path):
  compiler.normalize(_round, dump=tmp_path)
  compiler.normalize(compiler_programs.corpus.mean, dump=str(tmp_path))
  names = sorted(p.name for p in tmp_path.iterdir())
  assert len(names) == 2 * (len(PASS_NAMES) + 1)
  assert sum('-mean-' in n for n in names) == len(PASS_NAMES) + 1
