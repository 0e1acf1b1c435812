"""The whole state of a cluster at each step of a trace, as TLC prints full states.

Owns the state view of `replay --states` and of the report's collapsible state view:
each node under its roles (from the node protocol: `acceptor_state()`, `learned()`, and
the fields of its `snapshot()` when the snapshot is a named tuple or dataclass, as
`PaxosNode`'s is), then the network (messages in flight, crashed nodes, fault budgets
used). Fields that changed in a step are marked. The state files the report reads
(`traces/<property>.states.json`) are written here; reports/ never runs a cluster.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker.errors import UsageError
from checker.traces.replay import ImplReplayer, ImpossibleStep, replayer_for
from checker.traces.trace_csv import read_trace
from paxos import Ballot, Cluster, NodeFault, atomic_write_text, call_node, fields_text, message_fields

STATES_VERSION = 1


@dataclass(frozen=True)
class Part:
    """One line of a full state: a node under its roles, or the network, with its fields in order."""

    label: str
    fields: tuple[tuple[str, str], ...]


def _text(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, Ballot):
        return str(value)
    if isinstance(value, (frozenset, set)):
        items = sorted(_text(v) for v in value)
        return "{" + ", ".join(items) + "}"
    if isinstance(value, (tuple, list)) and not hasattr(value, "_fields"):
        return "(" + ", ".join(_text(v) for v in value) + ")"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        try:
            text = fields_text(message_fields(value))  # type: ignore[arg-type]
        except (AttributeError, AssertionError, TypeError):
            text = ""
        return text or repr(value)
    return str(value)


def _snapshot_fields(snapshot: object, roles: frozenset[str]) -> list[tuple[str, str]]:
    """The fields of a snapshot that is a named tuple of dataclasses (or one dataclass); [] otherwise.
    Parts named after a role the node does not have (`acceptor...` on a pure proposer) are left out."""
    parts: list[tuple[str, object]]
    if hasattr(snapshot, "_fields"):
        parts = [(name, getattr(snapshot, name)) for name in snapshot._fields]
    elif dataclasses.is_dataclass(snapshot) and not isinstance(snapshot, type):
        parts = [("", snapshot)]
    else:
        return []
    out: list[tuple[str, str]] = []
    for name, part in parts:
        if any(name.startswith(role) for role in ("acceptor", "proposer", "learner")) and \
                not any(name.startswith(role) for role in roles):
            continue
        if dataclasses.is_dataclass(part) and not isinstance(part, type):
            for f in dataclasses.fields(part):
                out.append((f"{name}.{f.name}" if name else f.name, _text(getattr(part, f.name))))
        else:
            out.append((name, _text(part)))
    return out


def _short(fields: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Field names alone when they are unambiguous: `promised`, not `acceptor.promised`."""
    short = [k.rsplit(".", 1)[-1] for k, _ in fields]
    if len(set(short)) != len(short):
        return fields
    return [(k, v) for k, (_, v) in zip(short, fields, strict=True)]


def cluster_state(cluster: Cluster) -> list[Part]:
    """The full state of `cluster`: one part per node (role-labelled), then the network."""
    config = cluster.config
    parts = []
    for n in config.node_ids:
        roles = frozenset(r.value.lower() if hasattr(r, "value") else str(r).lower() for r in config.roles_of(n))
        names = [r for r in ("proposer", "acceptor", "learner") if any(r in x for x in roles)]
        node = cluster.nodes[n]
        fields: list[tuple[str, str]] = []
        if n in cluster.crashed:
            fields.append(("crashed", "yes"))
        try:
            snap = _snapshot_fields(node.snapshot(), frozenset(names))
            if "acceptor" in names and not any(k.startswith("acceptor") for k, _ in snap):
                acc = call_node(n, "acceptor_state", node.acceptor_state)
                if acc is not None:
                    vote = "-" if acc.accepted_bal.is_bottom else f"{acc.accepted_bal}:{acc.accepted_val}"
                    snap = [("promised", str(acc.promised)), ("accepted", vote), *snap]
            if "learner" in names and not any(k.startswith("learner") for k, _ in snap):
                snap.append(("learned", _text(call_node(n, "learned", node.learned))))
            if not snap:
                snap = [("snapshot", repr(node.snapshot()))]
        except NodeFault as fault:
            snap = [("error", str(fault))]
        fields.extend(_short(snap))
        parts.append(Part(f"node {n} ({', '.join(names)})", tuple(fields)))
    flight = []
    for env, count in sorted(cluster.in_flight.items(), key=lambda kv: kv[0].sort_key()):
        copies = f" x{count}" if count > 1 else ""
        flight.append(f"{fields_text(message_fields(env.msg))} {env.src}->{env.dst}{copies}")
    net = [("in flight", "{" + ", ".join(flight) + "}")]
    net.append(("crashed", "{" + ", ".join(map(str, sorted(cluster.crashed))) + "}"))
    used = ", ".join(f"{k} {v}" for k, v in sorted(cluster.used.items()) if v)
    net.append(("faults used", used or "none"))
    parts.append(Part(f"network ({cluster.network})", tuple(net)))
    return parts


