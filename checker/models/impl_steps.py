"""Implementation steps as people and traces see them: action <-> trace row, and the state change.

Owns the mapping between `paxos.Cluster` actions and `StepRow`s, the text of a
node's state change, and the world fingerprint of a cluster. Used by the
explorer (to write traces), replay, minimize and the Hypothesis machine, so
that every trace is written and read one way.
"""

from __future__ import annotations

from dataclasses import replace

from checker.fingerprint import fingerprint_object, fp_hex
from checker.model import StepRow
from paxos import (
    AcceptorDurable,
    Action,
    Cluster,
    Crash,
    Deliver,
    Drop,
    Duplicate,
    Nack,
    Propose,
    Restart,
    Timeout,
    Value,
    call_node,
    checked_snapshot,
    message_fields,
    message_text,
    snapshot_diff,
)

#: Trace event name of each action type.
EVENT_OF: dict[type, str] = {
    Propose: "propose", Deliver: "deliver", Drop: "drop", Duplicate: "duplicate",
    Crash: "crash", Restart: "restart", Timeout: "timeout",
}


def acting_node(action: Action) -> int:
    """The node whose state the action may change."""
    if isinstance(action, (Deliver, Drop, Duplicate)):
        return action.env.dst
    return action.node


def action_row(action: Action, change: str = "") -> StepRow:
    """The trace row of `action` (without fingerprint)."""
    event = EVENT_OF[type(action)]
    if isinstance(action, (Deliver, Drop, Duplicate)):
        fields = message_fields(action.env.msg)
        fields.pop("state_change", None)
        return StepRow(event=event, node=str(action.env.dst), peer=str(action.env.src), state_change=change, **fields)
    if isinstance(action, Propose):
        return StepRow(event=event, node=str(action.node), value=str(action.value), state_change=change)
    return StepRow(event=event, node=str(action.node), state_change=change)


def row_key(row: StepRow) -> tuple[str, ...]:
    """What identifies an action in a row (everything but the state change)."""
    return (row.event, row.node, row.peer, row.msg_type, row.bal, row.value, row.max_vbal, row.max_val)


def key_node(node_id: int, snapshot: object) -> int:
    """Zobrist key of node `node_id` being in state `snapshot`."""
    return fingerprint_object(("node", node_id, snapshot))


def key_env(dst: int, msg: object, count: int) -> int:
    """Zobrist key of `count` copies of `msg` addressed to `dst` being in the network."""
    return fingerprint_object(("env", dst, msg, count))


def key_sent(msg: object) -> int:
    """Zobrist key of `msg` having been sent (ghost history)."""
    return fingerprint_object(("sent", msg))


def key_scalar(*key: object) -> int:
    """Zobrist key of a counter or flag, e.g. ("crashed", node_id), ("started", j, n)."""
    return fingerprint_object(("scalar", *key))


def unsaid_phase(msg: object) -> object:
    """`msg` as a trace of `trace_version` 1 knew it: a Nack's phase erased (unsaid)."""
    return replace(msg, phase=0) if isinstance(msg, Nack) and msg.phase else msg


def world_fingerprint(cluster: Cluster, legacy: bool = False) -> str:
    """The stable fingerprint of the whole world (the trace's `fingerprint` column).

    The XOR of one key per component, exactly as the explorer's `ImplModel`
    keeps it incrementally, so the two agree on every state. `legacy`: as a trace of
    `trace_version` 1 recorded it, before Nacks named their phase (replay of old traces).
    """
    fp = 0
    for node_id in cluster.config.node_ids:
        fp ^= key_node(node_id, checked_snapshot(node_id, cluster.nodes[node_id].snapshot))
    if legacy:  # Nacks that differ only in their phase were one message then
        flight: dict[tuple[int, object], int] = {}
        for env, count in cluster.in_flight.items():
            key = (env.dst, unsaid_phase(env.msg))
            flight[key] = flight.get(key, 0) + count if cluster.network == "bag" else 1
        for (dst, msg), count in flight.items():
            fp ^= key_env(dst, msg, count)
        for msg in {unsaid_phase(m) for m in cluster.sent}:
            fp ^= key_sent(msg)
        return fp_hex(fp ^ _scalars(cluster))
    for env, count in cluster.in_flight.items():
        fp ^= key_env(env.dst, env.msg, count)
    for msg in cluster.sent:
        fp ^= key_sent(msg)
    return fp_hex(fp ^ _scalars(cluster))


