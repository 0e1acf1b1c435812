"""Two run directories side by side: configuration diff, property verdicts, states and time.

Owns compare.md and compare.html. Verdict wording comes from reports/_content.py so a
comparison never says more than the single reports do; it reads files only.
"""

from __future__ import annotations

import os
from html import escape
from pathlib import Path
from typing import NamedTuple

from paxos._atomic import atomic_write_text
from reports._content import CONFIG_ORDER, build_content, fmt
from reports._html import CSS
from reports._load import load_run
from reports._markdown import table


class ComparePaths(NamedTuple):
    """The files one `compare_runs` wrote."""

    markdown: Path
    html: Path


def compare_runs(a: str | os.PathLike[str], b: str | os.PathLike[str],
                 out: str | os.PathLike[str]) -> ComparePaths:
    """Write compare.md and compare.html for run directories `a` and `b` into `out`.

    Raises `ReportInputError` (one line naming the file) if an input is missing or malformed.
    """
    run_a, run_b = load_run(a, with_graph=False), load_run(b, with_graph=False)
    ca, cb = build_content(run_a), build_content(run_b)
    name_a, name_b = f"A: {run_a.directory}", f"B: {run_b.directory}"
    keys = [k for k in CONFIG_ORDER if k in run_a.summary.config or k in run_b.summary.config]
    keys += sorted((set(run_a.summary.config) | set(run_b.summary.config)) - set(keys))
    missing = "(absent)"
    config = [(k, fmt(run_a.summary.config[k], k) if k in run_a.summary.config else missing,
               fmt(run_b.summary.config[k], k) if k in run_b.summary.config else missing) for k in keys]
    runs = [(k, va, vb) for (k, va), (_, vb) in zip(ca.run_rows, cb.run_rows, strict=True)]
    runs.insert(0, ("verdict", ca.headline, cb.headline))
    runs.insert(1, ("search scope", ca.scope, cb.scope))
    sa, sb = run_a.summary, run_b.summary
    if sa.states and sb.states:
        runs.append(("states B / A", "", f"{sb.states / sa.states:.3g}x"))
    if sa.seconds and sb.seconds:
        runs.append(("time B / A", "", f"{sb.seconds / sa.seconds:.3g}x"))
    va = {p.name: p for p in ca.properties}
    vb = {p.name: p for p in cb.properties}
    names = list(va) + [n for n in vb if n not in va]
    props = [(n, va[n].verdict if n in va else missing, vb[n].verdict if n in vb else missing,
              va[n].evidence if n in va else "", vb[n].evidence if n in vb else "") for n in names]

    md = ["# Comparison of two runs", "", f"- {name_a}", f"- {name_b}", "", "## Configuration", ""]
    md += table(["bound", "A", "B", "differs"], [(k, x, y, "**yes**" if x != y else "") for k, x, y in config])
    md += ["", "## Properties", ""]
    md += table(["property", "A", "B", "evidence A", "evidence B"], props)
    md += ["", "## Search", ""]
    md += table(["", "A", "B"], runs)
    out_dir = Path(out)
    md_path = atomic_write_text(out_dir / "compare.md", "\n".join(md) + "\n")

    def rows(data: list[tuple[str, ...]], diff: bool) -> str:
        body = []
        for row in data:
            cls = ' class="breaking-row"' if diff and row[1] != row[2] else ""
            body.append(f"<tr{cls}>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>")
        return "".join(body)

    html = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Comparison of two runs</title><style>{CSS}</style></head><body><main>",
        "<h1>Comparison of two runs</h1>",
        f'<p class="text">{escape(name_a)}<br>{escape(name_b)}</p>',
        "<h2>Configuration</h2><table><tr><th>bound</th><th>A</th><th>B</th></tr>"
        + rows([tuple(r) for r in config], True) + "</table>",
        "<h2>Properties</h2><table><tr><th>property</th><th>A</th><th>B</th><th>evidence A</th>"
        "<th>evidence B</th></tr>" + rows([tuple(r) for r in props], True) + "</table>",
        "<h2>Search</h2><table><tr><th></th><th>A</th><th>B</th></tr>" + rows([tuple(r) for r in runs], False)
        + "</table>",
        "</main></body></html>",
    ]
    html_path = atomic_write_text(out_dir / "compare.html", "\n".join(html) + "\n")
    return ComparePaths(md_path, html_path)
