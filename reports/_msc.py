"""Message sequence charts as inline SVG: one lifeline per node, one row per step.

Owns the drawing of a step sequence (a trace's rows or a graph path's action texts,
parsed here from the format of `checker.traces.graph.format_action`). It draws; it does not
read files or decide verdicts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape

from paxos import fields_text
from reports._load import Trace

LANE = 128          # px between lifelines
ROW = 30            # px per step (one line of note; a longer note wraps and makes its row taller)
LINE = 14           # px per extra line of a wrapped note
LEFT = 56           # step-number gutter
TOP = 60            # lifeline headers: the node and its roles
NOTE_W = 364        # right column: state changes, wrapped
NOTE_CHARS = 53     # characters per line of the note column
MAX_STEPS = 400     # longer sequences are cut, with a note

_MESSAGE = re.compile(r"^(?P<event>\w+) (?P<msg>\w+) (?P<bal>\S+) (?P<src>[^\s>]+)->(?P<dst>\S+)"
                      r"(?: vbal=(?P<vbal>\S+))?(?: vval=(?P<vval>\S+))?(?: val=(?P<val>.*))?$")
_OTHER = re.compile(r"^(?P<event>\w+)(?: (?P<node>[^\s=]+))?(?: bal=(?P<bal>\S+))?(?: val=(?P<val>.*))?$")

CSS = """
svg.msc { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 11px; }
svg.msc .lifeline { stroke: #868e96; stroke-width: 1.2; }
svg.msc .down { stroke: #ced4da; stroke-width: 1.2; stroke-dasharray: 3 4; }
svg.msc .head rect { fill: #e7f5ff; stroke: #1c7ed6; }
svg.msc .head .role { fill: #495057; font-size: 10px; }
svg.msc .msg { stroke: #1c7ed6; stroke-width: 1.6; fill: none; }
svg.msc .duplicate .msg { stroke: #7048e8; stroke-dasharray: 6 3; }
svg.msc .drop .msg { stroke: #f08c00; stroke-dasharray: 4 3; }
svg.msc .cross { stroke: #e03131; stroke-width: 2.4; }
svg.msc .restart circle { fill: #d3f9d8; stroke: #2f9e44; stroke-width: 2; }
svg.msc .timeout polygon { fill: #fff3bf; stroke: #f08c00; stroke-width: 1.6; }
svg.msc .propose rect, svg.msc .spec rect { fill: #edf2ff; stroke: #4263eb; stroke-width: 1.4; }
svg.msc .breaking-step { fill: #ffe3e3; stroke: #e03131; stroke-width: 1.5; }
svg.msc .witness-step { fill: #ebfbee; stroke: #2f9e44; stroke-width: 1.5; }
svg.msc .lbl { fill: #212529; }
svg.msc .note { fill: #495057; }
svg.msc .stepno { fill: #868e96; }
svg.msc .warn { fill: #c92a2a; font-weight: bold; }
"""


@dataclass(frozen=True, slots=True)
class MscEvent:
    """One step to draw. `node` acts or receives; `peer` sends (message events)."""

    step: int
    event: str
    node: str
    peer: str = ""
    text: str = ""
    note: str = ""
    mark: str = ""  # "breaking" (property fails here), "witness" (reached here) or ""


def message_label(msg_type: str, bal: str, value: str, max_vbal: str, max_val: str) -> str:
    """A message written whole (paxos.fields_text): `Promise 0@2 (accepted 0@1:v1)`, `Accept 0@2:v2`."""
    return fields_text({"msg_type": msg_type, "bal": bal, "value": value, "max_vbal": max_vbal,
                        "max_val": max_val})


def events_from_trace(trace: Trace, *, mark_last_as_witness: bool = False) -> list[MscEvent]:
    """The trace's action rows, messages whole; the row naming a property is marked as the breaking step."""
    events = []
    last = trace.rows[-1].step if trace.rows else -1
    for row in trace.rows:
        text = message_label(row.msg_type, row.bal, row.value, row.max_vbal, row.max_val)
        if not text:
            text = " ".join(p for p in (row.bal, row.value) if p)
        mark = "breaking" if row.property else ""
        if not mark and mark_last_as_witness and row.step == last:
            mark = "witness"
        note = row.state_change or "(no change)"
        if row.property:
            note += f"  [{row.property} fails" + (f": {row.detail}]" if row.detail else "]")
        events.append(MscEvent(row.step, row.event, row.node, row.peer, text.strip(), note, mark))
    return events


def roles_of(config: dict[str, object], model: str = "impl") -> dict[str, str]:
    """Node id -> its roles, from a trace's or summary's configuration (the numbering of
    `paxos.ClusterConfig.separate`/`colocated`); empty when the configuration does not say."""
    if model != "impl":
        return {}
    try:
        acceptors, proposers = int(str(config["acceptors"])), int(str(config.get("proposers", 1)))
        learners = int(str(config.get("learners", 0)))
    except (KeyError, ValueError):
        return {}
    if config.get("colocated"):
        return {str(n): "proposer, acceptor, learner" for n in range(1, acceptors + 1)}
    roles = {str(n): "proposer" for n in range(1, proposers + 1)}
    roles.update({str(n): "acceptor" for n in range(proposers + 1, proposers + acceptors + 1)})
    first = proposers + acceptors + 1
    roles.update({str(n): "learner" for n in range(first, first + learners)})
    return roles


def parse_action(action: str) -> tuple[str, str, str, str]:
    """(event, node, peer, label) of an edge action text; an unknown shape keeps the text as label."""
    m = _MESSAGE.match(action)
    if m:
        label = message_label(m["msg"], m["bal"], m["val"] or "", m["vbal"] or "", m["vval"] or "")
        return m["event"], m["dst"], m["src"], label
    m = _OTHER.match(action)
    if m:
        parts = [f"bal={m['bal']}" if m["bal"] else "", f"val={m['val']}" if m["val"] else ""]
        return m["event"], m["node"] or "", "", " ".join(p for p in parts if p)
    return "?", "", "", action


def events_from_actions(actions: Sequence[str], notes: Sequence[str] = (), last_mark: str = "") -> list[MscEvent]:
    """Events from edge action texts (a path in the state graph); `last_mark` marks the final step."""
    events = []
    for i, action in enumerate(actions):
        event, node, peer, label = parse_action(action)
        note = notes[i] if i < len(notes) else ""
        mark = last_mark if i == len(actions) - 1 else ""
        events.append(MscEvent(i + 1, event, node, peer, label, note, mark))
    return events


def _lane_key(name: str) -> tuple[int, int, str]:
    return (0, int(name), "") if name.isdigit() else (1, 0, name)


def _lanes(events: Iterable[MscEvent], roles: dict[str, str]) -> list[str]:
    """Every node of the configuration (a learner that is only sent to still has a lifeline), then any
    other node the events name."""
    names = {n for e in events for n in (e.node, e.peer) if n and n != "?"} | set(roles)
    return sorted(names, key=_lane_key)


def wrap(text: str, width: int = NOTE_CHARS) -> list[str]:
    """`text` in lines of at most `width` characters, broken at spaces (a longer word is split); never cut."""
    lines: list[str] = []
    for word in text.split(" "):
        while len(word) > width:
            if lines and len(lines[-1]) + 1 < width:
                room = width - len(lines[-1]) - 1
                lines[-1] += " " + word[:room]
                word = word[room:]
            else:
                lines.append(word[:width])
                word = word[width:]
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        elif word or not lines:
            lines.append(word)
    return lines or [""]


def render_msc(events: Sequence[MscEvent], *, chart_id: str, title: str, mark_text: str = "",
               roles: dict[str, str] | None = None) -> str:
    """An inline `<svg class="msc">`; `chart_id` keeps marker ids unique within one page. `roles` (node id ->
    roles) labels the lifelines and adds one for every node of the configuration. Nothing is cut short: a
    long note wraps, and its row grows."""
    roles = roles or {}
    cut = len(events) > MAX_STEPS
    shown = list(events[:MAX_STEPS])
    lanes = _lanes(shown, roles) or ["?"]
    has_system = any(not e.node for e in shown)
    if has_system:
        lanes.append("")
    x_of = {name: LEFT + LANE // 2 + i * LANE for i, name in enumerate(lanes)}
    note_x = LEFT + len(lanes) * LANE + 10
    width = note_x + NOTE_W
    notes = []
    for ev in shown:
        note = ev.note
        if ev.mark and mark_text:
            note = f"{mark_text}: {note}" if note else mark_text
        notes.append(wrap(note))
    ys, y = [], TOP + ROW
    for lines in notes:  # the centre of each step's row; a wrapped note makes its row taller
        ys.append(y)
        y += ROW + LINE * (len(lines) - 1)
    bottom = y
    height = bottom + (ROW if cut else 0)
    arrow = f"{chart_id}-arrow"
    out = [
        f'<svg class="msc" id="{chart_id}" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<defs><marker id="{arrow}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#1c7ed6"/></marker></defs>',
    ]
    for i, ev in enumerate(shown):  # row highlights first, under everything else
        if ev.mark:
            cls = "breaking-step" if ev.mark == "breaking" else "witness-step"
            h = ROW + LINE * (len(notes[i]) - 1)
            out.append(f'<rect class="{cls}" data-step="{ev.step}" x="2" y="{ys[i] - ROW // 2}" '
                       f'width="{width - 4}" height="{h}" rx="4"/>')
    for name in lanes:
        out.extend(_lifeline(name, x_of[name], bottom, shown, ys, roles.get(name, "")))
    for i, ev in enumerate(shown):
        y = ys[i]
        out.append(f'<text class="stepno" x="{LEFT - 8}" y="{y + 4}" text-anchor="end">{ev.step}</text>')
        out.append(_event(ev, x_of, y, arrow))
        cls = "warn" if ev.mark == "breaking" else "note"
        spans = "".join(f'<tspan x="{note_x}" dy="{0 if k == 0 else LINE}">{escape(line)}</tspan>'
                        for k, line in enumerate(notes[i]))
        out.append(f'<text class="{cls}" x="{note_x}" y="{y + 4}">{spans}</text>')
    if cut:
        out.append(f'<text class="warn" x="{LEFT}" y="{bottom + ROW // 2}">... {len(events) - MAX_STEPS} more '
                   "steps not drawn (see the step table)</text>")
    out.append("</svg>")
    return "\n".join(out)


def _lifeline(name: str, x: int, bottom: int, events: Sequence[MscEvent], ys: Sequence[int],
              role: str = "") -> list[str]:
    label = f"node {name}" if name.isdigit() else (name or "(system)")
    w = LANE - 14
    head = f'<text x="{x}" y="{24 if role else 28}" text-anchor="middle">{escape(label)}</text>'
    if role:
        head += f'<text class="role" x="{x}" y="{38}" text-anchor="middle">{escape(role)}</text>'
    parts = [f'<g class="head"><rect x="{x - w // 2}" y="8" width="{w}" height="36" rx="4"/>{head}</g>']
    y0, down_since = TOP - 16, None
    for i, ev in enumerate(events):  # dashed while crashed
        y = ys[i]
        if ev.node == name and ev.event == "crash" and down_since is None:
            parts.append(f'<line class="lifeline" x1="{x}" y1="{y0}" x2="{x}" y2="{y}"/>')
            down_since = y
        elif ev.node == name and ev.event == "restart" and down_since is not None:
            parts.append(f'<line class="down" x1="{x}" y1="{down_since}" x2="{x}" y2="{y}"/>')
            y0, down_since = y, None
    cls, start = ("down", down_since) if down_since is not None else ("lifeline", y0)
    parts.append(f'<line class="{cls}" x1="{x}" y1="{start}" x2="{x}" y2="{bottom}"/>')
    return parts


def _event(ev: MscEvent, x_of: dict[str, int], y: int, arrow: str) -> str:
    x = x_of.get(ev.node, x_of.get("", LEFT))
    label = escape(ev.text)
    tip = f"<title>{escape(f'step {ev.step}: {ev.event} {ev.text}'.strip())}</title>"
    if ev.event in ("deliver", "duplicate", "drop") and ev.peer in x_of and ev.node in x_of:
        xs = x_of[ev.peer]
        if xs == x:  # a node's message to itself: a small loop
            body = (f'<path class="msg" d="M{x},{y - 10} C{x + 40},{y - 12} {x + 40},{y + 2} {x + 2},{y}" '
                    f'marker-end="url(#{arrow})"/><text class="lbl" x="{x + 44}" y="{y - 2}">{label}</text>')
            return f'<g class="{ev.event}">{tip}{body}</g>'
        if ev.event == "drop":
            xe = xs + (x - xs) * 6 // 10
            mid = (xs + xe) // 2
            body = (f'<line class="msg" x1="{xs}" y1="{y - 8}" x2="{xe}" y2="{y}"/>{_cross(xe, y)}'
                    f'<text class="lbl" x="{mid}" y="{y - 10}" text-anchor="middle">{label} (dropped)</text>')
            return f'<g class="drop">{tip}{body}</g>'
        mid = (xs + x) // 2
        extra = ""
        if ev.event == "duplicate":
            extra = f'<line class="msg" x1="{xs}" y1="{y - 3}" x2="{x}" y2="{y + 5}"/>'
            label += " ×2"
        body = (f'<line class="msg" x1="{xs}" y1="{y - 8}" x2="{x}" y2="{y}" marker-end="url(#{arrow})"/>{extra}'
                f'<text class="lbl" x="{mid}" y="{y - 10}" text-anchor="middle">{label}</text>')
        return f'<g class="{ev.event}">{tip}{body}</g>'
    if ev.event == "crash":
        return f'<g class="crash">{tip}{_cross(x, y)}<text class="lbl" x="{x + 12}" y="{y + 4}">crash</text></g>'
    if ev.event == "restart":
        return (f'<g class="restart">{tip}<circle cx="{x}" cy="{y}" r="7"/>'
                f'<text class="lbl" x="{x + 12}" y="{y + 4}">restart</text></g>')
    if ev.event == "timeout":
        return (f'<g class="timeout">{tip}<polygon points="{x},{y - 8} {x + 8},{y} {x},{y + 8} {x - 8},{y}"/>'
                f'<text class="lbl" x="{x + 12}" y="{y + 4}">timeout {label}</text></g>')
    cls = "propose" if ev.event == "propose" else "spec"
    text = escape(f"{ev.event} {ev.text}".strip())
    w = 7 * len(f"{ev.event} {ev.text}".strip()) + 12
    return (f'<g class="{cls}">{tip}<rect x="{x - 8}" y="{y - 9}" width="{w}" height="18" rx="4"/>'
            f'<text class="lbl" x="{x - 2}" y="{y + 4}">{text}</text></g>')


def _cross(x: int, y: int) -> str:
    return (f'<line class="cross" x1="{x - 6}" y1="{y - 6}" x2="{x + 6}" y2="{y + 6}"/>'
            f'<line class="cross" x1="{x - 6}" y1="{y + 6}" x2="{x + 6}" y2="{y - 6}"/>')


def msc_text(events: Sequence[MscEvent], mark_text: str = "property fails") -> str:
    """A plain-text chart for Markdown and terminals: one line per step."""
    lines = []
    for ev in events[:MAX_STEPS]:
        if ev.peer and ev.event in ("deliver", "duplicate", "drop"):
            who = f"{ev.peer} -> {ev.node}"
        else:
            who = ev.node or "-"
        mark = {"breaking": f"  <== {mark_text}", "witness": "  <== witnessed"}.get(ev.mark, "")
        lines.append(f"{ev.step:>4}  {ev.event:<9} {who:<8} {ev.text}{mark}")
    if len(events) > MAX_STEPS:
        lines.append(f"... {len(events) - MAX_STEPS} more steps")
    return "\n".join(lines)
