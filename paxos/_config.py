"""Who is who in a cluster: node ids, their roles, and the quorum system.

`ClusterConfig` is plain frozen data shared by nodes, the in-process
cluster and the checker. It validates itself at construction; it knows
nothing about messages or state.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from paxos._errors import ConfigurationError
from paxos._quorum import MajorityQuorums, QuorumSystem


class NodeRole(enum.Enum):
    """A Paxos role. Also used as a destination meaning "every node with this role"."""

    PROPOSER = "proposer"
    ACCEPTOR = "acceptor"
    LEARNER = "learner"


class NodeState(enum.Enum):
    """Whether a node is running. A failed node receives nothing until it recovers."""

    ACTIVE = "active"
    FAILED = "failed"


ALL_ROLES = frozenset(NodeRole)


def _ids(name: str, ids: object) -> tuple[int, ...]:
    if isinstance(ids, (str, bytes)) or not hasattr(ids, "__iter__"):
        raise ConfigurationError(f"{name} ids must be a list or tuple of positive integers, got {ids!r}")
    ids = tuple(ids)
    for i in ids:
        if isinstance(i, bool) or not isinstance(i, int) or i <= 0:
            raise ConfigurationError(f"{name} ids must be positive integers, got {i!r}")
    if len(set(ids)) != len(ids):
        raise ConfigurationError(f"{name} ids must be distinct, got {list(ids)}")
    return ids


@dataclass(frozen=True)
class ClusterConfig:
    """Node ids per role and the quorum system over the acceptors.

    A node may appear under several roles (co-located). Build one with
    `ClusterConfig.separate(...)` or `ClusterConfig.colocated(n)`.
    """

    proposers: tuple[int, ...]
    acceptors: tuple[int, ...]
    learners: tuple[int, ...]
    quorums: QuorumSystem = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        # Lists are accepted and stored as tuples, so the config stays hashable.
        object.__setattr__(self, "proposers", _ids("proposer", self.proposers))
        object.__setattr__(self, "acceptors", _ids("acceptor", self.acceptors))
        object.__setattr__(self, "learners", _ids("learner", self.learners))
        if not self.acceptors:
            raise ConfigurationError("a cluster needs at least one acceptor; list at least one acceptor id")
        if not self.proposers:
            raise ConfigurationError("a cluster needs at least one proposer; list at least one proposer id")
        if self.quorums is not None and not isinstance(self.quorums, QuorumSystem):
            raise ConfigurationError(
                f"quorums must be a QuorumSystem (e.g. MajorityQuorums(acceptors)), got {self.quorums!r}"
            )
        if self.quorums is None:
            object.__setattr__(self, "quorums", MajorityQuorums(self.acceptors))
        elif set(self.quorums.members) != set(self.acceptors):
            raise ConfigurationError(
                f"the quorum system is over acceptors {list(self.quorums.members)} but the cluster's "
                f"acceptors are {list(self.acceptors)}; build the quorums over the same ids"
            )

    @staticmethod
    def separate(
        acceptors: int = 3, proposers: int = 1, learners: int = 1, quorums: QuorumSystem | None = None
    ) -> ClusterConfig:
        """Distinct nodes per role: proposers 1..P, then acceptors, then learners."""
        for name, count, least in (("acceptors", acceptors, 1), ("proposers", proposers, 1), ("learners", learners, 0)):
            if isinstance(count, bool) or not isinstance(count, int) or count < least:
                raise ConfigurationError(f"{name} must be an integer >= {least}, got {count!r}; pass a count such as 3")
        p = tuple(range(1, proposers + 1))
        a = tuple(range(proposers + 1, proposers + acceptors + 1))
        lrn = tuple(range(proposers + acceptors + 1, proposers + acceptors + learners + 1))
        if quorums is not None and tuple(quorums.members) != a:
            raise ConfigurationError(
                f"separate() numbers acceptors {list(a)}; build the quorum system over those ids"
            )
        return ClusterConfig(p, a, lrn, quorums if quorums is not None else MajorityQuorums(a))

    @staticmethod
    def colocated(nodes: int, quorums: QuorumSystem | None = None) -> ClusterConfig:
        """`nodes` nodes numbered 1..n, each a proposer, acceptor and learner."""
        if isinstance(nodes, bool) or not isinstance(nodes, int) or nodes <= 0:
            raise ConfigurationError(
                f"node count must be a positive integer, got {nodes!r}; a cluster needs at least one node"
            )
        ids = tuple(range(1, nodes + 1))
        return ClusterConfig(ids, ids, ids, quorums if quorums is not None else MajorityQuorums(ids))

    @property
    def node_ids(self) -> tuple[int, ...]:
        """Every node id, sorted."""
        return tuple(sorted(set(self.proposers) | set(self.acceptors) | set(self.learners)))

    def roles_of(self, node_id: int) -> frozenset[NodeRole]:
        """The roles of `node_id`; ConfigurationError if it is not in the cluster."""
        roles = set()
        if node_id in self.proposers:
            roles.add(NodeRole.PROPOSER)
        if node_id in self.acceptors:
            roles.add(NodeRole.ACCEPTOR)
        if node_id in self.learners:
            roles.add(NodeRole.LEARNER)
        if not roles:
            raise ConfigurationError(
                f"node id {node_id} is not in the cluster; valid ids are {list(self.node_ids)}"
            )
        return frozenset(roles)

    def members_of(self, role: NodeRole) -> tuple[int, ...]:
        """The ids of the nodes with `role`."""
        return {NodeRole.PROPOSER: self.proposers, NodeRole.ACCEPTOR: self.acceptors,
                NodeRole.LEARNER: self.learners}[role]

    def describe(self) -> dict[str, object]:
        """JSON-friendly description."""
        return {
            "proposers": list(self.proposers),
            "acceptors": list(self.acceptors),
            "learners": list(self.learners),
            "quorums": self.quorums.describe(),
        }
