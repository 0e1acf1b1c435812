"""A catalog of classic Paxos bugs, each a `PaxosNode` subclass that breaks exactly one rule.

Each bug overrides the one hook it breaks and has a module-level factory of
the same name, so `paxos-check ... --impl paxos.bugs:NAME` checks it. `CATALOG`
says, per bug, the smallest run configuration that exposes it (a plain dict of
`checker.config.CheckConfig` fields: this package must not import checker/).
These nodes are for demonstrating the checker; never use them for anything else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from paxos._ballot import BOTTOM, Ballot
from paxos._config import ClusterConfig, NodeRole
from paxos._messages import Accept, Accepted, Prepare, Promise, Value
from paxos._node import PaxosNode
from paxos._roles import Outputs
from paxos._state import AcceptorDurable, LearnerVolatile, ProposerDurable, ProposerVolatile


class BugNode(PaxosNode):
    """Base of the catalog: a `PaxosNode` that overrides one hook (`PaxosNode.on_message`
    dispatches handlers by name, so an overridden `on_prepare`/`on_accept`/... is honoured)."""


# -- the acceptor ------------------------------------------------------------------------------------


class OverwriteAccept(BugNode):
    """Faulty rule: on Accept, the acceptor neither checks nor raises its promise, and keeps the
    last proposal received rather than the highest (accepts any Accept, overwriting).

    Exposed by reordering: an Accept of a lower ballot that arrives after a higher one (or after a
    higher promise) is still accepted, so a value can be chosen below a ballot that already chose
    another one. No crash or loss is needed.
    """

    def on_accept(self, msg: Accept) -> Outputs:
        self.acceptor = AcceptorDurable(self.acceptor.promised, msg.bal, msg.val)
        return [(NodeRole.LEARNER, Accepted(self.node_id, msg.bal, msg.val))]


class PromiseDropsValue(BugNode):
    """Faulty rule: the acceptor's Promise does not report what it accepted (always `max_vbal` = bottom).

    Exposed by a second proposer starting a higher ballot after a value was chosen: it hears of no
    accepted value and proposes its own. No fault beyond concurrency is needed.
    """

    def on_prepare(self, msg: Prepare) -> Outputs:
        out = super().on_prepare(msg)
        return [(dst, Promise(m.src, m.bal, BOTTOM, None)) if isinstance(m, Promise) else (dst, m) for dst, m in out]


class VolatileAcceptor(BugNode):
    """Faulty rule: the acceptor does not persist its promise and accepted proposal; a restart forgets them.

    Exposed by one crash of an acceptor: its promise goes down at once (`promise_monotonic`), and a
    later ballot can get a different value chosen by a quorum that includes the amnesiac acceptor.
    """

    def durable_acceptor(self) -> AcceptorDurable:
        return AcceptorDurable()


class RepromisingNode(BugNode):
    """A correct variant (not a bug): the acceptor answers a repeated Prepare of the ballot it has
    promised with the Promise again, as retransmission-friendly implementations do.

    Safe while ballots are unique per proposer; it is the base of `NoTiebreak`, whose bug it exposes.
    (Our `PaxosNode` stays silent on a repeated Prepare, which happens to mask a missing tiebreak.)
    """

    def on_prepare(self, msg: Prepare) -> Outputs:
        state = self.acceptor
        if msg.bal == state.promised:
            return [(msg.src, Promise(self.node_id, msg.bal, state.accepted_bal, state.accepted_val))]
        return super().on_prepare(msg)


# -- the proposer ------------------------------------------------------------------------------------


class OwnValue(BugNode):
    """Faulty rule: the proposer proposes its own value whatever the promises report.

    Exposed by two proposers in sequence: the second one's promises report the value chosen by the
    first, and it overrides it. No fault needed.
    """

    def choose_value(self, promises: frozenset[Promise]) -> Value:
        return self.proposer.value


class HighestPromisedValue(BugNode):
    """Faulty rule: the proposer takes the value of the promise with the highest *promised* ballot
    (`bal`, which is the same for every promise of one phase 1, so the first promise with a value,
    in acceptor order, wins) instead of the highest *accepted* ballot (`max_vbal`).

    Exposed when a quorum of promises reports two different accepted values: the lowest-numbered
    acceptor holds an old, unchosen one and another reports the chosen one. Needs a third ballot.
    """

    def choose_value(self, promises: frozenset[Promise]) -> Value:
        with_value = [p for p in promises if p.max_vbal != BOTTOM]
        if not with_value:
            return self.proposer.value
        # Highest promised ballot first; on the (usual) tie, the lowest acceptor id: deterministic.
        return min(with_value, key=lambda p: (-p.bal.round, -p.bal.node_id, p.src)).max_val


class StalePromises(BugNode):
    """Faulty rule: the proposer counts promises for an earlier ballot of its own toward its current one.

    Exposed by a timeout (a second ballot of the same proposer) while promises of the first are still
    in flight: such a promise says nothing of what the acceptor accepted since, so the proposer can
    miss a value chosen in between and propose its own.
    """

    def on_promise(self, msg: Promise) -> Outputs:
        volatile = self.proposer_volatile
        if volatile.phase == 1 and msg.bal.node_id == volatile.bal.node_id and msg.bal < volatile.bal:
            msg = Promise(msg.src, volatile.bal, msg.max_vbal, msg.max_val)  # treated as if it were current
        return super().on_promise(msg)


class DuplicatePromises(BugNode):
    """Faulty rule: the proposer counts promise *messages* with a counter, not distinct acceptors,
    so a duplicated Promise counts twice toward the phase-1 quorum.

    Exposed by message duplication (the set network's redelivery, or the bag network with
    `--duplicates 1`): one acceptor's Promise delivered twice stands for a quorum of three.
    """

    def on_promise(self, msg: Promise) -> Outputs:
        volatile = self.proposer_volatile
        if volatile.phase != 1 or msg.bal != volatile.bal:
            return []
        count = (volatile.count if isinstance(volatile, CountedProposerVolatile) else 0) + 1
        promises = volatile.promises | {msg}
        if count < _smallest_phase1_quorum(self.config):
            self.proposer_volatile = CountedProposerVolatile(volatile.bal, 1, promises, volatile.seen_round, count)
            return []
        self.proposer_volatile = ProposerVolatile(volatile.bal, 2, promises, volatile.seen_round)
        return [(NodeRole.ACCEPTOR, Accept(self.node_id, volatile.bal, self.choose_value(promises)))]


@dataclass(frozen=True, slots=True)
class CountedProposerVolatile(ProposerVolatile):
    """`ProposerVolatile` plus the number of Promise messages received in phase 1 (for `DuplicatePromises`)."""

    count: int = 0


def _smallest_phase1_quorum(config: ClusterConfig) -> int:
    return min(len(q) for q in config.quorums.phase1_quorums())


class MinorityQuorum(BugNode):
    """Faulty rule: the proposer's phase-1 majority is computed as `n // 2` acceptors instead of `n // 2 + 1`.

    Exposed with 3 acceptors (1 promise is enough, which need not meet the 2 that chose a value);
    with 1 or 2 acceptors the wrong phase-1 quorum still meets every phase-2 majority. No fault needed.
    """

    def phase1_complete(self, promises: frozenset[Promise]) -> bool:
        return len({p.src for p in promises}) >= len(self.config.acceptors) // 2


class VolatileBallot(BugNode):
    """Faulty rule: the proposer's round counter is not persisted, so after a crash it reuses a ballot.

    Exposed by a proposer crash and restart: its next ballot repeats one it used, now with another
    value (the first use adopted a value from a promise, the second hears only of nothing), so one
    ballot carries two values and both can be chosen.
    """

    def durable_proposer(self) -> ProposerDurable:
        return ProposerDurable(-1, self.proposer.value)


class VolatileBallotDeep(BugNode):
    """Faulty rule: the first proposer (lowest id) keeps its round counter in memory only, so after a
    crash it counts again from round 0 (the other proposers persist theirs).

    Its round-0 ballot is the lowest of all and can only carry its own value, so reusing it is
    harmless; the harm needs a ballot where it adopted another proposer's value. It must time out
    twice after the restart to climb back to that round-1 ballot, where old promises that report no
    vote let it send a second Accept at one ballot, now with its own value: 4 ballots for it, 1 for
    the other proposer, 1 crash.
    """

    def durable_proposer(self) -> ProposerDurable:
        if self.node_id == min(self.config.proposers):
            return ProposerDurable(-1, self.proposer.value)
        return self.proposer


class NoTiebreak(RepromisingNode):
    """Faulty rule: ballots are `(round, 0)` without the proposer id as tiebreak, so two proposers
    can use the same ballot.

    Exposed by two concurrent proposers in their first round against an acceptor that re-promises a
    repeated Prepare (`RepromisingNode`, correct with unique ballots): both complete phase 1 at 0@0
    and send different values at one ballot. (Against `PaxosNode`'s silent acceptor the bug is masked.)
    """

    def make_ballot(self, round_: int) -> Ballot:
        return Ballot(round_, 0)


# -- the learner ---------------------------------------------------------------------------------------


class EagerLearner(BugNode):
    """Faulty rule: the learner learns the value of the first Accepted it receives, without a quorum.

    Exposed by any single Accepted reaching the learner when one acceptor is not a quorum; breaks
    `learner_integrity`. No fault needed.
    """

    def on_accepted(self, msg: Accepted) -> Outputs:
        state = self.learner
        learned = state.learned if state.learned is not None else msg.val
        self.learner = LearnerVolatile(state.accepted | {msg}, learned)
        return []


# -- factories (the `--impl paxos.bugs:NAME` targets) --------------------------------------------------


def overwrite_accept(node_id: int, config: ClusterConfig) -> PaxosNode:
    return OverwriteAccept(node_id, config=config)


def promise_drops_value(node_id: int, config: ClusterConfig) -> PaxosNode:
    return PromiseDropsValue(node_id, config=config)


def volatile_acceptor(node_id: int, config: ClusterConfig) -> PaxosNode:
    return VolatileAcceptor(node_id, config=config)


def repromising(node_id: int, config: ClusterConfig) -> PaxosNode:
    """Not a bug: the correct re-promising variant `no_tiebreak` is built on."""
    return RepromisingNode(node_id, config=config)


def own_value(node_id: int, config: ClusterConfig) -> PaxosNode:
    return OwnValue(node_id, config=config)


def highest_promised_value(node_id: int, config: ClusterConfig) -> PaxosNode:
    return HighestPromisedValue(node_id, config=config)


def stale_promises(node_id: int, config: ClusterConfig) -> PaxosNode:
    return StalePromises(node_id, config=config)


def duplicate_promises(node_id: int, config: ClusterConfig) -> PaxosNode:
    return DuplicatePromises(node_id, config=config)


def minority_quorum(node_id: int, config: ClusterConfig) -> PaxosNode:
    return MinorityQuorum(node_id, config=config)


def volatile_ballot(node_id: int, config: ClusterConfig) -> PaxosNode:
    return VolatileBallot(node_id, config=config)


def volatile_ballot_deep(node_id: int, config: ClusterConfig) -> PaxosNode:
    return VolatileBallotDeep(node_id, config=config)


def no_tiebreak(node_id: int, config: ClusterConfig) -> PaxosNode:
    return NoTiebreak(node_id, config=config)


def eager_learner(node_id: int, config: ClusterConfig) -> PaxosNode:
    return EagerLearner(node_id, config=config)


# -- the catalog -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BugInfo:
    """One catalogued bug.

    `config`: the smallest run configuration in which it breaks a safety property (agreement,
    an invariant, a monotonicity, learner integrity), as `CheckConfig` fields with `impl`;
    smallest meaning fewest acceptors + proposers, then fewest values, ballots and faults.
    `breaks`: the properties an exhaustive search there finds violated (refines_spec, which
    catches the first wrong step, usually first).
    `bfs_length`: steps of the BFS-shortest counterexample there, any property (measured with
    `paxos-check explore`; None where the state space is too large to exhaust quickly).
    """

    name: str
    factory: str
    description: str
    config: Mapping[str, Any]
    faults: str
    breaks: tuple[str, ...]
    bfs_length: int | None = None
    hook: str = ""
    notes: str = field(default="", compare=False)


def _bug(name: str, hook: str, description: str, faults: str, breaks: tuple[str, ...],
         bfs_length: int | None = None, notes: str = "", **config: Any) -> BugInfo:
    base: dict[str, Any] = {"acceptors": 3, "proposers": 2, "learners": 0, "values": 2, "ballots": 1,
                            "network": "set", "crashes": 0, "drops": 0, "duplicates": 0}
    base.update(config)
    base["impl"] = f"paxos.bugs:{name}"
    return BugInfo(name, base["impl"], description, MappingProxyType(base), faults, breaks, bfs_length, hook, notes)


CATALOG: dict[str, BugInfo] = {b.name: b for b in (
    _bug("overwrite_accept", "on_accept",
         "acceptor accepts any Accept, neither raising its promise nor keeping the highest proposal",
         "reordering only", ("refines_spec", "agreement", "accepted_monotonic"), bfs_length=6, acceptors=1),
    _bug("own_value", "choose_value",
         "proposer proposes its own value whatever the promises report",
         "none (two proposers in sequence)", ("refines_spec", "agreement"), bfs_length=7, acceptors=1),
    _bug("highest_promised_value", "choose_value",
         "proposer takes the value of the highest promised ballot (first promise with a value), not the "
         "highest accepted ballot", "none (three ballots: one proposer retries)", ("refines_spec", "agreement"),
         bfs_length=17, ballots=(2, 1),
         notes="BFS finds refines_spec at 17 steps (~2M states; not acceptor-symmetric: it picks among "
               "promises by acceptor); hand-written schedule: agreement at 20 (tests/test_bugs.py)"),
    _bug("stale_promises", "on_promise",
         "proposer counts promises from an earlier ballot of its own toward the current one",
         "a proposer timeout (retry) with promises still in flight", ("refines_spec", "agreement"), bfs_length=4,
         acceptors=1, ballots=2),
    _bug("volatile_ballot", "durable_proposer",
         "proposer's round counter is volatile, so after a crash it reuses a ballot",
         "one proposer crash and restart, redelivery of a promise",
         ("refines_spec", "inv_one_value_per_ballot", "agreement"), bfs_length=17, ballots=(1, 2), crashes=1,
         notes="only the proposer that crashes needs a second ballot (--ballots 1,2); BFS with --symmetry "
               "finds refines_spec at 17 steps; hand-written schedules: inv_one_value_per_ballot at 19, "
               "agreement at 21"),
    _bug("volatile_ballot_deep", "durable_proposer",
         "first proposer's round counter is volatile: after a crash it climbs back from round 0 and "
         "reuses its round-1 ballot", "one proposer crash and restart, two timeouts after it, redelivery of promises",
         ("refines_spec", "inv_one_value_per_ballot"), bfs_length=19, ballots=(4, 1), crashes=1,
         notes="round 0 of the lowest-id proposer is the lowest ballot and carries its own value only, so "
               "it needs round 1 twice: 4 ballot starts (argued in VolatileBallotDeep, not searched); BFS "
               "with --symmetry finds refines_spec at 19 steps (2.75 M states, 35 min on a loaded 2-core "
               "machine); hand-written schedule: inv_one_value_per_ballot at 21 steps (tests/test_bugs.py)"),
    _bug("no_tiebreak", "make_ballot",
         "ballots without the node-id tiebreak, so two proposers can use the same ballot",
         "none (two concurrent proposers), with an acceptor that re-promises a repeated Prepare",
         ("refines_spec", "agreement", "inv_one_value_per_ballot"), bfs_length=5, acceptors=1,
         notes="masked by PaxosNode's acceptor, which ignores a repeated Prepare; exposed on RepromisingNode"),
    _bug("volatile_acceptor", "durable_acceptor",
         "acceptor's promise and accepted value are lost on restart",
         "one acceptor crash", ("promise_monotonic", "refines_spec", "accepted_monotonic"), bfs_length=3,
         acceptors=1, proposers=1, values=1, crashes=1),
    _bug("minority_quorum", "phase1_complete",
         "proposer's phase-1 majority computed as n // 2",
         "none (two proposers); agreement needs 3 acceptors", ("refines_spec", "agreement"), bfs_length=3,
         notes="with 2 acceptors refines_spec still fails (Accept after one promise) but agreement holds"),
    _bug("duplicate_promises", "on_promise",
         "promises counted with a counter, not a set of acceptors, so a duplicate counts twice",
         "duplication: the set network's redelivery, or --network bag --duplicates 1", ("refines_spec", "agreement"),
         bfs_length=4, notes="with 2 acceptors refines_spec still fails but agreement holds"),
    _bug("promise_drops_value", "on_prepare",
         "acceptor's Promise never reports the proposal it accepted",
         "none (two proposers in sequence)", ("refines_spec", "agreement"), bfs_length=6, acceptors=1),
    _bug("eager_learner", "on_accepted",
         "learner learns the first Accepted it receives, without waiting for a quorum",
         "none", ("learner_integrity",), bfs_length=7, acceptors=2, proposers=1, learners=1, values=1),
)}
