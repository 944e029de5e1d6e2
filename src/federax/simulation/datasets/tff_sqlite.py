"""Loading one of TFF's published SQLite datasets, parsed, by split."""

from __future__ import annotations

from federax.simulation.datasets import download
from federax.simulation.datasets import sql_client_data
from federax.simulation.datasets import sql_utils

# SHA-256 of the published compressed files, recorded only once verified
# against a download. None known yet: a download is checked by opening
# the decompressed SQLite file and finding TFF's tables in it.
KNOWN_SHA256: dict[str, str] = {}


def database_path(filename: str, cache_dir: str | None = None) -> str:
  """The cached (downloaded on first use) SQLite file of a TFF dataset.

  Example:
    >>> database_path('emnist_all.sqlite.lzma', '/nonexistent')  # doctest: +SKIP
    '/nonexistent/emnist_all.sqlite'
  """
  return download.get_compressed_file(
      download.TFF_BASE_URL + filename, cache_dir,
      sha256=KNOWN_SHA256.get(filename),
      validate=sql_client_data.check_database_format)


def load_splits(filename: str, split_names, element_spec,
                cache_dir: str | None = None) -> tuple:
  """One parsed `ClientData` per split name, from one TFF database.

  Example:
    >>> load_splits('x.sqlite.lzma', ['train'], {'a': int}, '/nonexistent')  # doctest: +SKIP
  """
  path = database_path(filename, cache_dir)
  return tuple(sql_utils.load_and_parse_sql_client_data(path, element_spec,
                                                        split)
               for split in split_names)
