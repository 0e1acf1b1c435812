"""`PaxosNode`: proposer, acceptor and learner roles composed into one sans-I/O node.

Implements the node protocol the checker drives (DESIGN.md): `propose`,
`on_message`, `on_timeout` return messages to send; `snapshot()`/`restore()`
round-trip the whole state; `crash()` keeps only durable state. It never
sends, sleeps, logs or reads a clock. The seed's API is layered on top in
`_seed.py`.
"""

from __future__ import annotations

from typing import Callable, Hashable

from paxos._config import ALL_ROLES, ClusterConfig, NodeRole, NodeState
from paxos._errors import ConfigurationError, ProtocolError
from paxos._messages import Accept, Accepted, Message, Nack, Prepare, Promise, Value
from paxos._roles import AcceptorRole, LearnerRole, Outputs, ProposerRole
from paxos._seed import SeedAPI
from paxos._state import (
    INITIAL_SNAPSHOT,
    AcceptorDurable,
    LearnerVolatile,
    NodeSnapshot,
    ProposerDurable,
    ProposerVolatile,
)

#: Which role handles which message: the dispatch table of `on_message`.
HANDLERS: dict[type, tuple[NodeRole, Callable[..., Outputs]]] = {
    Prepare: (NodeRole.ACCEPTOR, AcceptorRole.on_prepare),
    Accept: (NodeRole.ACCEPTOR, AcceptorRole.on_accept),
    Promise: (NodeRole.PROPOSER, ProposerRole.on_promise),
    Nack: (NodeRole.PROPOSER, ProposerRole.on_nack),
    Accepted: (NodeRole.LEARNER, LearnerRole.on_accepted),
}


def check_value(value: object) -> None:
    """Refuse values a proposal cannot carry: None (it means "no value") and unhashable ones."""
    if value is None:
        raise ConfigurationError("None cannot be proposed: it means 'no value'; propose any other hashable value")
    try:
        hash(value)
    except TypeError:
        raise ConfigurationError(
            f"proposed value {value!r} is not hashable; use an immutable value (str, int, tuple, frozenset)"
        ) from None


class PaxosNode(ProposerRole, AcceptorRole, LearnerRole, SeedAPI):
    """A single-decree Paxos node with any combination of roles.

    Core use: `PaxosNode(node_id, config=ClusterConfig...)`, roles taken from
    the config. Seed use: `PaxosNode(node_id=i, role=NodeRole.ACCEPTOR,
    logger=logger, node_count=n)`: a node of a co-located cluster of n nodes
    (every seed node can propose, accept and learn, as the seed's example
    requires; `role` is kept as the node's declared primary role).
    """

    def __init__(
        self,
        node_id: int,
        role: NodeRole | None = None,
        logger: object | None = None,
        node_count: int | None = None,
        *,
        config: ClusterConfig | None = None,
        roles: frozenset[NodeRole] | None = None,
    ) -> None:
        if config is None:
            if node_count is None:
                raise ConfigurationError("PaxosNode needs config=ClusterConfig(...) or node_count=N")
            config = ClusterConfig.colocated(node_count)
        if node_id not in config.node_ids:
            raise ConfigurationError(
                f"node id {node_id!r} is outside the cluster; valid ids are {list(config.node_ids)}"
            )
        self.node_id = node_id
        self.config = config
        self.roles = roles if roles is not None else (ALL_ROLES if node_count is not None else config.roles_of(node_id))
        self.role = role if role is not None else min(self.roles, key=lambda r: list(NodeRole).index(r))
        self.logger = logger
        self.state = NodeState.ACTIVE
        self.restore(INITIAL_SNAPSHOT)
        self._seed_init()

    # -- node protocol -------------------------------------------------------------------------

    def propose(self, value: Value) -> Outputs:
        """A client asks this proposer to get `value` chosen: record it (durably) and start a ballot."""
        if NodeRole.PROPOSER not in self.roles:
            raise ProtocolError(
                f"node {self.node_id} has roles {sorted(r.value for r in self.roles)} and cannot propose; "
                "propose from a node with the proposer role"
            )
        check_value(value)
        self.proposer = ProposerDurable(self.proposer.last_round, value)
        return self.start_ballot()

    def on_timeout(self) -> Outputs:
        """Give up on the current ballot and start a higher one (if this proposer has a value)."""
        if NodeRole.PROPOSER not in self.roles or self.proposer.value is None:
            return []
        return self.start_ballot()

    def on_message(self, msg: Message) -> Outputs:
        """Handle one message; messages for a role this node lacks are ignored."""
        role, handler = HANDLERS[type(msg)]
        if role not in self.roles:
            return []
        return handler(self, msg)

    def snapshot(self) -> NodeSnapshot:
        return NodeSnapshot(self.acceptor, self.proposer, self.proposer_volatile, self.learner)

    def restore(self, snapshot: Hashable) -> None:
        assert isinstance(snapshot, NodeSnapshot)
        self.acceptor, self.proposer, self.proposer_volatile, self.learner = snapshot

    def crash(self) -> None:
        """Lose everything volatile; keep what was persisted."""
        self.restore(NodeSnapshot(self.durable_acceptor(), self.durable_proposer(), ProposerVolatile(), LearnerVolatile()))

    def durable_acceptor(self) -> AcceptorDurable:
        """What of the acceptor state survives a crash (all of it, in a correct node)."""
        return self.acceptor

    def durable_proposer(self) -> ProposerDurable:
        """What of the proposer state survives a crash (all of it, in a correct node)."""
        return self.proposer

    # -- observation, for properties -------------------------------------------------------------

    def learned(self) -> Value:
        """The value this learner has learned, or None."""
        return self.learner.learned

    def acceptor_state(self) -> AcceptorDurable | None:
        """The acceptor's (promised, accepted ballot, accepted value), or None for a non-acceptor."""
        return self.acceptor if NodeRole.ACCEPTOR in self.roles else None

    def __repr__(self) -> str:
        roles = "".join(r.value[0].upper() for r in sorted(self.roles, key=lambda r: r.value))
        a = self.acceptor
        return (f"<PaxosNode {self.node_id} [{roles}] promised={a.promised} accepted={a.accepted_bal}:"
                f"{a.accepted_val!r} learned={self.learner.learned!r}>")


def paxos_node_factory(node_id: int, config: ClusterConfig) -> PaxosNode:
    """The `--impl` factory of our own node: `paxos:PaxosNode` resolves here."""
    return PaxosNode(node_id, config=config)
