"""The node protocol: what any implementation must offer to be driven by the cluster and the checker.

`--impl MODULE:FACTORY` names a factory `(node_id, ClusterConfig) -> node`
whose nodes follow `NodeProtocol`. Only typing lives here.

One method is optional: `rename_snapshot(snapshot, mapping) -> snapshot` lets `--symmetry`
treat interchangeable acceptors as one (see `RenamesSnapshots`); a node without it is
checked the same way, only without that reduction.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Protocol, runtime_checkable

from paxos._config import ClusterConfig
from paxos._messages import Message, Value
from paxos._roles import Outputs
from paxos._state import AcceptorDurable

#: The methods the checker calls; `validate_node` checks a node has them.
REQUIRED_METHODS: tuple[str, ...] = (
    "propose", "on_message", "on_timeout", "snapshot", "restore", "crash", "learned", "acceptor_state",
)

#: Methods the checker uses when a node has them: `rename_snapshot` (`--symmetry`, `RenamesSnapshots`).
OPTIONAL_METHODS: tuple[str, ...] = ("rename_snapshot",)


@runtime_checkable
class NodeProtocol(Protocol):
    """A pure message handler: given one input, update state and return messages to send."""

    node_id: int

    def propose(self, value: Value) -> Outputs:
        """A client request: start getting `value` chosen (proposers only)."""

    def on_message(self, msg: Message) -> Outputs:
        """Handle one delivered message."""

    def on_timeout(self) -> Outputs:
        """Start a higher ballot (proposers; others return [])."""

    def snapshot(self) -> Hashable:
        """The whole node state as a hashable, comparable value."""

    def restore(self, snapshot: Hashable) -> None:
        """Become exactly the node `snapshot` was taken from."""

    def crash(self) -> None:
        """Lose volatile state, keep durable state."""

    def learned(self) -> Value:
        """The value this node has learned, or None (non-learners: None)."""

    def acceptor_state(self) -> AcceptorDurable | None:
        """(promised, accepted ballot, accepted value) for acceptors, None otherwise."""


@runtime_checkable
class RenamesSnapshots(Protocol):
    """The optional method of the node protocol: rename node ids inside a snapshot (`--symmetry`).

    `rename_snapshot(snapshot, mapping)` returns what `snapshot()` would return had every node
    id `a` in the state been `mapping.get(a, a)` instead (ids not in `mapping` stay): the ids
    kept in sets and dicts (who promised, who voted), in message senders, in proposal numbers
    that embed a node id. It is a pure function of its arguments (it must not read or change
    the node it is called on; the checker calls it on the node the snapshot came from and
    restores the result into the node `mapping` moves that one to). The node's own id and
    roles are not part of a snapshot and stay with the node.

    `--symmetry` passes only permutations of acceptor ids that keep the quorum system and
    every node's roles. It checks at run time that each node transition it uses commutes
    with the renaming, and that a renamed snapshot shows the same `acceptor_state()` and
    `learned()`; a node that fails either (it breaks ties by id, or its rename misses a
    field) stops the run with one line (exit 2), never with a wrong verdict.
    """

    def rename_snapshot(self, snapshot: Hashable, mapping: Mapping[int, int]) -> Hashable:
        """`snapshot` with node ids renamed by `mapping`."""


NodeFactory = Callable[[int, ClusterConfig], NodeProtocol]


def missing_methods(node: object) -> list[str]:
    """The protocol methods `node` lacks (empty if it follows the protocol)."""
    return [name for name in REQUIRED_METHODS if not callable(getattr(node, name, None))]
