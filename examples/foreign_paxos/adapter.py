"""paxos-check's node protocol over pypaxos-lite (./paxos: a package also named `paxos`).

`paxos-check explore --impl examples/foreign_paxos/adapter.py:make_node`. Translation only: float
ballots <-> Ballot, messages both ways, the node as the library's messenger; `PlainSnapshots` does
snapshot/restore/crash. The library persists nothing, so no field is durable."""

from pathlib import Path
from typing import Any

import paxos as ours
from paxos import BOTTOM, AcceptorDurable, Ballot, ClusterConfig, PlainSnapshots

lib = ours.import_package_as(Path(__file__).parent / "paxos", "foreign_paxos")  # their `paxos`, renamed
M = lib.messages


def ballot(b: float | None) -> Ballot:  # their round + id/100 (rounds from 1) <-> our Ballot(round, id)
    return BOTTOM if b is None else Ballot(int(b) - 1, round((b - int(b)) * 100))


def number(b: Ballot) -> float | None:
    return None if b.is_bottom else b.round + 1 + b.node_id / 100


class PeerNode(PlainSnapshots):
    state_fields = ("promised", "accepted", "round", "ballot", "value", "promises", "votes", "decided")
    durable_fields = ()  # pypaxos-lite keeps everything in memory

    def __init__(self, node_id: int, config: ClusterConfig) -> None:
        self.node_id, self.roles, self.out = node_id, config.roles_of(node_id), []
        self.peer = lib.Peer(node_id, list(config.acceptors), list(config.learners), config.quorums.q1, self)
        self.remember_initial()

    def state_holder(self) -> Any:
        return self.peer

    def send(self, to: int, m: Any) -> None:  # the library's messenger: collect what it sends, as ours
        src, bal = self.node_id, ballot(m.ballot)
        self.out.append((to, {
            M.Prepare: lambda: ours.Prepare(src, bal),
            M.Promise: lambda: ours.Promise(src, bal, ballot(m.accepted_ballot), m.accepted_value),
            M.Accept: lambda: ours.Accept(src, bal, m.value), M.Accepted: lambda: ours.Accepted(src, bal, m.value),
            M.PrepareNack: lambda: ours.Nack(src, bal, ballot(m.promised), ours.NACK_PREPARE),
            M.AcceptNack: lambda: ours.Nack(src, bal, ballot(m.promised), ours.NACK_ACCEPT)}[type(m)]()))

    def _run(self, handler: Any, *args: Any) -> list:
        self.out = []
        handler(*args)
        return self.out

    def propose(self, value: Any) -> list:
        return self._run(self.peer.propose, value)

    def on_timeout(self) -> list:
        return self._run(self.peer.start_round) if self.peer.value is not None else []

    def on_message(self, msg: Any) -> list:
        p, b = self.peer, number(msg.bal)
        handler, theirs = {
            ours.Prepare: lambda: (p.receive_prepare, M.Prepare(b)),
            ours.Promise: lambda: (p.receive_promise, M.Promise(b, number(msg.max_vbal), msg.max_val)),
            ours.Accept: lambda: (p.receive_accept, M.Accept(b, msg.val)),
            ours.Accepted: lambda: (p.receive_accepted, M.Accepted(b, msg.val)),
            ours.Nack: lambda: (p.receive_prepare_nack, M.PrepareNack(b, number(msg.promised)))
            if msg.phase == ours.NACK_PREPARE else (p.receive_accept_nack, M.AcceptNack(b, number(msg.promised))),
        }[type(msg)]()
        return self._run(handler, msg.src, theirs)

    def learned(self) -> Any:
        return self.peer.decided if ours.NodeRole.LEARNER in self.roles else None

    def acceptor_state(self) -> AcceptorDurable | None:
        if ours.NodeRole.ACCEPTOR not in self.roles:
            return None
        bal, val = self.peer.accepted or (None, None)
        return AcceptorDurable(ballot(self.peer.promised), ballot(bal), val)


def make_node(node_id: int, config: ClusterConfig) -> PeerNode:
    return PeerNode(node_id, config)
