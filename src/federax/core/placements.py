"""Placement literals: the groups of participants that host values."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class PlacementLiteral:
  """A placement: a role played by a group of participants.

  `CLIENTS` and `SERVER` are the two placements of client-server
  computations. A value placed at `CLIENTS` has one member per client unless
  it is all-equal; a value at `SERVER` has a single member.

  Example:
    >>> import federax as fx
    >>> str(fx.CLIENTS), fx.CLIENTS.default_all_equal
    ('CLIENTS', False)
  """

  name: str
  uri: str
  default_all_equal: bool
  description: str = dataclasses.field(compare=False, default='')

  def __str__(self) -> str:
    return self.name

  def __repr__(self) -> str:
    return self.name

  # The literals are singletons (code compares them with `is`): copying or
  # unpickling one gives back the same object.
  def __copy__(self):
    return self

  def __deepcopy__(self, memo):
    return self

  def __reduce__(self):
    if _BY_URI.get(self.uri) is self:
      return (from_uri, (self.uri,))
    return (PlacementLiteral, (self.name, self.uri, self.default_all_equal,
                               self.description))


CLIENTS = PlacementLiteral(
    'CLIENTS', 'clients', default_all_equal=False,
    description='The collective of all client devices.')
SERVER = PlacementLiteral(
    'SERVER', 'server', default_all_equal=True,
    description='The single top-level central coordinator.')

_BY_URI = {p.uri: p for p in (CLIENTS, SERVER)}


def from_uri(uri: str) -> PlacementLiteral:
  """The placement literal with this uri (`'clients'` or `'server'`)."""
  if uri not in _BY_URI:
    raise ValueError(f'Unknown placement uri {uri!r}; expected one of '
                     f'{sorted(_BY_URI)}.')
  return _BY_URI[uri]
