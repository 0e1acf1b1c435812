"""report.html: one self-contained page (inline CSS and SVG, no scripts, no network).

Owns HTML markup and styling; wording and rows come from reports/_content.py and the
pictures arrive as SVG strings. It opens from disk in any browser; it writes no files.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape

from reports._content import ReportContent, node_label
from reports._load import Trace
from reports._msc import CSS as MSC_CSS
from reports._msc import message_label
from reports._progress import stuck_count

CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; margin: 0;
       color: #212529; background: #f8f9fa; font-size: 14px; }
main { max-width: 1240px; margin: 0 auto; padding: 12px 20px 40px; }
h1 { font-size: 20px; margin: 4px 0 8px; }
h2 { font-size: 16px; margin: 22px 0 8px; border-bottom: 1px solid #dee2e6; padding-bottom: 3px; }
.verdict { padding: 10px 14px; border-radius: 6px; font-size: 17px; font-weight: 600; margin-bottom: 6px; }
.verdict.ok { background: #d3f9d8; color: #2b8a3e; border: 1px solid #8ce99a; }
.verdict.bad { background: #ffe3e3; color: #c92a2a; border: 1px solid #ffa8a8; }
.verdict.unknown { background: #fff3bf; color: #8f5b00; border: 1px solid #ffd43b; }
.scope { margin: 0 0 10px; color: #495057; }
.grid { display: grid; grid-template-columns: 3fr 2fr; gap: 14px; }
table { border-collapse: collapse; background: #fff; width: 100%; }
th, td { border: 1px solid #dee2e6; padding: 3px 7px; text-align: left; vertical-align: top; }
th { background: #f1f3f5; font-weight: 600; }
td.k { color: #495057; white-space: nowrap; }
td.v { font-family: ui-monospace, Menlo, Consolas, monospace; }
tr.ok td.verdict-cell { color: #2b8a3e; font-weight: 700; }
tr.bad td.verdict-cell { color: #c92a2a; font-weight: 700; }
tr.unknown td.verdict-cell { color: #8f5b00; font-weight: 700; }
tr.breaking-row td { background: #ffe3e3; font-weight: 600; }
.steps td { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
.figure { background: #fff; border: 1px solid #dee2e6; border-radius: 6px; padding: 6px; overflow-x: auto; }
pre { background: #fff; border: 1px solid #dee2e6; padding: 8px; overflow-x: auto; }
p.text { max-width: 900px; line-height: 1.45; }
p.why { background: #fff5f5; border-left: 4px solid #e03131; padding: 6px 10px; margin: 4px 0; max-width: none; }
details.states { margin: 8px 0; }
details.states summary { cursor: pointer; color: #1c7ed6; }
details.states td.v { white-space: normal; word-break: break-word; }
"""


def _pairs(rows: Sequence[tuple[str, str]], caption: str) -> str:
    cells = []
    for i in range(0, len(rows), 2):
        tds = "".join(f'<td class="k">{escape(k)}</td><td class="v">{escape(v)}</td>' for k, v in rows[i:i + 2])
        cells.append(f"<tr>{tds}</tr>")
    return f'<table><tr><th colspan="4">{escape(caption)}</th></tr>{"".join(cells)}</table>'


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], cls: str = "") -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><tr>{head}</tr>{body}</table>'


