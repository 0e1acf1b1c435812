"""Mutants of `PaxosNode`: each a subclass that changes one handler or helper by a small, plausible slip.

In the style of `paxos/bugs.py`, but for testing the checker rather than teaching Paxos: some
mutants break safety (agreement, validity, learner integrity, an invariant), some break only
refinement (a step the Spec does not allow, yet nothing unsafe follows), and some are HARMLESS
refactorings that must hold everywhere. A checker (or a state-space reduction) that reports a
harmless mutant as violated, or lets a harmful one pass where it failed before, is wrong.

`MUTANTS` maps each name to a factory `(node_id, ClusterConfig) -> node`; the same factory is a
module-level function of that name, so `paxos-check explore --impl tests.mutants:NAME` works.
`INFO` holds each mutant's hook, expectation and flags; `SELF_RETRYING` names the mutants that start
ballots on their own (outside the cluster's ballot budget: their state space is unbounded).

Every mutant is deterministic in (snapshot, input), as the implementation model's step cache needs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from paxos import (
    BOTTOM,
    Accept,
    Accepted,
    AcceptorDurable,
    ClusterConfig,
    LearnerVolatile,
    Nack,
    NodeProtocol,
    NodeRole,
    NodeSnapshot,
    Outputs,
    PaxosNode,
    Prepare,
    Promise,
    ProposerDurable,
    ProposerVolatile,
    Value,
)

Expect = Literal["safety", "refinement", "nothing"]


class Mutant(PaxosNode):
    """Base of the mutants: a `PaxosNode` that overrides one hook (handlers are dispatched by name)."""


def _smallest_quorum(config: ClusterConfig, phase: int) -> int:
    quorums = config.quorums.phase1_quorums() if phase == 1 else config.quorums.phase2_quorums()
    return min(len(q) for q in quorums)


# -- the acceptor --------------------------------------------------------------------------------------


class PrepareGe(Mutant):
    """`>` became `>=` in on_prepare: an equal ballot is promised again (a re-promise); expect refinement only."""

    def on_prepare(self, msg: Prepare) -> Outputs:
        state = self.acceptor
        if msg.bal >= state.promised:
            self.acceptor = AcceptorDurable(msg.bal, state.accepted_bal, state.accepted_val)
            return [(msg.src, Promise(self.node_id, msg.bal, state.accepted_bal, state.accepted_val))]
        return [(msg.src, Nack(self.node_id, msg.bal, state.promised))]


class RepromiseEqual(Mutant):
    """Acceptor answers a repeated Prepare of its promised ballot with the Promise again; expect refinement only."""

    def on_prepare(self, msg: Prepare) -> Outputs:
        state = self.acceptor
        if msg.bal == state.promised:
            return [(msg.src, Promise(self.node_id, msg.bal, state.accepted_bal, state.accepted_val))]
        return super().on_prepare(msg)


class RepromiseSameRound(Mutant):
    """Acceptor re-promises a Prepare of its promised *round* (not ballot) without raising it; expect safety."""

    def on_prepare(self, msg: Prepare) -> Outputs:
        state = self.acceptor
        if not state.promised.is_bottom and msg.bal.round == state.promised.round:
            return [(msg.src, Promise(self.node_id, msg.bal, state.accepted_bal, state.accepted_val))]
        return super().on_prepare(msg)


class NackEqualPrepare(Mutant):
    """Acceptor sends an extra Nack for a Prepare of the ballot it already promised; expect nothing."""

    def on_prepare(self, msg: Prepare) -> Outputs:
        if msg.bal == self.acceptor.promised:
            return [(msg.src, Nack(self.node_id, msg.bal, self.acceptor.promised))]
        return super().on_prepare(msg)


class AcceptLe(Mutant):
    """`<` became `<=` in on_accept: an Accept at exactly the promised ballot is Nacked (liveness); expect nothing."""

    def on_accept(self, msg: Accept) -> Outputs:
        state = self.acceptor
        if msg.bal <= state.promised:
            return [(msg.src, Nack(self.node_id, msg.bal, state.promised))]
        self.acceptor = AcceptorDurable(msg.bal, msg.bal, msg.val)
        return [(NodeRole.LEARNER, Accepted(self.node_id, msg.bal, msg.val))]


class AcceptChecksAcceptedBal(Mutant):
    """on_accept compares with the accepted ballot, not the promise, so it accepts below a promise; expect safety."""

    def on_accept(self, msg: Accept) -> Outputs:
        state = self.acceptor
        if msg.bal < state.accepted_bal:
            return [(msg.src, Nack(self.node_id, msg.bal, state.promised))]
        self.acceptor = AcceptorDurable(max(msg.bal, state.promised), msg.bal, msg.val)
        return [(NodeRole.LEARNER, Accepted(self.node_id, msg.bal, msg.val))]


class AcceptKeepsPromise(Mutant):
    """Acceptor accepts without raising its promise to the accepted ballot; expect safety (accepted > promised)."""

    def on_accept(self, msg: Accept) -> Outputs:
        state = self.acceptor
        if msg.bal < state.promised:
            return [(msg.src, Nack(self.node_id, msg.bal, state.promised))]
        self.acceptor = AcceptorDurable(state.promised, msg.bal, msg.val)
        return [(NodeRole.LEARNER, Accepted(self.node_id, msg.bal, msg.val))]


class PromiseNotPersisted(Mutant):
    """Acceptor sends the Promise but never records it, so it later accepts below it; expect safety."""

    def on_prepare(self, msg: Prepare) -> Outputs:
        before = self.acceptor
        out = super().on_prepare(msg)
        self.acceptor = before
        return out


class PromiseReportsPromised(Mutant):
    """Promise reports the promised ballot as `max_vbal` (wrong field), so a proposer adopts no value; expect safety."""

    def on_prepare(self, msg: Prepare) -> Outputs:
        state = self.acceptor
        out = super().on_prepare(msg)
        return [(dst, Promise(m.src, m.bal, state.promised, state.accepted_val)) if isinstance(m, Promise) else (dst, m)
                for dst, m in out]


class NackWrongPromised(Mutant):
    """Acceptor's Nack carries the rejected ballot instead of its promise (liveness only); expect nothing."""

    def on_prepare(self, msg: Prepare) -> Outputs:
        return _nack_own_ballot(super().on_prepare(msg))

    def on_accept(self, msg: Accept) -> Outputs:
        return _nack_own_ballot(super().on_accept(msg))


