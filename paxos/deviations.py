"""Nodes that deviate from Paxos.tla: two harmless ones and two dangerous ones, for teaching deviation vs danger.

Each is a `PaxosNode` subclass that changes one rule, with a module-level factory of the same name
(`paxos-check explore --impl paxos.deviations:NAME`). A *harmless* deviation takes steps that are no
Paxos.tla step but keep every conjunct of Paxos.tla's inductive invariant (the checker warns, exit 0);
a *dangerous* one breaks a conjunct at the deviating step (exit 1). `paxos.bugs:repromising` is a third
harmless one. `DEVIATIONS` gives each node's small configuration (CheckConfig fields, as in
`paxos.bugs.CATALOG`; this package must not import checker/) and the verdict it must get. Demonstration
nodes: never use them for anything else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from paxos._ballot import Ballot
from paxos._config import ClusterConfig, NodeRole
from paxos._messages import Accept, Accepted, Prepare, Promise
from paxos._node import PaxosNode
from paxos._roles import Outputs
from paxos._state import AcceptorDurable

# -- harmless: the safety argument still holds ----------------------------------------------------------


class PromiseBeforeVote(PaxosNode):
    """Harmless: on an Accept above its promise, the acceptor first confirms the ballot with a Promise (its
    previous vote reported truthfully) and then votes, both in one step. Paxos.tla's Phase2b sends one 2b
    and no 1b, so the step is no Spec step; but the Promise tells the truth and no conjunct breaks."""

    def on_accept(self, msg: Accept) -> Outputs:
        state = self.acceptor
        if msg.bal <= state.promised:
            return super().on_accept(msg)
        confirm = (msg.src, Promise(self.node_id, msg.bal, state.accepted_bal, state.accepted_val))
        return [confirm, *super().on_accept(msg)]


class VoteClaimsRound(PaxosNode):
    """Harmless: when the acceptor votes at ballot r@p it promises the whole round r (ballot r@N, N the
    highest node id), so no other proposer of round r gets its vote. Paxos.tla's Phase2b sets maxBal to
    the ballot voted in, not above it; a higher promise only forbids more votes, so every conjunct holds."""

    def on_accept(self, msg: Accept) -> Outputs:
        out = super().on_accept(msg)
        state = self.acceptor
        if state.accepted_bal == msg.bal:  # it voted: claim the rest of the round
            top = Ballot(msg.bal.round, max(self.config.node_ids))
            self.acceptor = AcceptorDurable(max(state.promised, top), state.accepted_bal, state.accepted_val)
        return out


# -- dangerous: a conjunct of the inductive invariant breaks at the deviating step ---------------------


class PromiseInflatesVote(PaxosNode):
    """Dangerous: the acceptor's Promise reports its accepted value at the ballot being promised rather than
    at the ballot it accepted it in, so a proposer may prefer that stale value over a newer vote of another
    acceptor. The Promise reports a vote never cast (`inv_1b_sound`) at the step it is sent."""

    def on_prepare(self, msg: Prepare) -> Outputs:
        out = super().on_prepare(msg)
        return [(dst, Promise(m.src, m.bal, m.bal, m.max_val))
                if isinstance(m, Promise) and not m.max_vbal.is_bottom else (dst, m) for dst, m in out]


class RoundOnlyPromise(PaxosNode):
    """Dangerous: on Accept the acceptor compares only ballot rounds with its promise (the proposer-id
    tiebreak is ignored), so it votes below its promise within a round. Its earlier Promise then hides a
    vote (`inv_1b_no_vote_between`) at the voting step, long before two values are chosen."""

    def on_accept(self, msg: Accept) -> Outputs:
        state = self.acceptor
        if msg.bal >= state.promised or msg.bal.round < state.promised.round:
            return super().on_accept(msg)
        self.acceptor = AcceptorDurable(state.promised, msg.bal, msg.val)  # votes, keeping the higher promise
        return [(NodeRole.LEARNER, Accepted(self.node_id, msg.bal, msg.val))]


def promise_before_vote(node_id: int, config: ClusterConfig) -> PaxosNode:
    return PromiseBeforeVote(node_id, config=config)


def vote_claims_round(node_id: int, config: ClusterConfig) -> PaxosNode:
    return VoteClaimsRound(node_id, config=config)


def promise_inflates_vote(node_id: int, config: ClusterConfig) -> PaxosNode:
    return PromiseInflatesVote(node_id, config=config)


def round_only_promise(node_id: int, config: ClusterConfig) -> PaxosNode:
    return RoundOnlyPromise(node_id, config=config)


@dataclass(frozen=True)
class DeviationInfo:
    """A deviating node: `harmless` (exit 0 with the deviation reported) or not (exit 1), the conjunct a
    dangerous one breaks at its deviating step (`breaks`), and a small configuration (CheckConfig fields)."""

    name: str
    factory: str
    harmless: bool
    breaks: str
    config: Mapping[str, Any]


def _dev(name: str, harmless: bool, breaks: str = "", **config: Any) -> DeviationInfo:
    base: dict[str, Any] = {"acceptors": 2, "proposers": 2, "learners": 1, "values": 2, "ballots": 1,
                            "network": "set", "crashes": 0, "drops": 0, "duplicates": 0}
    base.update(config)
    factory = f"paxos.deviations:{name}" if name != "repromising" else "paxos.bugs:repromising"
    base["impl"] = factory
    return DeviationInfo(name, factory, harmless, breaks, MappingProxyType(base))


DEVIATIONS: dict[str, DeviationInfo] = {d.name: d for d in (
    _dev("repromising", True),
    _dev("promise_before_vote", True, acceptors=3),
    _dev("vote_claims_round", True),
    _dev("promise_inflates_vote", False, "inv_1b_sound", acceptors=1),
    _dev("round_only_promise", False, "inv_1b_no_vote_between", acceptors=1),
)}
