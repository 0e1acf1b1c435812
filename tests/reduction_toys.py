"""Nodes built to break an unsound version of a reduction (checker/models/reductions.py).

`broadcasting_learner`: a PaxosNode whose learner, on learning, forwards the deciding Accepted to
every learner (decision gossip). A learner that sends messages influences other nodes, so
"learners apart" must not be applied to it; `LearnerReach` raises `LearnersNotApart`.

`nack_as_promise`: a PaxosNode whose proposer takes a Nack of its current ballot for a quorum of
promises and sends its Accept at once. Its bug shows only after a Nack is delivered (the acceptor's
Nack-sending delivery is one saturation absorbs: its snapshot stays, it sends only a Nack).

`first_value_wins`: a PaxosNode whose proposer keeps the value of the first Promise that carries one
and forgets the values of later ones, so the value it proposes depends on the order in which the
Promises arrived (a bug: not always the highest ballot's value). Its first Promises are quiet steps
(a delivery that sends nothing), so quiet blocks (reductions.py, 6) must try every order of them.

`nack_forgets_promises`: a PaxosNode whose proposer, on a Nack of its ballot in phase 1, forgets the
Promises it collected and keeps collecting: its quiet steps go back to an earlier snapshot (a Promise
adds one, the Nack takes it away), a cycle quiet blocks must close. Harmless: Promises stay deliverable.

`crash_keeps_ballot`: a PaxosNode whose proposer keeps its ballot and phase through a crash (it forgets the
Promises collected): after a quiet Promise, its crash (a quiet step with prompt restarts) goes back to the
snapshot the block started in with one crash more spent, a state of its own: a block's search must key
what it has seen by snapshot and crashes spent, not by snapshot alone.

`two_step_accept`: a PaxosNode whose acceptor records an Accept above its promise silently and raises
its promise (and sends Accepted) only when the Accept is delivered again: a silent step of a node the
properties read, which breaks inv_accepted_le_promised in the state between. Quiet blocks applied to
acceptors would skip that state.

Module-level factories, so `--impl tests.reduction_toys:NAME` works.
"""

from __future__ import annotations

from paxos import (
    BOTTOM,
    Accept,
    Accepted,
    AcceptorDurable,
    ClusterConfig,
    Nack,
    NodeRole,
    Outputs,
    PaxosNode,
    Promise,
    ProposerVolatile,
)


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


class FirstValueWins(PaxosNode):
    """A proposer whose chosen value is that of the first Promise carrying one: later values are forgotten."""

    def on_promise(self, msg: Promise) -> Outputs:
        volatile = self.proposer_volatile
        if (volatile.phase == 1 and msg.bal == volatile.bal and msg.max_vbal != BOTTOM
                and any(p.max_vbal != BOTTOM for p in volatile.promises)):
            msg = Promise(msg.src, msg.bal, BOTTOM, None)  # arrival order decides the value
        return list(super().on_promise(msg))


def first_value_wins(node_id: int, config: ClusterConfig) -> PaxosNode:
    return FirstValueWins(node_id, config=config)


class NackForgetsPromises(PaxosNode):
    """A proposer that, on a Nack of its ballot in phase 1, forgets the Promises collected and keeps collecting."""

    def on_nack(self, msg: Nack) -> Outputs:
        volatile = self.proposer_volatile
        if volatile.phase == 1 and msg.bal == volatile.bal:
            self.proposer_volatile = ProposerVolatile(volatile.bal, 1, frozenset(), volatile.seen_round)
            return []
        return list(super().on_nack(msg))


def nack_forgets_promises(node_id: int, config: ClusterConfig) -> PaxosNode:
    return NackForgetsPromises(node_id, config=config)


class CrashKeepsBallot(PaxosNode):
    """A proposer whose crash keeps its ballot and phase and forgets only the Promises it collected."""

    def crash(self) -> None:
        volatile = self.proposer_volatile
        super().crash()
        self.proposer_volatile = ProposerVolatile(volatile.bal, volatile.phase, frozenset(), volatile.seen_round)


def crash_keeps_ballot(node_id: int, config: ClusterConfig) -> PaxosNode:
    return CrashKeepsBallot(node_id, config=config)


class TwoStepAccept(PaxosNode):
    """An acceptor that takes an Accept above its promise in two deliveries: the first records the vote and
    sends nothing (its promise still below: inv_accepted_le_promised is broken in between), the second
    raises the promise and sends the Accepted. Its first step is silent but changes a node properties
    read: quiet blocks must not be applied to an acceptor."""

    def on_accept(self, msg: Accept) -> Outputs:
        state = self.acceptor
        if msg.bal > state.promised and state.accepted_bal != msg.bal:
            self.acceptor = AcceptorDurable(state.promised, msg.bal, msg.val)
            return []
        if msg.bal > state.promised and state.accepted_bal == msg.bal:
            self.acceptor = AcceptorDurable(msg.bal, msg.bal, msg.val)
            return [(NodeRole.LEARNER, Accepted(self.node_id, msg.bal, msg.val))]
        return list(super().on_accept(msg))


def two_step_accept(node_id: int, config: ClusterConfig) -> PaxosNode:
    return TwoStepAccept(node_id, config=config)
