"""report.md: the report as GitHub-flavoured Markdown, pictures as linked SVG files.

Owns Markdown markup only; the wording and the choice of rows come from
reports/_content.py. It writes no files (reports/_render.py does).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from reports._content import ReportContent, node_label
from reports._load import Trace
from reports._msc import message_label, msc_text
from reports._progress import stuck_count

_ICON = {"ok": "✅", "bad": "❌", "unknown": "⚠️"}


def cell(text: object) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    out = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return out


def pairs_table(rows: Sequence[tuple[str, str]], header: tuple[str, str]) -> list[str]:
    """Two key/value pairs per line, so the whole configuration fits the first screen."""
    wide = []
    for i in range(0, len(rows), 2):
        left, right = rows[i], rows[i + 1] if i + 1 < len(rows) else ("", "")
        wide.append((left[0], left[1], right[0], right[1]))
    return table([header[0], header[1], header[0], header[1]], wide)


def step_table(trace: Trace, roles: dict[str, str] | None = None) -> list[str]:
    roles = roles or {}
    rows = [(r.step, r.event, node_label(r.node, roles), node_label(r.peer, roles),
             message_label(r.msg_type, r.bal, r.value, r.max_vbal, r.max_val) or r.value,
             r.state_change or "(no change)", f"**{r.property} fails**" if r.property else "") for r in trace.rows]
    return table(["step", "event", "node", "from", "message", "state change", "property"], rows)


def states_block(trace: Trace) -> list[str]:
    """The full state at every step, folded (`<details>`), changed fields marked *."""
    if not trace.states:
        return []
    lines = []
    for k, parts in enumerate(trace.states):
        lines.append("initial state" if k == 0 else f"after step {k}")
        for part in parts:
            moved = set(part.get("changed") or ())
            cells = " ".join(f"{'*' if f[0] in moved else ''}{f[0]}={f[1]}" for f in part["fields"] if len(f) == 2)
            lines.append(f"  {'*' if moved else ' '} {part['label']}: {cells}")
    return ["<details><summary>Full state at every step (changed fields marked *)</summary>", "", "```text",
            *lines, "```", "", "</details>", ""]


def render_markdown(c: ReportContent, assets: dict[str, str]) -> str:
    """The whole report; `assets` maps picture keys (growth, msc-NAME, progress) to relative paths."""
    out = [f"# {c.title}", "", f"**{_ICON[c.tone]} {c.headline}**", ""]
    for name, why in c.reasons:
        out += [f"- **{name}:** {why}"]
    out += [""] if c.reasons else []
    out += [f"Search: {c.scope}.", ""]
    out += ["## Configuration", "", *pairs_table(c.config_rows, ("bound", "value")), ""]
    out += ["## Run", "", *pairs_table(c.run_rows, ("", "")), ""]
    out += ["## Properties", ""]
    out += table(["property", "kind", "verdict", "evidence"],
                 [(p.name, p.kind, f"{_ICON[p.tone]} {p.verdict}", p.evidence
                   + (f" ([trace]({p.trace}))" if p.trace else "")) for p in c.properties])
    out.append("")
    if c.coverage_rows:  # a proof run has no coverage and no growth to show
        out += ["## Coverage", "", *table(["what", "seen"], c.coverage_rows), ""]
        out += ["## State-space growth", ""]
        if c.states_per_depth:
            if "growth" in assets:
                out += [f"![distinct states per BFS depth]({assets['growth']})", ""]
            out += ["New distinct states per depth: " + ", ".join(f"{n:,}" for n in c.states_per_depth), ""]
        else:
            out += ["No per-depth counts in this run.", ""]
    for sec in c.traces:
        out += [f"## {sec.heading}", "", sec.summary + ".", ""]
        if sec.why:
            out += [f"**Why it fails:** {sec.why}", ""]
        key = f"msc-{sec.name}"
        if key in assets:
            out += [f"![message sequence chart of {sec.name}]({assets[key]})", ""]
        out += ["```text", msc_text(sec.events, f"{sec.name} fails"), "```", "", *step_table(sec.trace, sec.roles),
                "", *states_block(sec.trace)]
    if c.proofs is not None:
        out += ["## z3 proofs", ""]
        out += table(["goal", "action", "conjunct", "status", "seconds"],
                     [(p.goal, p.action, p.conjunct, p.status, f"{p.seconds:.3f}") for p in c.proofs])
        for p in c.proofs:
            if p.model is not None:
                out += ["", f"Counterexample to induction for {p.action} / {p.conjunct} (a state where the "
                        "invariant holds and the step breaks it):", "", "```json",
                        json.dumps(p.model, indent=2, sort_keys=True), "```"]
        out.append("")
    if c.progress is not None:
        a = c.progress
        out += ["## State graph and progress", ""]
        out += table(["what", "count"], [
            ("states", f"{a.states:,}"), ("edges", f"{a.edges:,}"),
            ("depth (BFS levels, initial = 1)", f"{a.max_depth + 1:,}"),
            ("initial states", f"{a.initial:,}"), ("terminal states (no successor)", f"{a.terminal:,}"),
            ("states where a value is chosen", f"{a.chosen_states:,}"),
            ("states that can no longer reach a chosen value", stuck_count(a)),
        ])
        out += ["", c.progress_text, ""]
        if c.progress_events:
            if "progress" in assets:
                out += [f"![shortest path to a state where no value can be chosen]({assets['progress']})", ""]
            out += ["```text", msc_text(c.progress_events, "no value can be chosen from here"), "```", ""]
        if a.stuck_examples:
            out += ["States from which no value can be chosen (first few by depth):", ""]
            out += table(["fingerprint", "state"], a.stuck_examples)
            out.append("")
    return "\n".join(out).rstrip() + "\n"
