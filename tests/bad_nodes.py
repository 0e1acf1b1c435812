"""Misbehaving nodes for the bad-input tests: `--impl tests.bad_nodes:NAME` (cwd = the project root).

Each is a `PaxosNode` that breaks the node protocol only on some schedule (a message of one
kind), so a finding about it needs a real trace; or one that breaks it before any schedule
(a bad factory), which is bad input. The two snapshot mutants lose the learner's state, which
only the node-contract check can see.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Hashable
from typing import Any

from paxos import Accept, Accepted, ClusterConfig, Message, Nack, NodeSnapshot, Outputs, PaxosNode, Promise
from paxos._state import LearnerVolatile


class RaisingOnAccepted(PaxosNode):
    """A learner whose `on_message` divides by zero on the first Accepted it receives."""

    def on_message(self, msg: Message) -> Outputs:
        if isinstance(msg, Accepted):
            share = 1 // len(self.learner.accepted)  # the bug: nothing heard yet, so ZeroDivisionError
            return [] if share else super().on_message(msg)
        return super().on_message(msg)


class RaisingOnPromise(PaxosNode):
    """A proposer whose `on_message` raises on a Promise (a KeyError, as from a missing dict entry)."""

    def on_message(self, msg: Message) -> Outputs:
        if isinstance(msg, Promise):
            raise KeyError(f"no ballot {msg.bal} in my table")
        return super().on_message(msg)


class StringOnPromise(PaxosNode):
    """A proposer that returns a string instead of a list of outputs when it gets a Promise."""

    def on_message(self, msg: Message) -> Outputs:
        if isinstance(msg, Promise):
            return "oops"  # type: ignore[return-value]
        return super().on_message(msg)


class ObjectsOnPromise(PaxosNode):
    """A proposer that returns a list of arbitrary objects when it gets a Promise."""

    def on_message(self, msg: Message) -> Outputs:
        if isinstance(msg, Promise):
            return [object(), 3]  # type: ignore[list-item]
        return super().on_message(msg)


class IntOnAccepted(PaxosNode):
    """A learner that returns an int from `on_message` on an Accepted."""

    def on_message(self, msg: Message) -> Outputs:
        if isinstance(msg, Accepted):
            return 42  # type: ignore[return-value]
        return super().on_message(msg)


class UnhashableSnapshotAfterPromise(PaxosNode):
    """A node whose snapshot becomes a list (unhashable) once its proposer has a promise."""

    def snapshot(self) -> Any:
        snap = super().snapshot()
        return [snap] if self.proposer_volatile.promises else snap

    def restore(self, snapshot: Hashable) -> None:
        super().restore(snapshot[0] if isinstance(snapshot, list) else snapshot)


class RaisingSnapshotAfterAccept(PaxosNode):
    """A node whose `snapshot()` raises once its acceptor has accepted something."""

    def snapshot(self) -> NodeSnapshot:
        if self.acceptor.accepted_val is not None:
            raise RuntimeError("snapshot of an accepted acceptor is not implemented")
        return super().snapshot()


class HangingOnNack(PaxosNode):
    """A proposer whose `on_message` never returns when it gets a Nack (or the first Promise)."""

    def on_message(self, msg: Message) -> Outputs:
        if isinstance(msg, (Nack, Promise)):
            while True:
                time.sleep(0.05)
        return super().on_message(msg)


class SnapshotOmitsLearner(PaxosNode):
    """Mutant: `snapshot()` leaves out the learner's state (what it heard and learned)."""

    def snapshot(self) -> NodeSnapshot:
        snap = super().snapshot()
        return NodeSnapshot(snap.acceptor, snap.proposer, snap.proposer_volatile, LearnerVolatile())


class RestoreDropsLearner(PaxosNode):
    """Mutant: `restore()` forgets the learner's state in the snapshot it is given."""

    def restore(self, snapshot: Hashable) -> None:
        super().restore(snapshot)
        self.learner = LearnerVolatile()


def raising_factory(node_id: int, config: ClusterConfig) -> PaxosNode:
    """A factory that fails before any schedule: bad input, not a finding."""
    raise ValueError("this factory is broken")


def not_a_node(node_id: int, config: ClusterConfig) -> object:
    """A factory that returns something without the node protocol's methods."""
    return "not a node"


# `--impl tests.bad_nodes:NAME` names, as factories (classes work too; these keep the CLI lines short)
raising_on_accepted = RaisingOnAccepted
raising_on_promise = RaisingOnPromise
string_on_promise = StringOnPromise
objects_on_promise = ObjectsOnPromise
int_on_accepted = IntOnAccepted
unhashable_snapshot = UnhashableSnapshotAfterPromise
raising_snapshot = RaisingSnapshotAfterAccept
hanging_on_nack = HangingOnNack
snapshot_omits_learner = SnapshotOmitsLearner
restore_drops_learner = RestoreDropsLearner


class RaisingSnapshotAtOnce(PaxosNode):
    """A node whose `snapshot()` raises from the start: before any step, so bad input (exit 2)."""

    def snapshot(self) -> NodeSnapshot:
        raise RuntimeError("snapshot is not implemented")


class UnhashableSnapshotAtOnce(PaxosNode):
    """A node whose `snapshot()` is a list from the start: before any step, so bad input (exit 2)."""

    def snapshot(self) -> Any:
        return [super().snapshot()]


class ExitingOnAccept(PaxosNode):
    """A node that calls sys.exit(0) when it receives an Accept: its failure (node_error), never exit 0."""

    def on_message(self, msg: Message) -> Outputs:
        if isinstance(msg, Accept):
            sys.exit(0)
        return super().on_message(msg)
