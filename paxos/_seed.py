"""The seed's API (`send_prepare`, `send_promise`, `send_accept`, `fail`/`recover`) over the sans-I/O core.

A thin layer: each call builds the core message, hands it to the core
handler of the receiving node, delivers the replies, and logs every
message to the node's `PaxosLogger`. It adds no protocol rule of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping

from paxos._ballot import Ballot
from paxos._config import NodeRole, NodeState
from paxos._errors import ProtocolError
from paxos._messages import Accept, Accepted, Message, Prepare, Promise, Value
from paxos._state import ProposerDurable, ProposerVolatile

if TYPE_CHECKING:
    from paxos._csvlog import PaxosLogger
    from paxos._node import PaxosNode


@dataclass(frozen=True)
class Proposal:
    """The seed's proposal: proposer `node_id`, its `proposal_number` (the round) and `value`."""

    node_id: int
    proposal_number: int
    value: Value

    @property
    def ballot(self) -> Ballot:
        return Ballot(self.proposal_number, self.node_id)


class SeedAPI:
    """Mixin giving `PaxosNode` the seed's calls. State lives in the core; this only routes."""

    def _seed_init(self) -> None:
        self._prepared_by: dict[Ballot, PaxosNode] = {}
        self._pending_accept: dict[Ballot, Accept] = {}

    def _me(self) -> PaxosNode:
        return self  # type: ignore[return-value]

    def _log(self, event: str, peer: int | None, msg: Message | None, change: str = "") -> None:
        logger: PaxosLogger | None = self._me().logger  # type: ignore[assignment]
        if logger is not None:
            logger.log(event, self._me().node_id, peer, msg, change)

    @property
    def is_active(self) -> bool:
        return self._me().state is NodeState.ACTIVE

    def send_prepare(self, nodes: Mapping[int, PaxosNode], proposal: Proposal) -> int:
        """Phase 1a: start `proposal`'s ballot and send Prepare to every other node; returns how many."""
        me = self._me()
        self._require_proposer(proposal)
        from paxos._node import check_value

        check_value(proposal.value)
        bal = proposal.ballot
        me.proposer = ProposerDurable(max(me.proposer.last_round, bal.round), proposal.value)
        me.proposer_volatile = ProposerVolatile(bal, 1, frozenset(), me.proposer_volatile.seen_round)
        self._log("propose", None, None, f"ballot {bal} value {proposal.value!r}")
        msg = Prepare(me.node_id, bal)
        sent = 0
        for node_id, node in nodes.items():
            if node_id == me.node_id:
                continue
            self._log("send", node_id, msg)
            node._prepared_by[bal] = me
            sent += 1
        return sent

    def send_promise(self, proposal: Proposal) -> Promise | None:
        """Phase 1b: this acceptor answers `proposal`'s Prepare; returns the Promise, or None if refused.

        The promise is also delivered to the proposer, which counts it once
        per acceptor however often it arrives.
        """
        me = self._me()
        if not self.is_active:
            return None
        bal = proposal.ballot
        before = me.acceptor.promised
        replies = me.on_message(Prepare(proposal.node_id, bal))
        self._log("receive", proposal.node_id, Prepare(proposal.node_id, bal))
        promise = None
        for dest, reply in replies:
            change = f"promised {before} -> {me.acceptor.promised}" if isinstance(reply, Promise) else ""
            self._log("send", dest if isinstance(dest, int) else None, reply, change)
            if isinstance(reply, Promise):
                promise = reply
        if promise is not None:
            self._deliver_promise(promise)
        return promise

    def deliver_promise(self, promise: Promise) -> None:
        """Hand a (possibly duplicated) Promise to the proposer that asked for it."""
        self._deliver_promise(promise)

    def _deliver_promise(self, promise: Promise) -> None:
        proposer = self._prepared_by.get(promise.bal)
        if proposer is None or not proposer.is_active:
            return
        for _, out in proposer.on_message(promise):
            if isinstance(out, Accept):
                proposer._pending_accept[out.bal] = out
        proposer._log("receive", promise.src, promise, f"promises {len(proposer.proposer_volatile.promises)}")

    def send_accept(self, nodes: Mapping[int, PaxosNode], proposal: Proposal) -> int:
        """Phase 2a/2b: send Accept to every active node and Accepted to every learner.

        The value sent is the one the promises force (the highest accepted),
        which may differ from `proposal.value`. Returns how many acceptors
        accepted; 0 (and a `accept_skipped` log row) without a phase-1 quorum.
        """
        me = self._me()
        self._require_proposer(proposal)
        accept = self._pending_accept.get(proposal.ballot)
        if accept is None:
            self._log("accept_skipped", None, None, f"no phase-1 quorum of promises for ballot {proposal.ballot}")
            return 0
        accepted: list[Accepted] = []
        for node_id, node in nodes.items():
            self._log("send", node_id, accept)
            if not node.is_active:
                continue
            before = node.acceptor.accepted_bal
            for _, reply in node.on_message(accept):
                if isinstance(reply, Accepted):
                    accepted.append(reply)
                node._log("send", None, reply, f"accepted {before} -> {node.acceptor.accepted_bal}")
        for acc in accepted:
            for node in nodes.values():
                if node.is_active and NodeRole.LEARNER in node.roles:
                    had = node.learner.learned
                    node.on_message(acc)
                    if had is None and node.learner.learned is not None:
                        node._log("learn", acc.src, acc, f"learned {node.learner.learned!r}")
        return len(accepted)

    def fail(self) -> None:
        """Crash: lose volatile state and stop answering until `recover()`."""
        me = self._me()
        me.crash()
        me.state = NodeState.FAILED
        self._log("fail", None, None, "active -> failed")

    def recover(self) -> None:
        """Restart from durable state."""
        me = self._me()
        me.state = NodeState.ACTIVE
        self._log("recover", None, None, "failed -> active")

    @property
    def decided_value(self) -> Value:
        """The value this node has learned, or None (seed name)."""
        return self._me().learner.learned

    def _require_proposer(self, proposal: Proposal) -> None:
        me = self._me()
        if NodeRole.PROPOSER not in me.roles:
            raise ProtocolError(f"node {me.node_id} is not a proposer; send proposals from a proposer node")
        if proposal.node_id != me.node_id:
            raise ProtocolError(
                f"proposal names node {proposal.node_id} but is sent by node {me.node_id}; "
                "make Proposal(node_id=...) the sending node's id"
            )
        if not self.is_active:
            raise ProtocolError(f"node {me.node_id} has failed; call recover() before proposing")
