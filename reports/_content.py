"""What a report says, independent of Markdown or HTML: verdicts, evidence, tables, texts.

Owns the wording (in particular: a bounded run never reads as verified) and the
choice of rows. It builds plain data from a loaded `Run`; it writes no files and
knows no markup.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from reports._load import FAULT_EVENTS, ProofResult, Run, Summary, Trace
from reports._msc import MscEvent, events_from_actions, events_from_trace, roles_of
from reports._progress import ProgressAnalysis, analyse, progress_paragraph

CONFIG_ORDER = (
    "acceptors", "proposers", "learners", "values", "ballots", "network", "crashes", "drops",
    "duplicates", "symmetry", "impl", "seed", "max_states", "max_depth", "time_limit", "max_memory_mb",
    "workers",
)
_LIMIT_KEYS = frozenset({"max_states", "max_depth", "time_limit", "max_memory_mb"})


@dataclass(frozen=True, slots=True)
class PropertyRow:
    """One line of the property table. `tone` is ok, bad or unknown (colour in HTML)."""

    name: str
    kind: str
    verdict: str
    evidence: str
    tone: str
    trace: str | None


@dataclass(frozen=True, slots=True)
class TraceSection:
    """A counterexample or witness: its trace, its chart events and a one-line summary."""

    name: str
    heading: str
    summary: str
    trace: Trace
    events: list[MscEvent]
    violated: bool
    why: str = ""  # why the property fails, in the words of the protocol (the marked step's detail)
    roles: dict[str, str] = field(default_factory=dict)  # node id -> its roles, for the lifelines


@dataclass(frozen=True, slots=True)
class ReportContent:
    """Everything both renderers print, in the order they print it."""

    title: str
    headline: str
    tone: str
    scope: str
    config_rows: list[tuple[str, str]]
    run_rows: list[tuple[str, str]]
    properties: list[PropertyRow]
    coverage_rows: list[tuple[str, str]]
    states_per_depth: list[int]
    traces: list[TraceSection]
    proofs: list[ProofResult] | None
    progress: ProgressAnalysis | None
    progress_text: str = ""
    progress_events: list[MscEvent] = field(default_factory=list)
    reasons: list[tuple[str, str]] = field(default_factory=list)  # (property, why it fails), under the verdict


def fmt(value: Any, key: str = "") -> str:
    """A config or summary value as a person reads it."""
    if value is None:
        return "no limit" if key in _LIMIT_KEYS else "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.3g}" if value < 100 else f"{value:,.0f}"
    if isinstance(value, str):
        return value
    if key == "ballots" and isinstance(value, list):
        return ", ".join(f"{b:,}" for b in value) + " (per proposer)"
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ", ".join(value) or "none"
    return json.dumps(value, sort_keys=True)


def _counts(d: Any) -> str:
    if not isinstance(d, dict) or not d:
        return "none"
    return ", ".join(f"{k} {fmt(v)}" for k, v in sorted(d.items(), key=lambda kv: (-_num(kv[1]), kv[0])))


def _num(v: Any) -> float:
    return float(v) if isinstance(v, (int, float)) else 0.0


def node_label(node: str, roles: dict[str, str]) -> str:
    """`3 (acceptor)`: a node id with its roles, when known."""
    return f"{node} ({roles[node]})" if node in roles else node


def faults_text(faults: dict[str, int]) -> str:
    """`1 crash, 2 drops` or `no faults`."""
    if not faults:
        return "no faults"
    plural = {"crash": "crashes", "restart": "restarts", "drop": "drops", "duplicate": "duplicates"}
    return ", ".join(f"{n} {k if n == 1 else plural[k]}" for k, n in sorted(faults.items()))


def search_scope(s: Summary) -> str:
    """Exhaustive or bounded, in words; a bounded run is never called verified."""
    if s.command == "prove":
        return "z3 proof: holds for every number of nodes and ballots where a check says proved"
    where = f"{fmt(s.states)} states, depth {fmt(s.depth)}" if s.states is not None else "the explored states"
    if s.exhaustive:
        return f"exhaustive: every reachable state within the bounds below was visited ({where})"
    if s.stopped_by == "violation":
        return f"stopped at the first violation after {where}: not every state was visited"
    reason = f", stopped by {s.stopped_by}" if s.stopped_by else ""
    return f"bounded: no violation found within {where}{reason}; this is not a verification"


#: Deviation versus danger in two sentences (the report's headline, `paxos-check --help`, README, docs).
DEVIATION_VS_DANGER = (
    "A deviation is a step that is no step of Lamport's Paxos.tla (refines_spec fails) but keeps every conjunct "
    "of Paxos.tla's inductive invariant, the argument that makes Paxos safe: it is reported with its trace and "
    "reason, and by default it neither stops --stop-on-first nor sets the exit code. A state that breaks a "
    "conjunct (inv_*) or a safety property (agreement, validity, ...) is a violation, exit 1.")


def deviation(s: Summary) -> dict[str, Any] | None:
    """The summary's `deviation` block (refines_spec failed: the node deviates from Paxos.tla), if any."""
    d = s.raw.get("deviation")
    return d if isinstance(d, dict) and isinstance(d.get("text"), str) else None


