"""Nodes for tests/test_sweep.py: a bug only the lowest proposer's retry exposes.

`low_stale_promises` is `paxos.bugs:stale_promises` (counting a promise of an earlier ballot of its own
toward the current one) for the proposer with the lowest id only: under the default bounds (ballots 1,2)
that proposer never retries, so the first configuration of a sweep holds, and ballots 2,1 breaks it.
"""

from __future__ import annotations

from paxos import ClusterConfig, PaxosNode
from paxos._messages import Promise
from paxos._roles import Outputs
from paxos.bugs import StalePromises


class LowStalePromises(StalePromises):
    """StalePromises on the lowest-id proposer; every other node is a correct PaxosNode."""

    def on_promise(self, msg: Promise) -> Outputs:
        if self.node_id == min(self.config.proposers):
            return super().on_promise(msg)
        return PaxosNode.on_promise(self, msg)


def low_stale_promises(node_id: int, config: ClusterConfig) -> PaxosNode:
    return LowStalePromises(node_id, config=config)
