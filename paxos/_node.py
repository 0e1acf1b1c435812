"""`PaxosNode`: proposer, acceptor and learner roles composed into one sans-I/O node.

Implements the node protocol the checker drives (DESIGN.md): `propose`,
`on_message`, `on_timeout` return messages to send; `snapshot()`/`restore()`
round-trip the whole state; `crash()` keeps only durable state. It never
sends, sleeps, logs or reads a clock. The seed's API is layered on top in
`_seed.py`.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import cast

from paxos._config import ClusterConfig, NodeRole, NodeState
from paxos._errors import ConfigurationError, ProtocolError
from paxos._messages import Accept, Accepted, Message, Nack, Prepare, Promise, Value
from paxos._messages import check_value as check_value  # re-exported (paxos.check_value)
from paxos._rename import rename_node_ids
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
HANDLERS: dict[type, tuple[NodeRole, str]] = {
    Prepare: (NodeRole.ACCEPTOR, AcceptorRole.on_prepare.__name__),
    Accept: (NodeRole.ACCEPTOR, AcceptorRole.on_accept.__name__),
    Promise: (NodeRole.PROPOSER, ProposerRole.on_promise.__name__),
    Nack: (NodeRole.PROPOSER, ProposerRole.on_nack.__name__),
    Accepted: (NodeRole.LEARNER, LearnerRole.on_accepted.__name__),
}


class PaxosNode(ProposerRole, AcceptorRole, LearnerRole, SeedAPI):
    """A single-decree Paxos node with any combination of roles.

    Core use: `PaxosNode(node_id, config=ClusterConfig...)`, roles taken from
    the config. Seed use: `PaxosNode(node_id=i, role=NodeRole.ACCEPTOR,
    logger=logger, node_count=n)`: a node of a co-located cluster of n nodes
    (every seed node can propose, accept and learn, as the seed's example
    requires; `role` is kept as the node's declared primary role).
    Pass either `config` or `node_count`, not both. `roles` narrows the
    node's roles to a subset of what the config gives it.
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
                raise ConfigurationError(
                    "PaxosNode needs config=ClusterConfig(...) (core) or node_count=N (seed API)"
                )
            config = ClusterConfig.colocated(node_count)
        elif node_count is not None:
            raise ConfigurationError(
                "PaxosNode got both config= and node_count=; pass config= for the core API "
                "or node_count= for the seed API, not both"
            )
        if not isinstance(config, ClusterConfig):
            raise ConfigurationError(f"config must be a ClusterConfig, got {config!r}")
        if isinstance(node_id, bool) or not isinstance(node_id, int) or node_id not in config.node_ids:
            raise ConfigurationError(
                f"node id {node_id!r} is outside the cluster; valid ids are {list(config.node_ids)}"
            )
        own = config.roles_of(node_id)
        if roles is None:
            roles = own
        elif not roles or not all(isinstance(r, NodeRole) for r in roles) or not set(roles) <= own:
            raise ConfigurationError(
                f"roles {roles!r} for node {node_id} must be a non-empty subset of its configured roles "
                f"{sorted(r.value for r in own)}"
            )
        if role is not None and not isinstance(role, NodeRole):
            raise ConfigurationError(f"role must be a NodeRole (e.g. NodeRole.ACCEPTOR), got {role!r}")
        if role is not None and role not in roles:
            raise ConfigurationError(
                f"node {node_id} has roles {sorted(r.value for r in roles)}, not {role.value}; "
                "omit role= or give one of its roles"
            )
        if logger is not None and not callable(getattr(logger, "log", None)):
            raise ConfigurationError(f"logger must be a PaxosLogger (something with log(...)), got {logger!r}")
        self.node_id = node_id
        self.config = config
        self.roles: frozenset[NodeRole] = frozenset(roles)
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
        entry = HANDLERS.get(type(msg))
        if entry is None:
            raise ProtocolError(
                f"cannot handle {msg!r}: messages must be one of {', '.join(sorted(t.__name__ for t in HANDLERS))}"
            )
        role, handler = entry
        if role not in self.roles:
            return []
        # By name, so that a subclass overriding a handler (e.g. paxos.bugs) is honoured.
        result: Outputs = getattr(self, handler)(msg)
        return result

    def snapshot(self) -> NodeSnapshot:
        """The whole node state (roles and config are fixed, so not part of it)."""
        return NodeSnapshot(self.acceptor, self.proposer, self.proposer_volatile, self.learner)

    def restore(self, snapshot: Hashable) -> None:
        """Become exactly the node `snapshot` was taken from."""
        if not isinstance(snapshot, NodeSnapshot):
            raise ProtocolError(f"restore() needs a NodeSnapshot from snapshot(), got {type(snapshot).__name__}")
        self.acceptor, self.proposer, self.proposer_volatile, self.learner = snapshot

    def rename_snapshot(self, snapshot: Hashable, mapping: Mapping[int, int]) -> NodeSnapshot:
        """`snapshot` with node ids renamed by `mapping` (the optional method of the node protocol
        that `--symmetry` uses): ids appear only as the `src` of the messages a node keeps."""
        if not isinstance(snapshot, NodeSnapshot):
            raise ProtocolError(
                f"rename_snapshot() needs a NodeSnapshot from snapshot(), got {type(snapshot).__name__}")
        return cast(NodeSnapshot, rename_node_ids(snapshot, mapping))

    def crash(self) -> None:
        """Lose everything volatile; keep what was persisted."""
        durable = NodeSnapshot(self.durable_acceptor(), self.durable_proposer(), ProposerVolatile(), LearnerVolatile())
        self.restore(durable)

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