def _property_row(s: Summary, name: str, kind: str, status: str, trace: Trace | None,
                  witness_length: int | None, trace_path: str | None) -> PropertyRow:
    bounded = f"bounded: no violation found within {fmt(s.states)} states, depth {fmt(s.depth)}"
    if s.stopped_by == "violation":
        bounded += " (the search stopped at the first violation)"
    elif s.stopped_by:
        bounded += f" (stopped by {s.stopped_by})"
    if status == "violated":
        if kind == "sometimes":
            return PropertyRow(name, kind, "NEVER WITNESSED", "no reachable state satisfies it in an exhaustive "
                               "search: the model is vacuous for this property", "bad", trace_path)
        if trace is None:
            return PropertyRow(name, kind, "VIOLATED", "violated (no counterexample trace was written)", "bad", None)
        step = trace.breaking_step
        at = f", fails at step {step}" if step is not None else ""
        evidence = f"counterexample of {len(trace.rows)} steps{at}; needs {faults_text(trace.faults())}"
        dev = deviation(s)
        if dev is not None and dev.get("property") == name:
            if dev.get("mode") != "warn":
                verdict, tone, what = "DEVIATES", "bad", "the node deviates from Paxos.tla (--deviation error)"
            elif dev.get("only"):
                verdict, tone, what = ("DEVIATES (HARMLESS)", "unknown", "the node deviates from Paxos.tla, but "
                                       "every conjunct of the inductive invariant holds: a warning")
            else:
                verdict, tone, what = ("DEVIATES (DANGEROUS)", "unknown", "the node deviates from Paxos.tla and "
                                       "a conjunct or safety property fails (below)")
            return PropertyRow(name, kind, verdict, f"{evidence}: {what}", tone, trace_path)
        return PropertyRow(name, kind, "VIOLATED", evidence, "bad", trace_path)
    if kind == "sometimes":
        if status == "held":
            length = witness_length if witness_length is not None else (len(trace.rows) if trace else None)
            ev = f"witnessed; shortest witness {length} steps" if length is not None else "witnessed"
            return PropertyRow(name, kind, "WITNESSED", ev, "ok", trace_path)
        return PropertyRow(name, kind, "NOT WITNESSED (BOUNDED)",
                           f"not witnessed within {fmt(s.states)} states, depth {fmt(s.depth)}", "unknown", None)
    if s.command == "prove":
        verdicts = {"held": ("PROVED", "ok"), "violated": ("FAILED", "bad")}
        verdict, tone = verdicts.get(status, ("UNKNOWN", "unknown"))
        ev = {"held": "proved by z3 for any number of acceptors, ballots and values (see the z3 table)",
              "violated": "a proof obligation failed: see the counterexample in the z3 table"}.get(
            status, "not proved: z3 gave up or an obligation failed; not a reachable violation")
        return PropertyRow(name, kind, verdict, ev, tone, None)
    if status == "held" and s.exhaustive:
        what = f"all {fmt(s.transitions)} transitions" if kind == "step" else f"all {fmt(s.states)} reachable states"
        return PropertyRow(name, kind, "HELD", f"checked in {what}", "ok", None)
    if status == "not_violated":  # a random mode ran every walk or case asked of it and none failed
        return PropertyRow(name, kind, "NOT VIOLATED (RANDOM)", f"never failed in a random search of "
                           f"{fmt(s.states)} states (not a proof)", "unknown", None)
    return PropertyRow(name, kind, "NO VIOLATION (BOUNDED)" if status == "held" else "UNKNOWN", bounded,
                       "unknown", None)