def _steps(trace: Trace, roles: dict[str, str]) -> str:
    head = "".join(f"<th>{h}</th>" for h in ("step", "event", "node", "from", "message", "state change", "property"))
    body = []
    for r in trace.rows:
        cls = ' class="breaking-row"' if r.property else ""
        cells = (str(r.step), r.event, node_label(r.node, roles), node_label(r.peer, roles),
                 message_label(r.msg_type, r.bal, r.value, r.max_vbal, r.max_val) or r.value,
                 r.state_change or "(no change)", f"{r.property} fails" if r.property else "")
        body.append(f"<tr{cls}>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
    return f'<table class="steps"><tr>{head}</tr>{"".join(body)}</table>'


def _states(trace: Trace) -> str:
    """The collapsible full-state view: each step's nodes (under their roles) and network, changed fields bold."""
    if not trace.states:
        return ""
    rows = {r.step: r for r in trace.rows}
    blocks = []
    for k, parts in enumerate(trace.states):
        r = rows.get(k)
        what = "initial state" if r is None else (
            f"after step {k}: {r.event} " + (message_label(r.msg_type, r.bal, r.value, r.max_vbal, r.max_val)
                                             or r.value) + (f" ({r.peer}->{r.node})" if r.peer else f" ({r.node})"))
        trs = []
        for part in parts:
            moved = set(part.get("changed") or ())
            cells = " ".join(
                (f"<b>*{escape(str(f[0]))}={escape(str(f[1]))}</b>" if f[0] in moved else
                 f"{escape(str(f[0]))}={escape(str(f[1]))}") for f in part["fields"] if len(f) == 2)
            mark = "*" if moved else ""
            trs.append(f'<tr><td class="k">{mark}{escape(part["label"])}</td><td class="v">{cells}</td></tr>')
        blocks.append(f'<tr><th colspan="2">{escape(what.strip())}</th></tr>' + "".join(trs))
    return (f'<details class="states"><summary>Full state at every step ({len(trace.states) - 1} steps; '
            "each node under its roles and the network; changed fields marked *)</summary>"
            f'<table class="steps">{"".join(blocks)}</table></details>')


def render_html(c: ReportContent, svgs: dict[str, str]) -> str:
    """The whole page; `svgs` maps picture keys (growth, msc-NAME, progress) to inline SVG."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(c.title)}</title><style>{CSS}{MSC_CSS}</style></head><body><main>",
        f"<h1>{escape(c.title)}</h1>",
        f'<div class="verdict {c.tone}" id="verdict">{escape(c.headline)}</div>',
        *(f'<p class="text why" data-property="{escape(name)}"><b>{escape(name)}:</b> {escape(why)}</p>'
          for name, why in c.reasons),
        f'<p class="scope" id="scope">Search: {escape(c.scope)}.</p>',
        f'<div class="grid"><div>{_pairs(c.config_rows, "Configuration: every bound")}</div>',
        f"<div>{_pairs(c.run_rows, 'Run')}</div></div>",
        '<h2 id="properties">Properties</h2>',
    ]
    rows = []
    for p in c.properties:
        trace = f' (<a href="{escape(p.trace)}">trace</a>)' if p.trace else ""
        rows.append(f'<tr class="{p.tone} property-row" data-property="{escape(p.name)}"><td>{escape(p.name)}</td>'
                    f'<td>{escape(p.kind)}</td><td class="verdict-cell">{escape(p.verdict)}</td>'
                    f"<td>{escape(p.evidence)}{trace}</td></tr>")
    parts.append("<table><tr><th>property</th><th>kind</th><th>verdict</th><th>evidence</th></tr>"
                 + "".join(rows) + "</table>")
    if c.coverage_rows:  # a proof run has no coverage and no growth to show
        parts += ['<h2 id="coverage">Coverage</h2>', _table(["what", "seen"], c.coverage_rows)]
        parts.append('<h2 id="growth">State-space growth</h2>')
        if "growth" in svgs:
            parts.append(f'<div class="figure">{svgs["growth"]}</div>')
            parts.append('<p class="text">New distinct states per depth: '
                         + escape(", ".join(f"{n:,}" for n in c.states_per_depth)) + "</p>")
        else:
            parts.append('<p class="text">No per-depth counts in this run.</p>')
    for sec in c.traces:
        parts.append(f'<h2 id="trace-{escape(sec.name)}">{escape(sec.heading)}</h2>')
        parts.append(f'<p class="text">{escape(sec.summary)}.</p>')
        if sec.why:
            parts.append(f'<p class="text why" id="why-{escape(sec.name)}"><b>Why it fails:</b> {escape(sec.why)}</p>')
        if f"msc-{sec.name}" in svgs:
            parts.append(f'<div class="figure">{svgs["msc-" + sec.name]}</div>')
        parts.append(_steps(sec.trace, sec.roles))
        parts.append(_states(sec.trace))
    if c.proofs is not None:
        parts.append('<h2 id="proofs">z3 proofs</h2>')
        parts.append(_table(["goal", "action", "conjunct", "status", "seconds"],
                            [(p.goal, p.action, p.conjunct, p.status, f"{p.seconds:.3f}") for p in c.proofs]))
        for proof in c.proofs:
            if proof.model is not None:
                parts.append(f'<p class="text">Counterexample to induction for <b>{escape(proof.action)}</b> / '
                             f"<b>{escape(proof.conjunct)}</b>: a state where the invariant holds and the step "
                             "breaks it.</p>")
                parts.append(f'<pre class="cti">{escape(json.dumps(proof.model, indent=2, sort_keys=True))}</pre>')
    if c.progress is not None:
        a = c.progress
        parts.append('<h2 id="progress">State graph and progress</h2>')
        parts.append(_table(["what", "count"], [
            ("states", f"{a.states:,}"), ("edges", f"{a.edges:,}"),
            ("depth (BFS levels, initial = 1)", f"{a.max_depth + 1:,}"),
            ("initial states", f"{a.initial:,}"), ("terminal states (no successor)", f"{a.terminal:,}"),
            ("states where a value is chosen", f"{a.chosen_states:,}"),
            ("states that can no longer reach a chosen value", stuck_count(a)),
        ]))
        parts.append(f'<p class="text" id="progress-text">{escape(c.progress_text)}</p>')
        if "progress" in svgs:
            parts.append(f'<p class="text">Shortest path from an initial state to a state where no value can be '
                         f"chosen ({len(a.path_actions)} steps; right column: the state after each step):</p>")
            parts.append(f'<div class="figure">{svgs["progress"]}</div>')
        if a.stuck_examples:
            parts.append('<p class="text">States from which no value can be chosen (first few by depth):</p>')
            parts.append(_table(["fingerprint", "state"], a.stuck_examples, "steps"))
    parts.append("</main></body></html>")
    return "\n".join(parts) + "\n"
