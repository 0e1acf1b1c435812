"""Learners apart: what a pure learner can reach from the envelopes waiting for it.

Owns `LearnerReach`, the per-learner closure behind reduction 3 of
`checker/models/reductions.py` (read the soundness argument there). It runs the
learner only through the model's cached node step; it does not know states of the
whole cluster, and it must not be used for a node that is an acceptor or a proposer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from checker.bitsets import bit_ids
from checker.models.reductions import LearnersNotApart

#: (kind, argument) of a learner's own step: ("deliver", envelope id), ("crash", 0), ("restart", 0).
LearnerStep = tuple[str, int]
#: A learner's situation: (snapshot id, crashed 0/1, crashes used).
Situation = tuple[int, int, int]
#: (new snapshot id, envelope bits sent, message bits sent, step properties broken)
NodeStep = Callable[[int, str, int], tuple[int, int, int, tuple[str, ...]]]


class LearnerReach:
    """Every snapshot learner `node_id` reaches from a snapshot and a set of waiting envelopes.

    `step(sid, kind, envelope id or 0)` is the model's cached node step for this learner;
    `learned(sid)` reads `learned()` of a snapshot. Outcomes are cached per (snapshot, envelopes); the
    reachable situations are not (a BFS parent map per key, about 6 KB each, 230 MB on a run of 4.5 M
    states): `path_to`, run only to spell out a trace, searches again.
    """

    def __init__(self, node_id: int, step: NodeStep, learned: Callable[[int], Any], max_crashes: int) -> None:
        self.node_id = node_id
        self.step = step
        self.learned = learned
        self.max_crashes = max_crashes
        self._outcomes: dict[tuple[int, int], dict[Any, int]] = {}

    def reach(self, sid: int, bits: int) -> dict[Situation, tuple[Situation | None, LearnerStep | None]]:
        """Every situation reachable from (sid, up, 0 crashes), with its BFS parent and step (searched each
        call: the node steps it runs are cached by the model)."""
        start: Situation = (sid, 0, 0)
        parent: dict[Situation, tuple[Situation | None, LearnerStep | None]] = {start: (None, None)}
        frontier = [start]
        while frontier:
            nxt = []
            for here in frontier:
                s, crashed, used = here
                moves: list[tuple[Situation, LearnerStep]] = []
                if crashed:
                    moves.append(((s, 0, used), ("restart", 0)))
                else:
                    for eid in bit_ids(bits):
                        new_sid, env_bits, msg_bits, broken = self.step(s, "deliver", eid)
                        if env_bits or msg_bits or broken:
                            what = f"breaks {', '.join(broken)}" if broken else "sends messages"
                            raise LearnersNotApart(f"learner {self.node_id} {what} when it receives a message")
                        if new_sid != s:
                            moves.append(((new_sid, 0, used), ("deliver", eid)))
                    if used < self.max_crashes:
                        new_sid = self.step(s, "crash", 0)[0]
                        moves.append(((new_sid, 1, used + 1), ("crash", 0)))
                for there, how in moves:
                    if there not in parent:
                        parent[there] = (here, how)
                        nxt.append(there)
            frontier = nxt
        return parent

    def outcomes(self, sid: int, bits: int) -> dict[Any, int]:
        """learned value -> the fewest crashes of this learner needed to reach a snapshot with it."""
        key = (sid, bits)
        hit = self._outcomes.get(key)
        if hit is None:
            hit = {}
            for s, _, used in self.reach(sid, bits):
                value = self.learned(s)
                if used < hit.get(value, self.max_crashes + 1):
                    hit[value] = used
            self._outcomes[key] = hit
        return hit

    def path_to(self, sid: int, bits: int, value: Any) -> list[tuple[LearnerStep, Situation]]:
        """The steps from (sid, up) to a situation learning `value` with the fewest crashes."""
        parent = self.reach(sid, bits)
        best = min((sit for sit in parent if self.learned(sit[0]) == value), key=lambda sit: sit[2])
        steps: list[tuple[LearnerStep, Situation]] = []
        here: Situation | None = best
        while here is not None:
            prev, how = parent[here]
            if how is not None:
                steps.append((how, here))
            here = prev
        steps.reverse()
        return steps