def _headline(s: Summary, rows: list[PropertyRow]) -> tuple[str, str]:
    bad = [r.name for r in rows if r.tone == "bad"]
    if s.command == "prove" and s.proofs is not None:
        failed = [p for p in s.proofs if p.status != "proved"]
        if failed:
            return f"z3: {len(failed)} of {len(s.proofs)} checks not proved", "bad"
        if not bad:
            return f"z3: all {len(s.proofs)} checks proved", "ok"
    dev = deviation(s)
    if dev is not None and dev.get("only") and dev.get("mode") != "warn":
        return f"VIOLATED (--deviation error): {dev.get('property')} only: {dev['text']}", "bad"
    if bad:
        return "VIOLATED: " + ", ".join(bad), "bad"
    if dev is not None and dev.get("mode") == "warn":
        warned = f"; {dev.get('property')} is a warning: {dev['text']}. {DEVIATION_VS_DANGER}"
        if s.exhaustive and all(r.tone == "ok" for r in rows if r.name != dev.get("property")):
            return (f"Every safety property held in every one of {fmt(s.states)} reachable states (exhaustive within "
                    f"the bounds below){warned}", "ok")
        return (f"bounded: no safety violation found within {fmt(s.states)} states, depth {fmt(s.depth)} "
                f"(not verified){warned}", "unknown")
    if rows and all(r.tone == "ok" for r in rows) and s.exhaustive:
        return (f"All {len(rows)} properties held in every one of {fmt(s.states)} reachable states "
                "(exhaustive within the bounds below)", "ok")
    return f"bounded: no violation found within {fmt(s.states)} states, depth {fmt(s.depth)} (not verified)", "unknown"


def build_content(run: Run) -> ReportContent:
    """The whole report as plain data."""
    s = run.summary
    rows = []
    sections = []
    for p in s.properties:
        trace = run.traces.get(p.name)
        rows.append(_property_row(s, p.name, p.kind, p.status, trace, p.witness_length, p.trace))
        if trace is None:
            continue
        violated = p.status == "violated"
        what = "Counterexample" if violated else "Shortest witness"
        where = f"; fails at step {trace.breaking_step}" if violated and trace.breaking_step else ""
        summary = (f"{len(trace.rows)} steps{where}; faults used: {faults_text(trace.faults())}; "
                   f"file {p.trace}")
        events = events_from_trace(trace, mark_last_as_witness=not violated)
        why = next((r.detail for r in trace.rows if r.property and r.detail), "") if violated else ""
        roles = roles_of(trace.header.get("config") or {}, str(trace.header.get("model", "impl")))
        sections.append(TraceSection(p.name, f"{what}: {p.name}", summary, trace, events, violated, why, roles))
    headline, tone = _headline(s, rows)
    progress = None
    progress_text = ""
    progress_events: list[MscEvent] = []
    if run.graph is not None:
        whole = s.graph is None or s.graph.complete
        progress = analyse(run.graph, complete=s.exhaustive and whole)
        progress_text = progress_paragraph(progress)
        if s.graph is not None and s.graph.capped:
            progress_text += (f" The graph was capped at its first {fmt(s.graph.limit or s.graph.states)} states "
                              f"(--graph-limit) although the search visited {fmt(s.states)}: the counts above "
                              "are of that part only.")
        if len(progress.path_ids) > 1:
            progress_events = events_from_actions(progress.path_actions, progress.path_labels[1:], "breaking")
    impl = s.config.get("impl") or next((t.header.get("impl") for t in run.traces.values()), None)
    subject = impl or ("Paxos.tla (the Spec)" if s.model == "spec" else run.directory.name)
    return ReportContent(
        title=f"{subject}: {_title_verdict(s, rows, tone)} (paxos-check {s.command})",
        headline=headline,
        tone=tone,
        scope=search_scope(s),
        config_rows=_config_rows(s.config),
        run_rows=_run_rows(s, impl),
        properties=rows,
        coverage_rows=[] if s.command == "prove" else _coverage_rows(s, run),
        states_per_depth=s.states_per_depth,
        traces=sections,
        proofs=s.proofs,
        progress=progress,
        progress_text=progress_text,
        progress_events=progress_events,
        reasons=[(sec.name, sec.why) for sec in sections if sec.violated and sec.why],
    )