def _nack_own_ballot(out: Outputs) -> Outputs:
    return [(dst, Nack(m.src, m.bal, m.bal)) if isinstance(m, Nack) else (dst, m) for dst, m in out]


class CrashLosesAcceptor(Mutant):
    """crash() resets the acceptor's durable promise and accepted proposal; expect safety (promise goes down)."""

    def crash(self) -> None:
        super().crash()
        self.acceptor = AcceptorDurable()


# -- the proposer --------------------------------------------------------------------------------------


class ChooseMin(Mutant):
    """choose_value uses min instead of max over the promises' accepted ballots; expect safety."""

    def choose_value(self, promises: frozenset[Promise]) -> Value:
        best = min(promises, key=lambda p: p.max_vbal)
        return best.max_val if best.max_vbal != BOTTOM else self.proposer.value


class ChooseByAcceptorId(Mutant):
    """choose_value picks the promise of the highest acceptor id, not the highest accepted ballot; expect safety."""

    def choose_value(self, promises: frozenset[Promise]) -> Value:
        best = max(promises, key=lambda p: p.src)
        return best.max_val if best.max_vbal != BOTTOM else self.proposer.value


class Phase1OneFewer(Mutant):
    """phase1_complete accepts one acceptor fewer than the smallest phase-1 quorum; expect safety (3 acceptors)."""

    def phase1_complete(self, promises: frozenset[Promise]) -> bool:
        return len({p.src for p in promises}) + 1 >= _smallest_quorum(self.config, 1)


class StalePromisesKept(Mutant):
    """start_round keeps the promises collected for the previous ballot; expect safety (needs a retry)."""

    def start_round(self, round_: int) -> Outputs:
        old = self.proposer_volatile
        out = super().start_round(round_)
        new = self.proposer_volatile
        self.proposer_volatile = ProposerVolatile(new.bal, new.phase, old.promises, new.seen_round)
        return out


class PromiseAnyBallot(Mutant):
    """on_promise does not check the Promise's ballot, so promises for an old ballot count; expect safety."""

    def on_promise(self, msg: Promise) -> Outputs:
        volatile = self.proposer_volatile
        if volatile.phase == 1 and msg.bal != volatile.bal and msg.bal.node_id == self.node_id:
            msg = Promise(msg.src, volatile.bal, msg.max_vbal, msg.max_val)
        return super().on_promise(msg)


