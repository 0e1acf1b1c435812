"""The adapter that lets paxos-check drive `TheirNode` (their_node.py): `--impl examples.custom_node.adapter:make_node`.

It owns translation only: our messages and ballots <-> their tuples and integers, their dict
state <-> a hashable snapshot, our crash <-> their restart. It adds no protocol logic, so
whatever the checker finds is a finding about their node.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any, cast

from examples.custom_node.their_node import NONE, AmnesiacNode, ForgetfulNode, Msg, Out, TheirNode
from paxos import (
    BOTTOM,
    Accept,
    Accepted,
    AcceptorDurable,
    Ballot,
    ClusterConfig,
    ConfigurationError,
    Message,
    Nack,
    Outputs,
    Prepare,
    Promise,
    ThresholdQuorums,
    Value,
    check_value,
)

# -- ballots: their `round * 100 + id` (-1: none) <-> our Ballot(round, node_id) (BOTTOM: none) --------


def to_ballot(n: int) -> Ballot:
    return BOTTOM if n == NONE else Ballot(n // 100, n % 100)


def to_number(bal: Ballot) -> int:
    return NONE if bal.is_bottom else bal.round * 100 + bal.node_id


# -- messages: ours carry their sender in `src`; theirs travel with a separate sender ---------------


def to_theirs(msg: Message) -> tuple[int, Msg]:
    """(sender, their message) for one of our messages."""
    if isinstance(msg, Prepare):
        return msg.src, ("prepare", to_number(msg.bal))
    if isinstance(msg, Promise):
        return msg.src, ("promise", to_number(msg.bal), to_number(msg.max_vbal), msg.max_val)
    if isinstance(msg, Accept):
        return msg.src, ("accept", to_number(msg.bal), msg.val)
    if isinstance(msg, Accepted):
        return msg.src, ("accepted", to_number(msg.bal), msg.val)
    if isinstance(msg, Nack):
        return msg.src, ("reject", to_number(msg.bal), to_number(msg.promised))
    raise TypeError(f"not a Paxos message: {msg!r}")


def to_ours(src: int, msg: Msg) -> Message:
    """Our message for one of theirs, sent by node `src`."""
    kind, n, *rest = msg
    if kind == "prepare":
        return Prepare(src, to_ballot(n))
    if kind == "promise":
        accepted_n, accepted_v = rest
        return Promise(src, to_ballot(n), to_ballot(accepted_n), accepted_v)
    if kind == "accept":
        return Accept(src, to_ballot(n), rest[0])
    if kind == "accepted":
        return Accepted(src, to_ballot(n), rest[0])
    if kind == "reject":
        return Nack(src, to_ballot(n), to_ballot(rest[0]))
    raise TypeError(f"their node sent an unknown message {msg!r}")


# -- state: their dict <-> a snapshot of ints, str, tuples and frozensets ------------------------------
# An optional value (None: no value) is a 0- or 1-tuple, so None itself never appears in a snapshot.


def _opt(value: Any) -> tuple[Any, ...]:
    return () if value is None else (value,)


def _unopt(box: tuple[Any, ...]) -> Any:
    return box[0] if box else None


def freeze(state: dict[str, Any]) -> tuple[tuple[str, Hashable], ...]:
    """Their whole state as a hashable value, equal exactly when the states are equal."""
    return (
        ("promised", state["promised"]),
        ("accepted_n", state["accepted_n"]),
        ("accepted_v", _opt(state["accepted_v"])),
        ("round", state["round"]),
        ("my_value", _opt(state["my_value"])),
        ("n", state["n"]),
        ("phase", state["phase"]),
        ("promises", frozenset((a, n, _opt(v)) for a, (n, v) in state["promises"].items())),
        ("seen_round", state["seen_round"]),
        ("votes", frozenset((n, v, frozenset(who)) for (n, v), who in state["votes"].items())),
        ("decided", _opt(state["decided"])),
    )


def thaw(snapshot: Hashable) -> dict[str, Any]:
    """A fresh, mutable state dict from `freeze`'s output (nothing shared with the snapshot)."""
    if not isinstance(snapshot, tuple):
        raise TypeError(f"restore() needs a snapshot from snapshot(), got {type(snapshot).__name__}")
    s = dict(snapshot)
    return {
        "promised": s["promised"], "accepted_n": s["accepted_n"], "accepted_v": _unopt(s["accepted_v"]),
        "round": s["round"], "my_value": _unopt(s["my_value"]),
        "n": s["n"], "phase": s["phase"], "promises": {a: (n, _unopt(v)) for a, n, v in s["promises"]},
        "seen_round": s["seen_round"],
        "votes": {(n, v): set(who) for n, v, who in s["votes"]}, "decided": _unopt(s["decided"]),
    }


