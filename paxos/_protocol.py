"""The node protocol: what any implementation must offer to be driven by the cluster and the checker.

`--impl MODULE:FACTORY` names a factory `(node_id, ClusterConfig) -> node`
whose nodes follow `NodeProtocol`. Only typing lives here.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Protocol, runtime_checkable

from paxos._config import ClusterConfig
from paxos._messages import Message, Value
from paxos._roles import Outputs
from paxos._state import AcceptorDurable

#: The methods the checker calls; `validate_node` checks a node has them.
REQUIRED_METHODS: tuple[str, ...] = (
    "propose", "on_message", "on_timeout", "snapshot", "restore", "crash", "learned", "acceptor_state",
)


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


NodeFactory = Callable[[int, ClusterConfig], NodeProtocol]


def missing_methods(node: object) -> list[str]:
    """The protocol methods `node` lacks (empty if it follows the protocol)."""
    return [name for name in REQUIRED_METHODS if not callable(getattr(node, name, None))]
