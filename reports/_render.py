"""Rendering one run directory: load it, draw the pictures, write report.md, report.html, SVGs.

Owns which files a report consists of and where they go. Loading, wording, drawing
and markup live in the sibling modules; this only wires them and writes atomically.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

from paxos._atomic import atomic_write_text
from reports._charts import growth_chart_svg
from reports._content import ReportContent, build_content
from reports._html import render_html
from reports._load import load_run
from reports._markdown import render_markdown
from reports._msc import render_msc

ASSETS_DIR = "report_assets"


class ReportPaths(NamedTuple):
    """The files one `render_report` wrote."""

    markdown: Path
    html: Path
    assets: tuple[Path, ...]


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name) or "x"


def pictures(c: ReportContent) -> dict[str, str]:
    """Every picture of the report as inline SVG, keyed growth, msc-NAME, progress."""
    svgs: dict[str, str] = {}
    if c.states_per_depth:
        svgs["growth"] = growth_chart_svg(c.states_per_depth)
    for i, sec in enumerate(c.traces):
        mark = f"{sec.name} fails here" if sec.violated else f"{sec.name} witnessed here"
        svgs[f"msc-{sec.name}"] = render_msc(sec.events, chart_id=f"msc{i}", title=sec.heading, mark_text=mark,
                                             roles=sec.roles)
    if c.progress_events:
        svgs["progress"] = render_msc(c.progress_events, chart_id="progress-msc",
                                      title="Shortest path to a state where no value can be chosen",
                                      mark_text="no value can be chosen from here")
    return svgs


def render_report(run_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str] | None = None) -> ReportPaths:
    """Write report.md, report.html and report_assets/*.svg for `run_dir` (into `out_dir`, default the run dir).

    Raises `ReportInputError` (one line naming the file) if an input is missing or malformed.
    """
    run = load_run(run_dir)
    out = Path(out_dir) if out_dir is not None else run.directory
    content = build_content(run)
    if out.resolve() != run.directory.resolve():
        content = _relink(content, os.path.relpath(run.directory, out))
    svgs = pictures(content)
    assets: dict[str, str] = {}
    written: list[Path] = []
    for key, svg in svgs.items():
        rel = f"{ASSETS_DIR}/{_slug(key)}.svg"
        written.append(atomic_write_text(out / rel, '<?xml version="1.0" encoding="utf-8"?>\n' + svg + "\n"))
        assets[key] = rel
    md = atomic_write_text(out / "report.md", render_markdown(content, assets))
    html = atomic_write_text(out / "report.html", render_html(content, svgs))
    return ReportPaths(md, html, tuple(written))


def _relink(c: ReportContent, base: str) -> ReportContent:
    """Trace links relative to a report written outside the run directory."""
    props = [replace(p, trace=f"{base}/{p.trace}") if p.trace else p for p in c.properties]
    return replace(c, properties=props)
