"""A single-decree Paxos node as another team might write it: plain dict state, integer proposal
numbers, tuple messages. It knows nothing of the `paxos` package; `adapter.py` plugs it into paxos-check.

Proposal numbers are `round * 100 + node_id` (so node ids stay below 100); -1 means "none".
Messages are tuples: ("prepare", n), ("promise", n, accepted_n, accepted_v), ("accept", n, v),
("accepted", n, v), ("reject", n, promised_n). `handle(sender, msg)` returns `[(dest_id, msg), ...]`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Msg = tuple[Any, ...]
Out = list[tuple[int, Msg]]

NONE = -1
#: Keys of `state` kept on disk: they survive `restart()`. Everything else lives in memory.
DURABLE = ("promised", "accepted_n", "accepted_v", "round", "my_value")


def fresh_state() -> dict[str, Any]:
    """The state of a node that has never run."""
    return {
        # acceptor (disk)
        "promised": NONE, "accepted_n": NONE, "accepted_v": None,
        # proposer (disk): the last round used and the client's value
        "round": -1, "my_value": None,
        # proposer (memory): current proposal, its phase, promises by acceptor, highest round rejected with
        "n": NONE, "phase": "idle", "promises": {}, "seen_round": -1,
        # learner (memory): acceptors per (n, value), and the decision
        "votes": {}, "decided": None,
    }


class TheirNode:
    """Proposer, acceptor and learner in one class; which roles are on is fixed at construction."""

    #: A deliberate bug for the checker to find: promises do not report the accepted proposal.
    forget_accepted_in_promise = False
    #: What `restart()` keeps. A deliberate bug for the checker to find: leave "round" out.
    durable: tuple[str, ...] = DURABLE

    def __init__(self, my_id: int, acceptors: list[int], learners: list[int], *, proposer: bool,
                 acceptor: bool, learner: bool, prepare_quorum: int, accept_quorum: int) -> None:
        if not 0 <= my_id < 100:
            raise ValueError(f"node ids must be 0..99 (proposal numbers are round*100+id), got {my_id}")
        self.my_id = my_id
        self.acceptors = list(acceptors)
        self.learners = list(learners)
        self.is_proposer, self.is_acceptor, self.is_learner = proposer, acceptor, learner
        self.prepare_quorum, self.accept_quorum = prepare_quorum, accept_quorum
        self.state = fresh_state()
        self._handlers: dict[str, tuple[bool, Callable[..., Out]]] = {
            "prepare": (acceptor, self._on_prepare), "accept": (acceptor, self._on_accept),
            "promise": (proposer, self._on_promise), "reject": (proposer, self._on_reject),
            "accepted": (learner, self._on_accepted),
        }

    # -- what the outside world calls ------------------------------------------------------------

    def start(self, value: Any) -> Out:
        """A client asks us to get `value` decided."""
        if not self.is_proposer:
            raise RuntimeError(f"node {self.my_id} is not a proposer")
        self.state["my_value"] = value
        return self._new_round()

    def retry(self) -> Out:
        """Our proposal seems stuck: try again with a higher number."""
        if not self.is_proposer or self.state["my_value"] is None:
            return []
        return self._new_round()

    def handle(self, sender: int, msg: Msg) -> Out:
        enabled, handler = self._handlers[msg[0]]
        return handler(sender, *msg[1:]) if enabled else []

    def restart(self) -> None:
        """Come back after a crash: what is on disk survives, memory starts over."""
        disk = {k: self.state[k] for k in self.durable}
        self.state = fresh_state()
        self.state.update(disk)

    # -- proposer ----------------------------------------------------------------------------------

    def _new_round(self) -> Out:
        s = self.state
        s["round"] = max(s["round"], s["seen_round"]) + 1  # written to disk before anything is sent
        s["n"] = s["round"] * 100 + self.my_id
        s["phase"], s["promises"] = "preparing", {}
        return [(a, ("prepare", s["n"])) for a in self.acceptors]

    def _on_promise(self, sender: int, n: int, accepted_n: int, accepted_v: Any) -> Out:
        s = self.state
        if s["phase"] != "preparing" or n != s["n"]:
            return []
        s["promises"][sender] = (accepted_n, accepted_v)
        if len(s["promises"]) < self.prepare_quorum:
            return []
        best_n, best_v = max(s["promises"].values(), key=lambda p: p[0])
        value = best_v if best_n != NONE else s["my_value"]
        s["phase"], s["promises"] = "accepting", {}
        return [(a, ("accept", n, value)) for a in self.acceptors]

    def _on_reject(self, sender: int, n: int, promised: int) -> Out:
        s = self.state
        if n == s["n"]:  # give up this proposal; the next try starts above the round we were refused by
            s["phase"], s["promises"] = "idle", {}
            s["seen_round"] = max(s["seen_round"], promised // 100)
        return []

    # -- acceptor ----------------------------------------------------------------------------------

    def _on_prepare(self, sender: int, n: int) -> Out:
        s = self.state
        if n > s["promised"]:
            s["promised"] = n
            if self.forget_accepted_in_promise:
                return [(sender, ("promise", n, NONE, None))]
            return [(sender, ("promise", n, s["accepted_n"], s["accepted_v"]))]
        if n < s["promised"]:
            return [(sender, ("reject", n, s["promised"]))]
        return []  # a repeated prepare: we already answered it

    def _on_accept(self, sender: int, n: int, value: Any) -> Out:
        s = self.state
        if n < s["promised"]:
            return [(sender, ("reject", n, s["promised"]))]
        s["promised"], s["accepted_n"], s["accepted_v"] = n, n, value
        # tell the proposer (so it knows its proposal got through) and every learner
        return [(to, ("accepted", n, value)) for to in [sender, *(x for x in self.learners if x != sender)]]

    # -- learner -----------------------------------------------------------------------------------

    def _on_accepted(self, sender: int, n: int, value: Any) -> Out:
        s = self.state
        if s["decided"] is not None:
            return []
        voters = s["votes"].setdefault((n, value), set())
        voters.add(sender)
        if len(voters) >= self.accept_quorum:
            s["decided"], s["votes"] = value, {}
        return []


class ForgetfulNode(TheirNode):
    """The same node with the bug switched on (for the checker's demonstration only)."""

    forget_accepted_in_promise = True


class AmnesiacNode(TheirNode):
    """The same node keeping its round counter in memory only (for the checker's demonstration only).

    After a crash it starts over at round 0 and reuses a proposal number it has already used. With
    the old Promises still in flight it can then send a second Accept for that number with another
    value. It takes a crash *and* a retry to go wrong, so one ballot per proposer, or no crash,
    never shows it.
    """

    durable = tuple(k for k in DURABLE if k != "round")