class TheirNodeAdapter:
    """`TheirNode` behind the node protocol (`paxos.NodeProtocol`)."""

    def __init__(self, node_id: int, config: ClusterConfig, node_class: type[TheirNode] = TheirNode) -> None:
        quorums = config.quorums
        if not isinstance(quorums, ThresholdQuorums):
            raise ConfigurationError(
                f"their node counts quorums by size; {quorums.describe()} is not a size threshold "
                "(use majority or --q1/--q2 quorums)"
            )
        if max(config.node_ids) >= 100:
            raise ConfigurationError("their proposal numbers are round*100+id, so node ids must stay below 100")
        self.node_id = node_id
        self.config = config
        self.node = node_class(
            node_id, list(config.acceptors), list(config.learners),
            proposer=node_id in config.proposers, acceptor=node_id in config.acceptors,
            learner=node_id in config.learners, prepare_quorum=quorums.q1, accept_quorum=quorums.q2,
        )

    def _outputs(self, out: Out) -> Outputs:
        return [(dest, to_ours(self.node_id, msg)) for dest, msg in out]

    # -- inputs -------------------------------------------------------------------------------------

    def propose(self, value: Value) -> Outputs:
        check_value(value)  # None means "no value" in our protocol
        return self._outputs(self.node.start(value))

    def on_message(self, msg: Message) -> Outputs:
        sender, theirs = to_theirs(msg)
        return self._outputs(self.node.handle(sender, theirs))

    def on_timeout(self) -> Outputs:
        return self._outputs(self.node.retry())

    def crash(self) -> None:
        self.node.restart()

    # -- state ----------------------------------------------------------------------------------------

    def snapshot(self) -> Hashable:
        return freeze(self.node.state)

    def restore(self, snapshot: Hashable) -> None:
        self.node.state = thaw(snapshot)

    def rename_snapshot(self, snapshot: Hashable, mapping: Mapping[int, int]) -> Hashable:
        """`snapshot` with node ids renamed by `mapping` (optional; lets `--symmetry` reduce acceptors).

        Their state holds node ids in three places: the keys of `promises` (acceptors), the voter
        sets of `votes` (acceptors), and inside every proposal number (`round * 100 + id`).
        """
        def node(a: int) -> int:
            return mapping.get(a, a)

        def number(n: int) -> int:
            return n if n == NONE else n - n % 100 + node(n % 100)

        s = dict(cast("tuple[tuple[str, Any], ...]", snapshot))
        s["promised"], s["accepted_n"], s["n"] = number(s["promised"]), number(s["accepted_n"]), number(s["n"])
        s["promises"] = frozenset((node(a), number(n), v) for a, n, v in s["promises"])
        s["votes"] = frozenset((number(n), v, frozenset(map(node, who))) for n, v, who in s["votes"])
        return tuple((key, s[key]) for key, _ in cast("tuple[tuple[str, Any], ...]", snapshot))

    # -- observation, for the properties ---------------------------------------------------------------

    def learned(self) -> Value:
        return self.node.state["decided"] if self.node.is_learner else None

    def acceptor_state(self) -> AcceptorDurable | None:
        if not self.node.is_acceptor:
            return None
        s = self.node.state
        return AcceptorDurable(to_ballot(s["promised"]), to_ballot(s["accepted_n"]), s["accepted_v"])


def make_node(node_id: int, config: ClusterConfig) -> TheirNodeAdapter:
    """The `--impl` factory: `paxos-check explore --impl examples.custom_node.adapter:make_node`."""
    return TheirNodeAdapter(node_id, config)


def make_forgetful_node(node_id: int, config: ClusterConfig) -> TheirNodeAdapter:
    """Their node with its demonstration bug on (promises forget the accepted proposal)."""
    return TheirNodeAdapter(node_id, config, ForgetfulNode)


def make_amnesiac_node(node_id: int, config: ClusterConfig) -> TheirNodeAdapter:
    """Their node with its round counter in memory only: a crash and a retry reuse a proposal number."""
    return TheirNodeAdapter(node_id, config, AmnesiacNode)