def changed(before: Sequence[Part] | None, after: Sequence[Part]) -> list[set[str]]:
    """Per part of `after`, the names of the fields that differ from `before` (all, if no before)."""
    out = []
    for i, part in enumerate(after):
        old = dict(before[i].fields) if before is not None and i < len(before) else None
        out.append({k for k, v in part.fields if old is None or old.get(k) != v} if old is not None else set())
    return out


def format_state(before: Sequence[Part] | None, after: Sequence[Part], indent: str = "      ") -> list[str]:
    """Text lines of a full state; a changed field is written `*name=value`, its part marked `*`."""
    marks = changed(before, after)
    width = max((len(p.label) for p in after), default=0)
    lines = []
    for part, moved in zip(after, marks, strict=True):
        cells = " ".join(f"{'*' if k in moved else ''}{k}={v}" for k, v in part.fields)
        lines.append(f"{indent}{'*' if moved else ' '} {part.label:<{width}}  {cells}")
    return lines


def states_of(replayer: ImplReplayer, rows: Sequence[Any]) -> list[list[Part]]:
    """The full state before the first step and after each step that replays (a node fault ends it)."""
    collected: list[list[Part]] = []
    replayer.run(rows, stop_at_violation=False, on_state=lambda c: collected.append(cluster_state(c)))
    return collected


def states_json(states: Sequence[Sequence[Part]]) -> dict[str, Any]:
    """The state file's content: per step (0 = initial), the parts with their fields and changed names."""
    out = []
    for i, parts in enumerate(states):
        marks = changed(states[i - 1] if i else None, parts)
        out.append([{"label": p.label, "fields": [list(f) for f in p.fields], "changed": sorted(m)}
                    for p, m in zip(parts, marks, strict=True)])
    return {"states_version": STATES_VERSION, "steps": out}


def write_states(trace_path: str | os.PathLike[str]) -> Path | None:
    """Write `<trace>.states.json` next to an implementation trace; None for a Spec trace or one that
    does not replay (the report then shows no state view, and says why not)."""
    path = Path(trace_path)
    trace = read_trace(path)
    if trace.model != "impl":
        return None
    replayer = replayer_for(trace)
    assert isinstance(replayer, ImplReplayer)
    try:
        states = states_of(replayer, [s.row for s in trace.steps])
    except ImpossibleStep:
        return None
    target = path.with_suffix(".states.json")
    atomic_write_text(target, json.dumps(states_json(states)) + "\n")
    return target


def write_run_states(run_dir: str | os.PathLike[str]) -> list[Path]:
    """Write the state file of every implementation trace a run directory's summary names, for the report's
    state view. Best effort: a trace that is missing, malformed or does not replay (or a directory that
    cannot be written) gets no state file; the report names the real problem when it reads the run."""
    directory = Path(run_dir)
    try:
        summary = json.loads((directory / "summary.json").read_text(encoding="utf-8"))
        props = summary.get("properties") or []
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError):
        return []
    written = []
    for prop in props:
        rel = prop.get("trace") if isinstance(prop, dict) else None
        if not isinstance(rel, str):
            continue
        try:
            path = write_states(directory / rel)
        except (UsageError, OSError, NodeFault):
            continue
        if path is not None:
            written.append(path)
    return written
