"""The seed's API (`send_prepare`, `send_promise`, `send_accept`, `fail`/`recover`) over the sans-I/O core.

A thin layer: each call builds the core message, hands it to the core
handler of the receiving node, delivers the replies, and logs every
message to the node's `PaxosLogger`. It adds no protocol rule of its own
beyond refusing a proposal number the proposer already used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from paxos._ballot import Ballot
from paxos._config import NodeRole, NodeState
from paxos._errors import ConfigurationError, ProtocolError
from paxos._messages import Accept, Accepted, Message, Nack, Prepare, Promise, Value, check_value
from paxos._roles import Outputs
from paxos._state import AcceptorDurable, LearnerVolatile, ProposerDurable, ProposerVolatile

if TYPE_CHECKING:
    from paxos._csvlog import PaxosLogger


@dataclass(frozen=True)
class Proposal:
    """The seed's proposal: proposer `node_id`, its `proposal_number` (the round) and `value`.

    Its ballot is `proposal_number@node_id`, so proposals of different nodes
    never share a ballot. Checked at construction: ids positive, numbers >= 0,
    the value hashable and not None.
    """

    node_id: int
    proposal_number: int
    value: Value

    def __post_init__(self) -> None:
        if isinstance(self.node_id, bool) or not isinstance(self.node_id, int) or self.node_id <= 0:
            raise ConfigurationError(
                f"Proposal node_id must be the proposing node's id (a positive integer), got {self.node_id!r}"
            )
        number = self.proposal_number
        if isinstance(number, bool) or not isinstance(number, int) or number < 0:
            raise ConfigurationError(
                f"Proposal proposal_number must be an integer >= 0, got {number!r}; number proposals 1, 2, 3, ..."
            )
        check_value(self.value)

    @property
    def ballot(self) -> Ballot:
        return Ballot(self.proposal_number, self.node_id)


class SeedNode(Protocol):
    """What the seed's calls use of a node (their own and the others'): `PaxosNode` has all of it.

    Named here so that this module need not import `_node.py`, which imports this one.
    """

    node_id: int
    roles: frozenset[NodeRole]
    state: NodeState
    logger: object | None
    acceptor: AcceptorDurable
    proposer: ProposerDurable
    proposer_volatile: ProposerVolatile
    learner: LearnerVolatile
    _prepared_by: dict[Ballot, SeedNode]
    _pending_accept: dict[Ballot, Accept]

    @property
    def is_active(self) -> bool: ...
    def on_message(self, msg: Message) -> Outputs: ...
    def start_round(self, round_: int) -> Outputs: ...
    def crash(self) -> None: ...
    def _log(
        self, event: str, peer: int | None, msg: Message | None, change: str = "", value: Value = None
    ) -> None: ...
    def _deliver_to_proposer(self, reply: Promise | Nack) -> None: ...


class SeedAPI:
    """Mixin giving `PaxosNode` the seed's calls. Protocol state lives in the core; this only routes.

    Routing state: `_prepared_by` (on every receiver: which proposer sent the
    Prepare of a ballot, so a Promise or Nack can go back) and
    `_pending_accept` (on a proposer: the Accept its core produced when
    phase 1 completed; volatile, lost by `fail()`).
    """

    def _seed_init(self) -> None:
        self._prepared_by: dict[Ballot, SeedNode] = {}
        self._pending_accept: dict[Ballot, Accept] = {}

    def _me(self) -> SeedNode:
        return self  # type: ignore[return-value]

    def _log(
        self, event: str, peer: int | None, msg: Message | None, change: str = "", value: Value = None
    ) -> None:
        logger: PaxosLogger | None = self._me().logger  # type: ignore[assignment]
        if logger is not None:
            logger.log(event, self._me().node_id, peer, msg, change, "", value)

    @property
    def is_active(self) -> bool:
        """False between `fail()` and `recover()`."""
        return self._me().state is NodeState.ACTIVE

    # -- phase 1 ---------------------------------------------------------------------------------

    def send_prepare(self, nodes: Mapping[int, SeedNode], proposal: Proposal) -> int:
        """Phase 1a: start `proposal`'s ballot and send Prepare to every other node; returns how many.

        The proposal number must be above every number this node used before
        (a reused ballot with another value could get two values chosen);
        sending the same proposal again while it is in progress re-sends the
        Prepare without forgetting the promises already counted.
        """
        me = self._me()
        self._require_proposer(proposal)
        bal = proposal.ballot
        volatile = me.proposer_volatile
        resend = volatile.bal == bal and volatile.phase > 0 and me.proposer.value == proposal.value
        if not resend:
            if bal.round <= me.proposer.last_round:
                raise ProtocolError(
                    f"node {me.node_id} already used proposal number {me.proposer.last_round}; a new proposal "
                    f"needs a higher number: Proposal({me.node_id}, {me.proposer.last_round + 1}, ...)"
                )
            me.proposer = ProposerDurable(me.proposer.last_round, proposal.value)
            me.start_round(bal.round)
            self._log("propose", None, None, f"ballot {bal} value {proposal.value!r}", proposal.value)
        msg = Prepare(me.node_id, bal)
        self._prepared_by[bal] = me  # a Promise of this node's own acceptor also counts
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

        A failed node answers nothing. The Promise (or the Nack of a refusal)
        is also delivered to the proposer, which counts each acceptor once
        however often its Promise arrives.
        """
        me = self._me()
        if not self.is_active:
            return None
        msg = Prepare(proposal.node_id, proposal.ballot)
        self._log("receive", proposal.node_id, msg)
        before = me.acceptor.promised
        promise = None
        for dest, reply in me.on_message(msg):
            change = f"promised {before} -> {me.acceptor.promised}" if isinstance(reply, Promise) else ""
            self._log("send", dest if isinstance(dest, int) else None, reply, change)
            if isinstance(reply, Promise):
                promise = reply
            if isinstance(reply, (Promise, Nack)):
                self._deliver_to_proposer(reply)
        return promise

    def deliver_promise(self, promise: Promise) -> None:
        """Hand a (possibly duplicated) Promise to the proposer that asked for it."""
        self._deliver_to_proposer(promise)

    def _deliver_to_proposer(self, reply: Promise | Nack) -> None:
        proposer = self._prepared_by.get(reply.bal)
        if proposer is None or not proposer.is_active:
            return
        volatile = proposer.proposer_volatile
        for _, out in proposer.on_message(reply):
            if isinstance(out, Accept):
                proposer._pending_accept[out.bal] = out
        after = proposer.proposer_volatile
        if isinstance(reply, Promise):
            if volatile.phase == 1 and after.phase == 2:
                count = len({p.src for p in volatile.promises} | {reply.src})
                value = proposer._pending_accept[after.bal].val
                change = f"promises {count}; phase-1 quorum reached, will propose {value!r}"
            elif after.phase == 1 and after.bal == reply.bal:
                change = f"promises {len(after.promises)}"
            elif after.phase == 2 and after.bal == reply.bal:
                change = "not counted: phase 1 of this ballot is already complete"
            else:
                change = f"not counted: this proposer is not collecting promises for {reply.bal}"
        else:
            change = f"ballot {after.bal} abandoned" if volatile.phase and not after.phase else ""
        proposer._log("receive", reply.src, reply, change)

    # -- phase 2 ---------------------------------------------------------------------------------

    def send_accept(self, nodes: Mapping[int, SeedNode], proposal: Proposal) -> int:
        """Phase 2a/2b: send Accept to every active node and their Accepted to every active learner.

        The value sent is the one the promises force (the highest accepted),
        which may differ from `proposal.value`. Returns how many acceptors
        accepted; 0 (and an `accept_skipped` log row) if this proposer has no
        phase-1 quorum for the ballot or gave it up (a Nack, or `fail()`).
        Refusals (Nack) go back to this proposer.
        """
        me = self._me()
        self._require_proposer(proposal)
        bal = proposal.ballot
        volatile = me.proposer_volatile
        accept = self._pending_accept.get(bal)
        if accept is None or volatile.bal != bal or volatile.phase != 2:
            reason = "it was given up" if accept is not None else "no phase-1 quorum of promises"
            self._log("accept_skipped", None, None, f"ballot {bal}: {reason}")
            return 0
        accepted: list[Accepted] = []
        for node_id, node in nodes.items():
            self._log("send", node_id, accept)
            if not node.is_active:
                continue
            node._log("receive", me.node_id, accept)
            before = node.acceptor
            for _, reply in node.on_message(accept):
                if isinstance(reply, Accepted):
                    accepted.append(reply)
                    change = f"accepted {before.accepted_bal} -> {node.acceptor.accepted_bal} {reply.val!r}"
                    node._log("send", None, reply, change)
                elif isinstance(reply, Nack):
                    node._log("send", me.node_id, reply)
                    node._prepared_by.setdefault(reply.bal, me)
                    node._deliver_to_proposer(reply)
        for acc in accepted:
            for node in nodes.values():
                if node.is_active and NodeRole.LEARNER in node.roles:
                    had = node.learner.learned
                    node._log("receive", acc.src, acc)
                    node.on_message(acc)
                    if had is None and node.learner.learned is not None:
                        node._log("learn", acc.src, acc, f"learned {node.learner.learned!r}")
        return len(accepted)

    # -- failures --------------------------------------------------------------------------------

    def fail(self) -> None:
        """Crash: lose volatile state (keeping durable state) and answer nothing until `recover()`."""
        me = self._me()
        me.crash()
        self._pending_accept.clear()
        me.state = NodeState.FAILED
        self._log("fail", None, None, "active -> failed")

    def recover(self) -> None:
        """Come back with the durable state kept at `fail()`."""
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
            raise ProtocolError(
                f"node {me.node_id} has roles {sorted(r.value for r in me.roles)} and is not a proposer; "
                "send proposals from a node with the proposer role"
            )
        if proposal.node_id != me.node_id:
            raise ProtocolError(
                f"proposal names node {proposal.node_id} but is sent by node {me.node_id}; "
                "make Proposal(node_id=...) the sending node's id"
            )
        if not self.is_active:
            raise ProtocolError(f"node {me.node_id} has failed; call recover() before proposing")