def _title_verdict(s: Summary, rows: list[PropertyRow], tone: str) -> str:
    """The verdict in a few words for the page title."""
    bad = [r.name for r in rows if r.tone == "bad"]
    dev = deviation(s)
    if dev is not None and dev.get("only") and dev.get("mode") != "warn":
        return f"deviates from Paxos.tla ({dev.get('property')})"
    if bad:
        return "VIOLATED (" + ", ".join(bad) + ")"
    if tone == "ok":
        return "proved" if s.command == "prove" else "held (exhaustive)"
    return "bounded, nothing violated (not verified)"


def _config_rows(config: dict[str, Any]) -> list[tuple[str, str]]:
    keys = [k for k in CONFIG_ORDER if k in config] + sorted(k for k in config if k not in CONFIG_ORDER)
    return [(k, fmt(config[k], k)) for k in keys]


def _run_rows(s: Summary, impl: Any) -> list[tuple[str, str]]:
    rate = None
    if s.states is not None and s.seconds:
        rate = f"{s.states / s.seconds:,.0f} states/s"
    rows = [
        ("implementation", fmt(impl)),
        ("model", s.model),
        ("strategy", s.strategy),
        ("search", "z3 proof" if s.command == "prove" else "exhaustive" if s.exhaustive else "bounded"),
        ("stopped by", s.stopped_by or "nothing (ran to completion)"),
        ("distinct states", fmt(s.states)),
        ("transitions", fmt(s.transitions)),
        ("depth (BFS levels, initial = 1)", fmt(s.depth)),
        ("time", f"{s.seconds:.2f} s" if s.seconds is not None else "none"),
        ("rate", rate or "none"),
        ("peak memory", f"{s.peak_rss_mb:,.1f} MB" if s.peak_rss_mb is not None else "none"),
        ("symmetry reduction", fmt(s.symmetry_reduction)),
    ]
    sweep = sweep_text(s.raw.get("sweep"))
    if sweep:
        rows.append(("bounds swept (explore with no bound flag)", sweep))
    return rows


def sweep_text(sweep: Any) -> str:
    """The summary's `sweep` (docs/sweep.md) in one cell: each configuration's bounds and outcome, and which
    one this report is of; "" when the run swept nothing (or the field is not what docs/formats.md says)."""
    if not isinstance(sweep, dict) or not isinstance(sweep.get("configurations"), list):
        return ""
    parts = []
    for c in sweep["configurations"]:
        if not isinstance(c, dict) or not isinstance(c.get("bounds"), dict):
            return ""
        ballots = c["bounds"].get("ballots")
        bounds = f"ballots {','.join(map(str, ballots)) if isinstance(ballots, list) else ballots}, " \
                 f"{c['bounds'].get('crashes')} crash(es)"
        outcome = {"held": "held, exhaustive", "violated": "VIOLATED"}.get(str(c.get("status")),
                                                                            f"bounded ({c.get('stopped_by')})")
        mark = " (this report)" if c.get("index") == sweep.get("reported") else ""
        parts.append(f"#{c.get('index')} {bounds}: {outcome}, {fmt(c.get('states'))} states{mark}")
    missing = sweep.get("not_reached")
    if isinstance(missing, list) and missing:
        parts.append(f"{len(missing)} more not reached")
    budget = sweep.get("budget")
    return f"within {fmt(budget)} s: " + "; ".join(parts)


def _coverage_rows(s: Summary, run: Run) -> list[tuple[str, str]]:
    cov = s.coverage
    witness = next((p for p in s.properties if p.name == "sometimes_chosen"), None)
    if witness is None:
        shortest = "no sometimes_chosen property in this run"
    elif witness.status == "held":
        length = witness.witness_length
        if length is None and "sometimes_chosen" in run.traces:
            length = len(run.traces["sometimes_chosen"].rows)
        shortest = f"{length} steps ({witness.trace})" if length is not None else "witnessed"
    else:
        shortest = "not witnessed"
    faults = cov.get("faults")
    used = {k: v for k, v in faults.items() if k in FAULT_EVENTS and _num(v) > 0} if isinstance(faults, dict) else {}
    return [
        ("action kinds taken", _counts(cov.get("actions"))),
        ("message types delivered", _counts(cov.get("messages"))),
        ("faults used", _counts(used)),
        ("highest ballot reached", fmt(cov.get("max_ballot"))),
        ("shortest witness of sometimes_chosen", shortest),
    ]