class NextRoundIgnoresNack(Mutant):
    """next_round ignores the round a Nack reported, so a retry can be too low (liveness only); expect nothing."""

    def next_round(self) -> int:
        return self.proposer.last_round + 1


class NackResetsBal(Mutant):
    """on_nack resets the proposer's current ballot to bottom, so later Nacks of it are ignored; expect nothing."""

    def on_nack(self, msg: Nack) -> Outputs:
        volatile = self.proposer_volatile
        out = super().on_nack(msg)
        if self.proposer_volatile != volatile:
            self.proposer_volatile = ProposerVolatile(BOTTOM, 0, frozenset(), self.proposer_volatile.seen_round)
        return out


class NackResetsRound(Mutant):
    """on_nack resets the durable round, so a crashed proposer reuses a ballot; expect safety, beyond small bounds."""

    def on_nack(self, msg: Nack) -> Outputs:
        volatile = self.proposer_volatile
        out = super().on_nack(msg)
        if self.proposer_volatile != volatile:
            self.proposer = ProposerDurable(-1, self.proposer.value)
        return out


class SelfRetryOnNack(Mutant):
    """on_nack starts the next ballot at once, outside the ballot budget (unbounded); expect nothing."""

    def on_nack(self, msg: Nack) -> Outputs:
        volatile = self.proposer_volatile
        super().on_nack(msg)
        if self.proposer_volatile == volatile or self.proposer.value is None:
            return []
        return self.start_ballot()


class AcceptTwice(Mutant):
    """Proposer sends its Accept twice (a retransmission); expect nothing."""

    def on_promise(self, msg: Promise) -> Outputs:
        out = super().on_promise(msg)
        return out + [(dst, m) for dst, m in out if isinstance(m, Accept)]


# -- the learner ---------------------------------------------------------------------------------------


class LearnerOneFewer(Mutant):
    """Learner learns with one acceptor fewer than the smallest phase-2 quorum; expect safety (learner_integrity)."""

    def on_accepted(self, msg: Accepted) -> Outputs:
        state = self.learner
        if state.learned is not None or msg in state.accepted:
            return []
        accepted = state.accepted | {msg}
        voters = {m.src for m in accepted if m.bal == msg.bal and m.val == msg.val}
        if len(voters) + 1 >= _smallest_quorum(self.config, 2):
            self.learner = LearnerVolatile(frozenset(), msg.val)
        else:
            self.learner = LearnerVolatile(accepted, None)
        return []


class LearnerAnyBallot(Mutant):
    """Learner counts every distinct acceptor that sent any Accepted, whatever ballot or value; expect safety."""

    def on_accepted(self, msg: Accepted) -> Outputs:
        state = self.learner
        if state.learned is not None or msg in state.accepted:
            return []
        accepted = state.accepted | {msg}
        if self.config.quorums.is_phase2_quorum({m.src for m in accepted}):
            self.learner = LearnerVolatile(frozenset(), msg.val)
        else:
            self.learner = LearnerVolatile(accepted, None)
        return []


class LearnerMixesBallots(Mutant):
    """Learner counts acceptors that accepted the value at any ballot, not at one ballot; expect safety."""

    def on_accepted(self, msg: Accepted) -> Outputs:
        state = self.learner
        if state.learned is not None or msg in state.accepted:
            return []
        accepted = state.accepted | {msg}
        if self.config.quorums.is_phase2_quorum({m.src for m in accepted if m.val == msg.val}):
            self.learner = LearnerVolatile(frozenset(), msg.val)
        else:
            self.learner = LearnerVolatile(accepted, None)
        return []


class LearnerMixesValues(Mutant):
    """Learner counts acceptors at the ballot whatever their value (one value per ballot holds); expect nothing."""

    def on_accepted(self, msg: Accepted) -> Outputs:
        state = self.learner
        if state.learned is not None or msg in state.accepted:
            return []
        accepted = state.accepted | {msg}
        if self.config.quorums.is_phase2_quorum({m.src for m in accepted if m.bal == msg.bal}):
            self.learner = LearnerVolatile(frozenset(), msg.val)
        else:
            self.learner = LearnerVolatile(accepted, None)
        return []


