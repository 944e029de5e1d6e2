"""Federated datasets for simulation: TFF's `tff.simulation.datasets`.

`Dataset` (a lazy sequence of examples), `ClientData` and its kinds
(in memory, SQLite as TFF publishes, file per user), the published
datasets (`emnist`, `shakespeare`, `stackoverflow`, `cifar100`, `celeba`,
`gldv2`, `inaturalist`: downloaded and cached on first use), offline
ones (`synthetic`, `synthetic_iid`, `digits`) and `partition`ers that
split arrays into clients. See docs/simulation.md.

Nothing heavy is imported here: sqlite3, scikit-learn and the download
machinery load when used.
"""

from federax.simulation.datasets.client_data import ClientData
from federax.simulation.datasets.dataset import Dataset
from federax.simulation.datasets.file_per_user import FilePerUserClientData
from federax.simulation.datasets.in_memory import (FromTensorSlicesClientData,
                                                   InMemoryClientData,
                                                   TestClientData)
from federax.simulation.datasets.sql_client_data import SqlClientData
from federax.simulation.datasets.sql_utils import (
    load_and_parse_sql_client_data, save_to_sql_client_data)
from federax.simulation.datasets.synthetic import synthetic, synthetic_iid
from federax.simulation.datasets.digits import digits
from federax.simulation.datasets import partition
from federax.simulation.datasets import download
from federax.simulation.datasets import celeba
from federax.simulation.datasets import cifar100
from federax.simulation.datasets import emnist
from federax.simulation.datasets import gldv2
from federax.simulation.datasets import inaturalist
from federax.simulation.datasets import shakespeare
from federax.simulation.datasets import stackoverflow
from federax.simulation.datasets import registry
