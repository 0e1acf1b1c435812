"""A node's state, split by role and by what survives a crash.

`*Durable` is what a real node fsyncs before it replies (an acceptor's
promise and accepted proposal, a proposer's highest round and its client's
value); `*Volatile` is lost on crash. All frozen, so a snapshot is just the
tuple of these. No behaviour here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from paxos._ballot import BOTTOM, Ballot
from paxos._messages import Accepted, Promise, Value


@dataclass(frozen=True, slots=True)
class AcceptorDurable:
    """Acceptor state that must survive a crash: the promise and the last accepted proposal."""

    promised: Ballot = BOTTOM
    accepted_bal: Ballot = BOTTOM
    accepted_val: Value = None


@dataclass(frozen=True, slots=True)
class ProposerDurable:
    """Proposer state that must survive a crash: the highest round used and the client's value."""

    last_round: int = -1
    value: Value = None


@dataclass(frozen=True, slots=True)
class ProposerVolatile:
    """Proposer state lost on crash: the current ballot, its phase and the promises collected.

    `phase` is 0 (idle), 1 (collecting promises) or 2 (Accept sent).
    `seen_round` is the highest round a Nack told us about.
    """

    bal: Ballot = BOTTOM
    phase: int = 0
    promises: frozenset[Promise] = frozenset()
    seen_round: int = -1


@dataclass(frozen=True, slots=True)
class LearnerVolatile:
    """Learner state: every distinct Accepted received, and the value learned (None if none)."""

    accepted: frozenset[Accepted] = frozenset()
    learned: Value = None


class NodeSnapshot(NamedTuple):
    """The whole state of a `PaxosNode`: hashable, comparable, enough to rebuild it."""

    acceptor: AcceptorDurable
    proposer: ProposerDurable
    proposer_volatile: ProposerVolatile
    learner: LearnerVolatile


INITIAL_SNAPSHOT = NodeSnapshot(AcceptorDurable(), ProposerDurable(), ProposerVolatile(), LearnerVolatile())
