"""Two nodes the checks after a search must catch (issue 26), as `PaxosNode` subclasses.

`TieByRound` picks the value among its promises by round only, so between equal rounds the
`frozenset`'s iteration order (Python's hash seed) decides: `hash_order`. `LossySeenRound`'s
snapshot() drops the highest round a Nack reported (`seen_round`), so a model that rebuilds it from
snapshots explores a node that forgets it: the fidelity check refuses it. Each is deterministic within
one process, so the contract check before the search cannot see either.
"""

from __future__ import annotations

from dataclasses import replace

from paxos import BOTTOM, NodeSnapshot, PaxosNode, Promise, Value


class TieByRound(PaxosNode):
    def choose_value(self, promises: frozenset[Promise]) -> Value:
        best = max(promises, key=lambda p: p.max_vbal.round)
        return best.max_val if best.max_vbal != BOTTOM else self.proposer.value


class LossySeenRound(PaxosNode):
    def snapshot(self) -> NodeSnapshot:
        full = super().snapshot()
        return full._replace(proposer_volatile=replace(full.proposer_volatile, seen_round=-1))