@dataclass(frozen=True, slots=True)
class CountingLearnerVolatile(LearnerVolatile):
    """`LearnerVolatile` plus how many Accepted messages per (ballot, value) arrived, duplicates included."""

    tally: frozenset[tuple[object, object, int]] = frozenset()


class LearnerCountsDuplicates(Mutant):
    """Learner counts Accepted *messages* per (ballot, value), so a redelivered one counts twice; expect safety."""

    def on_accepted(self, msg: Accepted) -> Outputs:
        state = self.learner
        if state.learned is not None:
            return []
        tally = state.tally if isinstance(state, CountingLearnerVolatile) else frozenset()
        old = next((t for t in tally if t[0] == msg.bal and t[1] == msg.val), None)
        count = (old[2] if old is not None else 0) + 1
        tally = (tally - {old} if old is not None else tally) | {(msg.bal, msg.val, count)}
        if count >= _smallest_quorum(self.config, 2):
            self.learner = LearnerVolatile(frozenset(), msg.val)
        else:
            self.learner = CountingLearnerVolatile(state.accepted | {msg}, None, tally)
        return []


class LearnerKeepsTally(Mutant):
    """Learner never clears its tally of Accepted messages (before or after learning); expect nothing."""

    def on_accepted(self, msg: Accepted) -> Outputs:
        state = self.learner
        if msg in state.accepted:
            return []
        accepted = state.accepted | {msg}
        learned = state.learned
        if learned is None:
            voters = {m.src for m in accepted if m.bal == msg.bal and m.val == msg.val}
            if self.config.quorums.is_phase2_quorum(voters):
                learned = msg.val
        self.learner = LearnerVolatile(accepted, learned)
        return []


# -- crash ---------------------------------------------------------------------------------------------


class CrashKeepsVolatile(Mutant):
    """crash() keeps the whole state, volatile included (as if the node only paused); expect nothing."""

    def crash(self) -> None:
        pass


class LearnerCrashKeepsLearned(Mutant):
    """crash() keeps the learner's state (its learned value and tally); expect nothing."""

    def crash(self) -> None:
        learner = self.learner
        super().crash()
        snap = self.snapshot()
        self.restore(NodeSnapshot(snap.acceptor, snap.proposer, snap.proposer_volatile, learner))


# -- the registry --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MutantInfo:
    """One mutant: its class, the hook it overrides, what it is expected to break, and flags."""

    name: str
    cls: type[Mutant]
    hook: str
    expect: Expect
    self_retry: bool = False

    @property
    def description(self) -> str:
        return (self.cls.__doc__ or "").strip()


_INFOS: tuple[MutantInfo, ...] = (
    MutantInfo("prepare_ge", PrepareGe, "on_prepare", "refinement"),
    MutantInfo("repromise_equal", RepromiseEqual, "on_prepare", "refinement"),
    MutantInfo("repromise_same_round", RepromiseSameRound, "on_prepare", "safety"),
    MutantInfo("nack_equal_prepare", NackEqualPrepare, "on_prepare", "nothing"),
    MutantInfo("accept_le", AcceptLe, "on_accept", "nothing"),
    MutantInfo("accept_checks_accepted_bal", AcceptChecksAcceptedBal, "on_accept", "safety"),
    MutantInfo("accept_keeps_promise", AcceptKeepsPromise, "on_accept", "safety"),
    MutantInfo("promise_not_persisted", PromiseNotPersisted, "on_prepare", "safety"),
    MutantInfo("promise_reports_promised", PromiseReportsPromised, "on_prepare", "safety"),
    MutantInfo("nack_wrong_promised", NackWrongPromised, "on_prepare/on_accept", "nothing"),
    MutantInfo("crash_loses_acceptor", CrashLosesAcceptor, "crash", "safety"),
    MutantInfo("choose_min", ChooseMin, "choose_value", "safety"),
    MutantInfo("choose_by_acceptor_id", ChooseByAcceptorId, "choose_value", "safety"),
    MutantInfo("phase1_one_fewer", Phase1OneFewer, "phase1_complete", "safety"),
    MutantInfo("stale_promises_kept", StalePromisesKept, "start_round", "safety"),
    MutantInfo("promise_any_ballot", PromiseAnyBallot, "on_promise", "safety"),
    MutantInfo("next_round_ignores_nack", NextRoundIgnoresNack, "next_round", "nothing"),
    MutantInfo("nack_resets_bal", NackResetsBal, "on_nack", "nothing"),
    MutantInfo("nack_resets_round", NackResetsRound, "on_nack", "safety"),
    MutantInfo("self_retry_on_nack", SelfRetryOnNack, "on_nack", "nothing", self_retry=True),
    MutantInfo("accept_twice", AcceptTwice, "on_promise", "nothing"),
    MutantInfo("learner_one_fewer", LearnerOneFewer, "on_accepted", "safety"),
    MutantInfo("learner_any_ballot", LearnerAnyBallot, "on_accepted", "safety"),
    MutantInfo("learner_mixes_ballots", LearnerMixesBallots, "on_accepted", "safety"),
    MutantInfo("learner_mixes_values", LearnerMixesValues, "on_accepted", "nothing"),
    MutantInfo("learner_counts_duplicates", LearnerCountsDuplicates, "on_accepted", "safety"),
    MutantInfo("learner_keeps_tally", LearnerKeepsTally, "on_accepted", "nothing"),
    MutantInfo("crash_keeps_volatile", CrashKeepsVolatile, "crash", "nothing"),
    MutantInfo("learner_crash_keeps_learned", LearnerCrashKeepsLearned, "crash", "nothing"),
)