def _scalars(cluster: Cluster) -> int:
    fp = 0
    for node_id in cluster.crashed:
        fp ^= key_scalar("crashed", node_id)
    for name in ("crashes", "drops", "duplicates"):
        fp ^= key_scalar(name, cluster.used[name])
    for j, p in enumerate(cluster.config.proposers):
        fp ^= key_scalar("started", j, cluster.ballots_started[p])
    for value in cluster.proposed:
        fp ^= key_scalar("proposed", value)
    return fp


def _acceptor_text(state: AcceptorDurable | None) -> tuple[str, str]:
    if state is None:
        return "", ""
    accepted = "-" if state.accepted_bal.is_bottom else f"{state.accepted_bal}:{state.accepted_val}"
    return str(state.promised), accepted


def describe_change(
    before_acc: AcceptorDurable | None,
    after_acc: AcceptorDurable | None,
    before_learned: Value,
    after_learned: Value,
    sent: list[str],
    extra: str = "",
    snapshots: tuple[object, object] | None = None,
) -> str:
    """A short text of what one step changed in one node, from what the node protocol exposes: its
    acceptor state and learned value, else (`snapshots`, before and after) what changed in its snapshot."""
    parts = []
    (bp, ba), (ap, aa) = _acceptor_text(before_acc), _acceptor_text(after_acc)
    if bp != ap:
        parts.append(f"promised {bp} -> {ap}")
    if ba != aa:
        parts.append(f"accepted {ba} -> {aa}")
    if before_learned != after_learned:
        parts.append(f"learned {before_learned} -> {after_learned}")
    if not parts and snapshots is not None and not extra:
        diff = snapshot_diff(*snapshots)
        if diff:
            parts.append(diff)
    if extra:
        parts.append(extra)
    if sent:
        parts.append("sent " + ", ".join(sent))
    return "; ".join(parts)


def step_cluster(cluster: Cluster, action: Action) -> StepRow:
    """Apply `action` to `cluster` and return its trace row with the state change."""
    node_id = acting_node(action)
    node = cluster.nodes.get(node_id)
    before_acc = call_node(node_id, "acceptor_state", node.acceptor_state) if node is not None else None
    before_learned = call_node(node_id, "learned", node.learned) if node is not None else None
    before_snap = call_node(node_id, "snapshot", node.snapshot) if node is not None else None
    sent = cluster.step(action)
    msgs: dict[str, list[int]] = {}
    for env in sent:
        msgs.setdefault(message_text(env.msg), []).append(env.dst)
    sent_text = [f"{m} to {','.join(map(str, dsts))}" for m, dsts in msgs.items()]
    extra = {Crash: "crashed", Restart: "restarted", Drop: "message lost", Duplicate: "message duplicated"}.get(
        type(action), ""
    )
    change = ""
    if node is not None:
        after_acc = call_node(node_id, "acceptor_state", node.acceptor_state)
        after_learned = call_node(node_id, "learned", node.learned)
        after_snap = call_node(node_id, "snapshot", node.snapshot)
        change = describe_change(before_acc, after_acc, before_learned, after_learned, sent_text, extra,
                                 (before_snap, after_snap))
    return action_row(action, change)


def find_action(cluster: Cluster, row: StepRow, values: tuple[Value, ...], legacy: bool = False) -> Action | None:
    """The enabled action of `cluster` that `row` describes, or None if no enabled action matches.

    `legacy`: `row` comes from a trace of `trace_version` 1, whose Nack rows do not record the phase
    (the `value` cell): such a row matches a Nack of any phase."""
    key = row_key(row)
    for action in cluster.enabled(values):
        got = row_key(action_row(action))
        if got == key or (legacy and row.msg_type == "Nack" and not row.value
                          and got[:5] + got[6:] == key[:5] + key[6:]):
            return action
    return None
