"""Renaming node ids inside our messages and `PaxosNode` snapshots (for acceptor symmetry).

Owns where a node id can appear in our types: only as a message's `src` (a ballot's node id
names a proposer; callers that move only acceptors never move it, and a `Ballot` is kept
as is). Every other int in our snapshots is a count or a round. It knows nothing of a
checker: `PaxosNode.rename_snapshot` and the checker's symmetry both call `rename_node_ids`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from paxos._ballot import Ballot
from paxos._messages import Accept, Accepted, Nack, Prepare, Promise
from paxos._state import AcceptorDurable, LearnerVolatile, NodeSnapshot, ProposerDurable, ProposerVolatile

_SCALARS = (int, str, bytes, float, bool, type(None), Ballot)
_MESSAGE_TYPES = (Prepare, Promise, Accept, Accepted, Nack)  # paxos.MESSAGE_TYPES, spelt out for mypy
_STATE_TYPES = (AcceptorDurable, ProposerDurable, ProposerVolatile, LearnerVolatile)


class CannotRename(TypeError):
    """A snapshot or message holds a value whose node ids `rename_node_ids` cannot find."""


def rename_node_ids(obj: object, ids: Mapping[int, int]) -> object:
    """`obj` with every message `src` renamed by `ids` (ids not in it stay).

    Understands our messages, the state dataclasses of a `NodeSnapshot` (and subclasses of
    them, extra fields included, such as those of `paxos.bugs`), `NodeSnapshot`, tuples,
    frozensets and scalars; anything else raises `CannotRename`.
    """
    if isinstance(obj, _SCALARS):
        return obj
    if isinstance(obj, _MESSAGE_TYPES):
        changes: dict[str, Any] = {}
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            changes[f.name] = ids.get(value, value) if f.name == "src" else rename_node_ids(value, ids)
        return dataclasses.replace(obj, **changes)
    if isinstance(obj, _STATE_TYPES):
        fields: dict[str, Any] = {
            f.name: rename_node_ids(getattr(obj, f.name), ids) for f in dataclasses.fields(obj) if f.init
        }
        return dataclasses.replace(obj, **fields)
    if isinstance(obj, frozenset):
        return frozenset(rename_node_ids(x, ids) for x in obj)
    if isinstance(obj, NodeSnapshot):
        parts: list[Any] = [rename_node_ids(x, ids) for x in obj]
        return type(obj)(*parts)
    if type(obj) is tuple:
        return tuple(rename_node_ids(x, ids) for x in obj)
    raise CannotRename(f"a value of type {type(obj).__name__}")