#: name -> the mutant's metadata
INFO: MappingProxyType[str, MutantInfo] = MappingProxyType({i.name: i for i in _INFOS})


def _factory(cls: type[Mutant], name: str) -> Callable[[int, ClusterConfig], NodeProtocol]:
    def factory(node_id: int, config: ClusterConfig) -> NodeProtocol:
        return cls(node_id, config=config)

    factory.__name__ = factory.__qualname__ = name
    factory.__doc__ = cls.__doc__
    return factory


#: name -> factory `(node_id, config) -> node`
MUTANTS: dict[str, Callable[[int, ClusterConfig], NodeProtocol]] = {i.name: _factory(i.cls, i.name) for i in _INFOS}

#: mutants that start ballots on their own (no ballot bound: skip them in exhaustive runs)
SELF_RETRYING: frozenset[str] = frozenset(i.name for i in _INFOS if i.self_retry)

#: mutants expected to violate nothing anywhere
HARMLESS: frozenset[str] = frozenset(i.name for i in _INFOS if i.expect == "nothing")

# Module-level factories, one per mutant, for `--impl tests.mutants:NAME`.
prepare_ge = MUTANTS["prepare_ge"]
repromise_equal = MUTANTS["repromise_equal"]
repromise_same_round = MUTANTS["repromise_same_round"]
nack_equal_prepare = MUTANTS["nack_equal_prepare"]
accept_le = MUTANTS["accept_le"]
accept_checks_accepted_bal = MUTANTS["accept_checks_accepted_bal"]
accept_keeps_promise = MUTANTS["accept_keeps_promise"]
promise_not_persisted = MUTANTS["promise_not_persisted"]
promise_reports_promised = MUTANTS["promise_reports_promised"]
nack_wrong_promised = MUTANTS["nack_wrong_promised"]
crash_loses_acceptor = MUTANTS["crash_loses_acceptor"]
choose_min = MUTANTS["choose_min"]
choose_by_acceptor_id = MUTANTS["choose_by_acceptor_id"]
phase1_one_fewer = MUTANTS["phase1_one_fewer"]
stale_promises_kept = MUTANTS["stale_promises_kept"]
promise_any_ballot = MUTANTS["promise_any_ballot"]
next_round_ignores_nack = MUTANTS["next_round_ignores_nack"]
nack_resets_bal = MUTANTS["nack_resets_bal"]
nack_resets_round = MUTANTS["nack_resets_round"]
self_retry_on_nack = MUTANTS["self_retry_on_nack"]
accept_twice = MUTANTS["accept_twice"]
learner_one_fewer = MUTANTS["learner_one_fewer"]
learner_any_ballot = MUTANTS["learner_any_ballot"]
learner_mixes_ballots = MUTANTS["learner_mixes_ballots"]
learner_mixes_values = MUTANTS["learner_mixes_values"]
learner_counts_duplicates = MUTANTS["learner_counts_duplicates"]
learner_keeps_tally = MUTANTS["learner_keeps_tally"]
crash_keeps_volatile = MUTANTS["crash_keeps_volatile"]
learner_crash_keeps_learned = MUTANTS["learner_crash_keeps_learned"]
