"""Programs: TFF's `tff.program`, synchronous.

Program state managers save and load versions of a program's state so
that a program that stops can start again where it was
(`FileProgramStateManager`: versioned directories, no pickle, atomic
saves). Release managers take values such as metrics out of a program
(`LoggingReleaseManager`, `MemoryReleaseManager`, `CSVFileReleaseManager`,
`TensorBoardReleaseManager`) and combine
(`FilteringReleaseManager`, `GroupingReleaseManager`,
`PeriodicReleaseManager`, `DelayedReleaseManager`). See docs/programs.md.
Importing this loads numpy only; tensorboardX loads when used.

Example:
  >>> import tempfile, numpy as np, federax as fx
  >>> manager = fx.program.FileProgramStateManager(tempfile.mkdtemp())
  >>> manager.save({'w': np.ones(2, np.float32)}, version=1)
  >>> manager.load_latest(structure={'w': np.zeros(2, np.float32)})
  ({'w': array([1., 1.], dtype=float32)}, 1)
"""

from federax.program.csv_release_manager import (CSVFileReleaseManager,
                                                 CSVKeyFieldnameNotFoundError,
                                                 CSVSaveMode)
from federax.program.file_program_state_manager import FileProgramStateManager
from federax.program.flatten import flatten_with_name
from federax.program.logging_release_manager import LoggingReleaseManager
from federax.program.memory_release_manager import MemoryReleaseManager
from federax.program.program_state_manager import (ProgramStateExistsError,
                                                   ProgramStateManager,
                                                   ProgramStateNotFoundError)
from federax.program.pytree_io import load_pytree, save_pytree
from federax.program.release_manager import (DelayedReleaseManager,
                                             FilteringReleaseManager,
                                             GroupingReleaseManager,
                                             NotFilterableError,
                                             PeriodicReleaseManager,
                                             ReleaseManager)
from federax.program.tensorboard_release_manager import (
    TensorBoardReleaseManager)
