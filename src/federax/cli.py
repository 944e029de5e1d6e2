"""The `federax` command.

`federax train` trains a model with federated learning in simulation
(flags or a config file; writes metrics, TensorBoard events, checkpoints
and a plot; see `federax.apps.train`). `federax datasets list` lists the
known datasets and `federax datasets download NAME` fetches one ahead of
use (`federax.apps.datasets`).

`federax inspect TARGET` prints a computation's name, type signature and
IR. TARGET is `path/to/file.py:NAME` (the file is run as a module and NAME
looked up in it), `package.module:NAME` (imported as Python would from the
current directory), or a file written by `fx.save`. `--normalized` prints
the IR after the compiler pipeline (`federax.compiler.normalize`) too, and
`--forms` the round's `MapReduceForm` and `DistributeAggregateForm`.

Mistakes in TARGET (no such file or module, no such name, not a
computation) print one line saying so and exit with status 2.

Example:
  >>> import contextlib, io
  >>> out = io.StringIO()
  >>> with contextlib.redirect_stderr(out):
  ...   status = main(['inspect', 'no_such_file.py:f'])
  >>> status
  2
  >>> print(out.getvalue().strip())
  federax inspect: error: no such file: no_such_file.py
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import os
import sys
import types as pytypes


class CommandError(Exception):
  """A mistake in the command line: reported in one line, exit status 2."""


def main(argv: list[str] | None = None) -> int:
  """Runs the command line `argv` (default `sys.argv[1:]`); the exit status.

  Example:
    >>> main(['inspect', 'federax.compiler:PASSES'])  # An error, on stderr.
    2
  """
  parser = _parser()
  args = parser.parse_args(argv)
  try:
    return args.run(args)
  except CommandError as e:
    print(f'federax {args.command}: error: {e}', file=sys.stderr)
    return 2
  except Exception as e:  # A user mistake the apps name: one line, status 2.
    if type(e).__name__ not in ('ConfigError', 'DatasetsCommandError'):
      raise
    print(f'federax {args.command}: error: {e}', file=sys.stderr)
    return 2


def _parser() -> argparse.ArgumentParser:
  parser = argparse.ArgumentParser(
      prog='federax',
      description='federax: federated learning and federated computation on '
                  'JAX. Run "federax COMMAND --help" for a command\'s flags.',
      epilog='example: federax train --dataset digits --rounds 20')
  commands = parser.add_subparsers(dest='command', required=True,
                                   metavar='COMMAND')
  _add_train(commands)
  _add_datasets(commands)
  inspect = commands.add_parser(
      'inspect', help="print a computation's type signature and IR",
      description="Print a computation's name, type signature and IR.")
  inspect.add_argument(
      'target', metavar='TARGET',
      help='FILE.py:NAME, package.module:NAME, or a file saved with fx.save')
  inspect.add_argument(
      '--normalized', action='store_true',
      help='also print the IR after the compiler pipeline '
           '(federax.compiler.normalize)')
  inspect.add_argument('--compact', action='store_true',
                       help='print the IR on one line')
  inspect.add_argument(
      '--forms', action='store_true',
      help="also print the round's MapReduceForm and DistributeAggregateForm "
           '(the pieces and their types), or why it does not fit them')
  inspect.set_defaults(run=_inspect)
  return parser


def _add_train(commands) -> None:
  from federax.apps.train import flags
  train = commands.add_parser(
      'train', help='train a model with federated learning (simulation)',
      description=flags.DESCRIPTION, epilog=flags.EPILOG,
      formatter_class=argparse.RawDescriptionHelpFormatter)
  flags.add_arguments(train)
  train.set_defaults(run=_train)


def _train(args) -> int:
  import json
  from federax.apps import train
  from federax.apps.train import flags
  config = flags.config_from_args(args)
  if args.print_config:
    print(json.dumps(config.resolved().to_dict(), indent=2))
    return 0
  train.train(config, fresh=args.fresh)
  return 0


def _add_datasets(commands) -> None:
  datasets = commands.add_parser(
      'datasets', help='list or download federated datasets',
      description='List the federated datasets federax knows, or download '
                  'one ahead of use.')
  actions = datasets.add_subparsers(dest='action', required=True,
                                    metavar='ACTION')
  listing = actions.add_parser(
      'list', help='list the datasets and whether they are cached',
      description='List the datasets and whether their files are cached.')
  download = actions.add_parser(
      'download', help='download a dataset into the cache',
      description='Download a dataset\'s files into the cache (resumed if '
                  'interrupted; used offline afterwards).')
  download.add_argument('name', metavar='NAME',
                        help='a dataset name from "federax datasets list"')
  download.add_argument('--no-progress', dest='progress',
                        action='store_false', help='no progress bar')
  for action in (listing, download):
    action.add_argument(
        '--cache-dir', metavar='DIR', default=None,
        help='the cache (default $FEDERAX_DATASETS_DIR or '
             '~/.cache/federax/datasets)')
  datasets.set_defaults(run=_datasets)


def _datasets(args) -> int:
  from federax.apps import datasets
  if args.action == 'list':
    return datasets.list_datasets(args.cache_dir)
  return datasets.download(args.name, args.cache_dir, args.progress)


def _inspect(args) -> int:
  from federax import compiler
  comp = load_target(args.target)
  ir = _show(comp.building_block, args.compact)
  lines = [f'name: {comp.name}',
           f'parameters: {", ".join(comp.parameter_names) or "(none)"}',
           f'type: {comp.type_signature}', 'ir:', ir]
  if args.normalized:
    normalized = compiler.normalize(comp)
    lines += ['ir (normalized):', _show(normalized.building_block,
                                        args.compact)]
  if args.forms:
    lines += _forms(comp)
  print('\n'.join(lines))
  return 0


def _forms(comp) -> list[str]:
  from federax import compiler
  try:
    mrf = compiler.get_map_reduce_form_for_computation(comp)
    daf = compiler.get_distribute_aggregate_form_for_computation(comp)
  except TypeError as e:
    return [f'forms: the round does not fit them: {e}']
  return ['map reduce form:', mrf.summary(), 'distribute aggregate form:',
          daf.summary()]


def _show(block, compact: bool) -> str:
  return (block.compact_representation() if compact else
          block.formatted_representation())


def load_target(spec: str):
  """The `fx.Computation` that TARGET names; `CommandError` if none.

  Example:
    >>> load_target('federax.compiler:normalize')
    Traceback (most recent call last):
    ...
    federax.cli.CommandError: federax.compiler:normalize is not a federax computation (it is of type function). ...
  """
  import federax
  if os.path.isfile(spec) and not spec.endswith('.py'):
    return _load_saved(spec)
  where, sep, name = spec.rpartition(':')
  if not sep or not where or not name:
    if spec.endswith('.py'):
      raise CommandError(f'name the computation in the file: {spec}:NAME.')
    raise CommandError(
        f'expected FILE.py:NAME, package.module:NAME or a file saved with '
        f'fx.save; got {spec!r}, which is none of these (no such file).')
  if where.endswith('.py') or os.sep in where or '/' in where:
    if not os.path.isfile(where):
      raise CommandError(f'no such file: {where}')
    if not where.endswith('.py'):
      raise CommandError(
          f'{where} is not a .py file; a file saved with fx.save holds one '
          f'computation: give its path without ":{name}".')
    module = _import_file(where)
  else:
    module = _import_module(where)
  obj = module
  for part in name.split('.'):
    if not hasattr(obj, part):
      raise CommandError(f'{where} has no attribute {name!r}.')
    obj = getattr(obj, part)
  if isinstance(obj, federax.PolymorphicComputation):
    raise CommandError(
        f'{spec} is a polymorphic computation (declared without parameter '
        f'types), so it has no type signature; give its decorator the '
        f'parameter types.')
  if not isinstance(obj, federax.Computation):
    raise CommandError(
        f'{spec} is not a federax computation (it is of type '
        f'{type(obj).__name__}). Name a function decorated with '
        f'@fx.federated_computation or @fx.jax_computation.')
  return obj


def _load_saved(path: str):
  import federax
  try:
    return federax.load(path)
  except (ValueError, OSError) as e:
    raise CommandError(f'cannot load {path}: {e}') from None


def _import_file(path: str) -> pytypes.ModuleType:
  path = os.path.abspath(path)
  module_name = os.path.splitext(os.path.basename(path))[0]
  if module_name in sys.modules:
    module_name = f'_federax_inspect_{module_name}'
  spec = importlib.util.spec_from_file_location(module_name, path)
  module = importlib.util.module_from_spec(spec)
  # Registered while it runs, as `python path/to/file.py` would (dataclasses
  # look their module up there); the file's directory is importable.
  sys.modules[module_name] = module
  with _on_path(os.path.dirname(path)):
    try:
      _run_user_code(lambda: spec.loader.exec_module(module), path)
    except CommandError:
      del sys.modules[module_name]
      raise
  return module


def _import_module(name: str) -> pytypes.ModuleType:
  def find():
    try:
      return importlib.util.find_spec(name)
    except ModuleNotFoundError:
      return None

  # Like `python -m`: modules in the current directory are importable.
  with _on_path(os.getcwd()):
    if _run_user_code(find, name) is None:
      raise CommandError(f'no module named {name!r}.')
    return _run_user_code(lambda: importlib.import_module(name), name)


def _run_user_code(fn, what):
  try:
    return fn()
  except SystemExit as e:
    raise CommandError(f'importing {what} exited (status {e.code}).') from None
  except Exception as e:  # The user's code failed: say where, briefly.
    raise CommandError(f'importing {what} failed: {type(e).__name__}: '
                       f'{e}') from None


@contextlib.contextmanager
def _on_path(directory: str):
  sys.path.insert(0, directory)
  try:
    yield
  finally:
    with contextlib.suppress(ValueError):
      sys.path.remove(directory)


if __name__ == '__main__':
  sys.exit(main())
