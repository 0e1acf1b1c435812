"""How the implementation model encodes actions and states, and what of it acceptor symmetry may touch.

Owns the action encoding `(kind, node_index, argument)`, the state type, and `ImplTables`:
the part of an `ImplModel` (configuration, interning tables, node-step cache) that
impl_symmetry.py reads and extends. Both impl_model.py and impl_symmetry.py import this
module, so neither imports the other's module for types. No behaviour lives here.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Protocol

from checker.config import CheckConfig
from paxos import ClusterConfig, Message, NodeProtocol

# Action encoding (hashable, compact): (kind, node_index, argument)
PROPOSE, TIMEOUT, DELIVER, DROP, DUPLICATE, CRASH, RESTART = range(7)
KIND_NAMES = ("propose", "timeout", "deliver", "drop", "duplicate", "crash", "restart")
#: The argument of a CRASH action that stands for a crash and a restart at once (reductions.py, 4).
CRASH_RESTART = 1

ImplState = tuple[Any, ...]  # see ImplModel: snapshots, net, crashed, used x3, started..., sent, proposed, fp


class ImplTables(Protocol):
    """What acceptor symmetry and impl_wire.py use of an `ImplModel` (the one class that has it all)."""

    _symmetry: Any  # the model's ImplSymmetry, built on first use

    @property
    def cfg(self) -> CheckConfig: ...
    @property
    def cc(self) -> ClusterConfig: ...
    @property
    def ids(self) -> tuple[int, ...]: ...
    @property
    def k(self) -> int: ...
    @property
    def index(self) -> Mapping[int, int]: ...
    @property
    def nodes(self) -> Sequence[NodeProtocol]: ...
    @property
    def bag(self) -> bool: ...
    @property
    def snaps(self) -> Sequence[Sequence[Hashable]]: ...
    @property
    def msgs(self) -> Sequence[Message]: ...
    @property
    def envs(self) -> Sequence[tuple[int, int]]: ...
    @property
    def _z(self) -> Mapping[tuple[object, ...], int]: ...
    @property
    def _z_snap(self) -> Sequence[Sequence[int]]: ...
    @property
    def _z_msg(self) -> Sequence[int]: ...
    @property
    def _node_cache(self) -> dict[tuple[int, int, int, int], tuple[int, int, int, tuple[str, ...]]]: ...

    def _z_env(self, eid: int, count: int) -> int: ...
    def _intern_snap(self, i: int, snap: Hashable) -> int: ...
    def _intern_msg(self, msg: Message) -> int: ...
    def _intern_env(self, dst: int, mid: int) -> int: ...
    def _node_step(self, i: int, sid: int, kind: int, arg: int) -> tuple[int, int, int, tuple[str, ...]]: ...
