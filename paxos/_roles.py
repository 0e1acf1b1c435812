"""The three Paxos roles as handler mixins: each reads its own state and returns messages to send.

A role never sends, sleeps or reads a clock: handlers return `(destination,
message)` pairs, a destination being a node id or a `NodeRole` (broadcast to
that role). Durable state is updated before the reply is returned, as a real
node would fsync before replying. `PaxosNode` (in `_node.py`) composes them.
"""

from __future__ import annotations

from typing import TypeAlias

from paxos._ballot import BOTTOM, Ballot
from paxos._config import ClusterConfig, NodeRole
from paxos._messages import Accept, Accepted, Message, Nack, Prepare, Promise, Value
from paxos._state import AcceptorDurable, LearnerVolatile, ProposerDurable, ProposerVolatile

#: Where a message goes: one node id, or every node with a role.
Dest: TypeAlias = int | NodeRole
#: What a handler returns: the messages to send.
Outputs: TypeAlias = list[tuple[Dest, Message]]


class _RoleBase:
    """State slots shared by the role mixins (declared once so the mixins compose)."""

    node_id: int
    config: ClusterConfig
    acceptor: AcceptorDurable
    proposer: ProposerDurable
    proposer_volatile: ProposerVolatile
    learner: LearnerVolatile


class AcceptorRole(_RoleBase):
    """Phase 1b and 2b: promise higher ballots, accept at or above the promise, Nack the rest."""

    def on_prepare(self, msg: Prepare) -> Outputs:
        state = self.acceptor
        if msg.bal > state.promised:
            self.acceptor = AcceptorDurable(msg.bal, state.accepted_bal, state.accepted_val)
            return [(msg.src, Promise(self.node_id, msg.bal, state.accepted_bal, state.accepted_val))]
        if msg.bal < state.promised:
            return [(msg.src, Nack(self.node_id, msg.bal, state.promised))]
        return []  # the same ballot again: the promise was already sent

    def on_accept(self, msg: Accept) -> Outputs:
        state = self.acceptor
        if msg.bal < state.promised:
            return [(msg.src, Nack(self.node_id, msg.bal, state.promised))]
        self.acceptor = AcceptorDurable(msg.bal, msg.bal, msg.val)
        return [(NodeRole.LEARNER, Accepted(self.node_id, msg.bal, msg.val))]


class ProposerRole(_RoleBase):
    """Phase 1a and 2a: start ballots, gather promises, propose the safe value."""

    def start_ballot(self) -> Outputs:
        """Begin the next ballot above every round used or seen; the round is durable first."""
        return self.start_round(self.next_round())

    def start_round(self, round_: int) -> Outputs:
        """Begin ballot `round_`@self: persist the round, forget older promises, send Prepare.

        The caller picks a round above every one used (`start_ballot` does; the
        seed API checks the user's proposal number).
        """
        durable, volatile = self.proposer, self.proposer_volatile
        self.proposer = ProposerDurable(round_, durable.value)
        self.proposer_volatile = ProposerVolatile(self.make_ballot(round_), 1, frozenset(), volatile.seen_round)
        return [(NodeRole.ACCEPTOR, Prepare(self.node_id, self.proposer_volatile.bal))]

    def next_round(self) -> int:
        return max(self.proposer.last_round, self.proposer_volatile.seen_round) + 1

    def make_ballot(self, round_: int) -> Ballot:
        return Ballot(round_, self.node_id)

    def on_promise(self, msg: Promise) -> Outputs:
        volatile = self.proposer_volatile
        if volatile.phase != 1 or msg.bal != volatile.bal:
            return []
        promises = volatile.promises | {msg}
        self.proposer_volatile = ProposerVolatile(volatile.bal, 1, promises, volatile.seen_round)
        if not self.phase1_complete(promises):
            return []
        value = self.choose_value(promises)
        # Phase 2 needs the promises no more; forgetting them keeps the state small.
        self.proposer_volatile = ProposerVolatile(volatile.bal, 2, frozenset(), volatile.seen_round)
        return [(NodeRole.ACCEPTOR, Accept(self.node_id, volatile.bal, value))]

    def phase1_complete(self, promises: frozenset[Promise]) -> bool:
        """A phase-1 quorum of distinct acceptors has promised (a duplicate counts once)."""
        return self.config.quorums.is_phase1_quorum({p.src for p in promises})

    def choose_value(self, promises: frozenset[Promise]) -> Value:
        """The value accepted at the highest ballot among the promises, else our own."""
        best = max(promises, key=lambda p: p.max_vbal)
        return best.max_val if best.max_vbal != BOTTOM else self.proposer.value

    def on_nack(self, msg: Nack) -> Outputs:
        volatile = self.proposer_volatile
        if msg.bal != volatile.bal or msg.promised.round <= volatile.seen_round:
            return []
        # Give up this ballot; the next timeout starts above what the acceptor promised.
        self.proposer_volatile = ProposerVolatile(volatile.bal, 0, frozenset(), msg.promised.round)
        return []


class LearnerRole(_RoleBase):
    """Learn a value once a phase-2 quorum of distinct acceptors accepted it at one ballot."""

    def on_accepted(self, msg: Accepted) -> Outputs:
        state = self.learner
        if state.learned is not None or msg in state.accepted:
            return []  # single decree: once learned, nothing more to count
        accepted = state.accepted | {msg}
        learned = state.learned
        if learned is None:
            voters = {m.src for m in accepted if m.bal == msg.bal and m.val == msg.val}
            if self.config.quorums.is_phase2_quorum(voters):
                learned, accepted = msg.val, frozenset()
        self.learner = LearnerVolatile(accepted, learned)
        return []
