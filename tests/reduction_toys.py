"""Nodes built to break an unsound version of a reduction (checker/models/reductions.py).

`broadcasting_learner`: a PaxosNode whose learner, on learning, forwards the deciding Accepted to
every learner (decision gossip). A learner that sends messages influences other nodes, so
"learners apart" must not be applied to it; `LearnerReach` raises `LearnersNotApart`.

`nack_as_promise`: a PaxosNode whose proposer takes a Nack of its current ballot for a quorum of
promises and sends its Accept at once. Its bug shows only after a Nack is delivered (the acceptor's
Nack-sending delivery is one saturation absorbs: its snapshot stays, it sends only a Nack).

Module-level factories, so `--impl tests.reduction_toys:NAME` works.
"""

from __future__ import annotations

from paxos import Accept, Accepted, ClusterConfig, Nack, NodeRole, Outputs, PaxosNode, ProposerVolatile


class BroadcastingLearner(PaxosNode):
    """A learner that, on learning a value, forwards the Accepted that decided it to every learner."""

    def on_accepted(self, msg: Accepted) -> Outputs:
        before = self.learner.learned
        out = list(super().on_accepted(msg))
        if before is None and self.learner.learned is not None:
            out.append((NodeRole.LEARNER, msg))
        return out


def broadcasting_learner(node_id: int, config: ClusterConfig) -> PaxosNode:
    return BroadcastingLearner(node_id, config=config)


class NackAsPromise(PaxosNode):
    """A proposer that answers a Nack of its ballot in phase 1 with its Accept, as if a quorum had promised."""

    def on_nack(self, msg: Nack) -> Outputs:
        volatile = self.proposer_volatile
        if volatile.phase != 1 or msg.bal != volatile.bal:
            return list(super().on_nack(msg))
        self.proposer_volatile = ProposerVolatile(volatile.bal, 2, frozenset(), volatile.seen_round)
        return [(NodeRole.ACCEPTOR, Accept(self.node_id, volatile.bal, self.proposer.value))]


def nack_as_promise(node_id: int, config: ClusterConfig) -> PaxosNode:
    return NackAsPromise(node_id, config=config)
