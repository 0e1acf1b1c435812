"""Reading and validating a run directory: summary.json, traces/*.csv, graph.graphml.

Owns the report side of docs/formats.md: every malformed or missing input becomes a
`ReportInputError` whose one-line message names the file and what is wrong. It never
imports checker objects and never writes anything.
"""

from __future__ import annotations

import csv
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args, get_origin

from paxos import _summary
from paxos._csvlog import IMPL_EVENTS as _IMPL_EVENTS
from paxos._csvlog import SPEC_EVENTS as _SPEC_EVENTS
from paxos._csvlog import TRACE_COLUMNS, TRACE_FORMAT
from reports._errors import MAX_FILE_BYTES, ReportInputError
from reports._graphml import StateGraph, load_graphml

IMPL_EVENTS = frozenset(_IMPL_EVENTS)
SPEC_EVENTS = frozenset(_SPEC_EVENTS)
FAULT_EVENTS: tuple[str, ...] = ("drop", "duplicate", "crash", "restart")
STATUSES = frozenset(_summary.STATUSES)  # the summary's schema is paxos/_summary.py's
KINDS = frozenset(_summary.KINDS)
STOPPED_BY = frozenset(_summary.STOPPED_BY)
_FINGERPRINT = re.compile(r"[0-9a-f]{16}")


@dataclass(frozen=True, slots=True)
class PropertyResult:
    """One entry of the summary's `properties` list."""

    name: str
    kind: str
    status: str
    trace: str | None
    witness_length: int | None = None


@dataclass(frozen=True, slots=True)
class ProofResult:
    """One (goal, action, conjunct) z3 check of a `prove` run."""

    goal: str
    action: str
    conjunct: str
    status: str
    seconds: float
    model: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class GraphInfo:
    """The summary's `graph` block: where the exported state graph lives."""

    graphml: str
    dot: str | None
    states: int
    edges: int
    complete: bool = True  # False: some state's successors are not all in it (a partial search, or capped)
    limit: int | None = None
    capped: bool = False  # it hit `limit` states (--graph-limit) although the search went on


@dataclass(frozen=True, slots=True)
class Summary:
    """A validated summary.json; `raw` keeps the whole object for anything not typed here."""

    path: Path
    raw: dict[str, Any]
    command: str
    config: dict[str, Any]
    model: str
    strategy: str
    exhaustive: bool
    stopped_by: str | None
    states: int | None
    transitions: int | None
    depth: int | None
    seconds: float | None
    peak_rss_mb: float | None
    states_per_depth: list[int]
    coverage: dict[str, Any]
    symmetry_reduction: Any
    properties: list[PropertyResult]
    proofs: list[ProofResult] | None
    graph: GraphInfo | None


@dataclass(frozen=True, slots=True)
class TraceRow:
    """One action row (step >= 1) of a `paxos-trace/1` CSV; empty string means "not applicable"."""

    step: int
    event: str
    node: str
    peer: str
    msg_type: str
    bal: str
    value: str
    max_vbal: str
    max_val: str
    state_change: str
    fingerprint: str
    property: str
    detail: str


@dataclass(frozen=True, slots=True)
class Trace:
    """A whole trace file: the config row's JSON and the action rows."""

    path: Path
    header: dict[str, Any]
    rows: list[TraceRow]
    #: the full state before the first step and after each step (`<trace>.states.json`, written by
    #: checker/traces/states.py), or None when the run directory has none
    states: list[list[dict[str, Any]]] | None = None

    @property
    def breaking_step(self) -> int | None:
        """The step at which a property first fails (the row naming it), if any."""
        for row in self.rows:
            if row.property:
                return row.step
        return None

    def faults(self) -> dict[str, int]:
        """How many drop/duplicate/crash/restart rows the trace needed."""
        counts: dict[str, int] = {}
        for row in self.rows:
            if row.event in FAULT_EVENTS:
                counts[row.event] = counts.get(row.event, 0) + 1
        return counts


@dataclass(frozen=True, slots=True)
class Run:
    """Everything a report needs from one run directory."""

    directory: Path
    summary: Summary
    traces: dict[str, Trace]
    graph: StateGraph | None


def load_run(run_dir: str | os.PathLike[str], *, with_graph: bool = True) -> Run:
    """Read and validate a run directory: its summary, every trace it names, its graph if any (and wanted)."""
    directory = Path(run_dir)
    if not directory.is_dir():
        raise ReportInputError(f"{directory}: not a directory; pass the run directory written by 'explore --out DIR'")
    summary = load_summary(directory / "summary.json")
    traces: dict[str, Trace] = {}
    for prop in summary.properties:
        if prop.trace is not None:
            _inside(summary.path, prop.trace, f"property '{prop.name}'")
            traces[prop.name] = load_trace(directory / prop.trace, referenced_by=f"property '{prop.name}'")
    graph = None
    if summary.graph is not None and with_graph:
        _inside(summary.path, summary.graph.graphml, "graph")
        graph = load_graphml(directory / summary.graph.graphml)
    return Run(directory, summary, traces, graph)


def _inside(summary: Path, name: str, who: str) -> None:
    """A file a summary names is in its run directory: a summary is data and never points a report elsewhere."""
    rel = Path(name)
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        raise ReportInputError(f"{summary}: {who} names the file {name[:60]!r}, which is not inside the run "
                               "directory; a summary names only its own files (traces/..., graph.graphml)")


def _read_text(path: Path, referenced_by: str | None = None) -> str:
    if not path.is_file():
        why = f" (summary.json {referenced_by} refers to it)" if referenced_by else ""
        raise ReportInputError(f"{path}: file is missing{why}; re-run the check with --out to regenerate it")
    try:
        if path.stat().st_size > MAX_FILE_BYTES:  # never read whole: a run directory's files are far smaller
            raise ReportInputError(f"{path}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB, the most a report "
                                   "reads; re-run the check (with a smaller --graph-limit)")
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportInputError(f"{path}: cannot read it as UTF-8 text: {exc}") from None


class _Fields:
    """Typed access to a JSON object with errors that name the file and the field."""

    def __init__(self, path: Path, obj: dict[str, Any], where: str = "") -> None:
        self.path, self.obj, self.where = path, obj, where

    def fail(self, key: str, expected: str) -> ReportInputError:
        got = json.dumps(self.obj.get(key))
        if len(got) > 40:
            got = got[:37] + "..."
        return ReportInputError(f"{self.path}: {self.where}field '{key}' must be {expected}, got {got}")

    def get(self, key: str, kind: type | tuple[type, ...], expected: str, *, optional: bool = False) -> Any:
        if key not in self.obj or self.obj[key] is None:
            if optional:
                return None
            raise ReportInputError(f"{self.path}: {self.where}field '{key}' is missing (expected {expected})")
        value = self.obj[key]
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            raise self.fail(key, expected)
        if not isinstance(value, kind):
            raise self.fail(key, expected)
        return value


#: What a property, command or strategy name looks like: one short word, no markup, no line breaks.
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:\-]{0,199}$")


#: How the reader names a JSON type in its one-line errors.
_WORDS: dict[type, str] = {int: "an integer", float: "a number", str: "a string", bool: "true or false",
                           list: "a list", dict: "an object"}
#: What some fields must be, in words more precise than their type's.
_EXPECTED: dict[str, str] = {"config": "an object with every bound", "properties": "a list of property results",
                             "proofs": "a list of proof results", "graph": "a graph block",
                             "stopped_by": "null or a stop reason", "states_per_depth": "a list of integers"}


def _typed(f: _Fields, key: str, hint: Any) -> Any:
    """Field `key` of a summary, checked against its type in the schema (paxos/_summary.py): present, and of
    that type or null when the type allows None (`Any`: anything)."""
    args = get_args(hint)
    nullable = type(None) in args
    base = next(a for a in args if a is not type(None)) if nullable and len(args) == 2 else hint
    if base is Any:
        if key not in f.obj:
            raise ReportInputError(f"{f.path}: {f.where}field '{key}' is missing")
        return f.obj[key]
    kind = get_origin(base) or base
    expected = _EXPECTED.get(key, _WORDS[kind])
    if key not in f.obj:
        return f.get(key, kind, expected)  # raises: "is missing"
    return f.get(key, (int, float) if kind is float else kind, expected, optional=nullable)


def load_summary(path: Path) -> Summary:
    """Parse and validate summary.json (docs/formats.md, version 1): every field the one schema
    (paxos/_summary.py's RunSummary) requires, of its type; then what the report reads inside them."""
    text = _read_text(path)
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportInputError(f"{path}: not valid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    if not isinstance(raw, dict):
        raise ReportInputError(f"{path}: must hold a JSON object, got {type(raw).__name__}")
    f = _Fields(path, raw)
    if raw.get("version") != 1:
        raise f.fail("version", "1 (the only summary version this report reads)")
    values = {key: _typed(f, key, hint) for key, hint in _summary.required_field_types().items() if key != "version"}
    if values["stopped_by"] is not None and values["stopped_by"] not in STOPPED_BY:
        raise f.fail("stopped_by", "null or one of " + ", ".join(sorted(STOPPED_BY)))
    states_per_depth = values["states_per_depth"] or []
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in states_per_depth):
        raise f.fail("states_per_depth", "a list of non-negative integers")
    values["states_per_depth"] = list(states_per_depth)
    values["coverage"] = values["coverage"] or {}
    values["properties"] = [_property(path, i, p) for i, p in enumerate(values["properties"])]
    proofs_raw = values["proofs"]
    values["proofs"] = None if proofs_raw is None else [_proof(path, i, p) for i, p in enumerate(proofs_raw)]
    graph_raw = values["graph"]
    if graph_raw is not None:
        g = _Fields(path, graph_raw, "graph: ")
        values["graph"] = GraphInfo(
            graphml=g.get("graphml", str, "a path relative to the run directory"),
            dot=g.get("dot", str, "a path", optional=True),
            states=g.get("states", int, "an integer"),
            edges=g.get("edges", int, "an integer"),
            complete=g.get("complete", bool, "true or false", optional=True) is not False,
            limit=g.get("limit", int, "an integer", optional=True),
            # older summaries said only `complete`, which then meant "not capped"
            capped=bool(g.get("capped", bool, "true or false", optional=True)
                        if "capped" in graph_raw else g.get("complete", bool, "true or false", optional=True) is False),
        )
    for key in ("command", "model", "strategy"):
        if not _NAME.match(values[key]):
            raise f.fail(key, "a name (letters, digits, _ . : -)")
    return Summary(path=path, raw=raw, **values)


def _property(path: Path, index: int, obj: Any) -> PropertyResult:
    if not isinstance(obj, dict):
        raise ReportInputError(f"{path}: properties[{index}] must be an object")
    f = _Fields(path, obj, f"properties[{index}]: ")
    status = f.get("status", str, "held, violated, not_violated or unknown")
    if status not in STATUSES:
        raise f.fail("status", "held, violated, not_violated or unknown")
    kind = f.get("kind", str, "always, sometimes or step")
    if kind not in KINDS:
        raise f.fail("kind", "always, sometimes or step")
    name = f.get("name", str, "a property name")
    if not _NAME.match(name):
        raise f.fail("name", "a property name (letters, digits, _ . : -)")
    return PropertyResult(
        name=name,
        kind=kind,
        status=status,
        trace=f.get("trace", str, "null or a trace path", optional=True),
        witness_length=f.get("witness_length", int, "an integer", optional=True),
    )


def _proof(path: Path, index: int, obj: Any) -> ProofResult:
    if not isinstance(obj, dict):
        raise ReportInputError(f"{path}: proofs[{index}] must be an object")
    f = _Fields(path, obj, f"proofs[{index}]: ")
    status = f.get("status", str, "proved, failed or unknown")
    if status not in ("proved", "failed", "unknown"):
        raise f.fail("status", "proved, failed or unknown")
    return ProofResult(
        goal=f.get("goal", str, "a goal name"),
        action=f.get("action", str, "an action name"),
        conjunct=f.get("conjunct", str, "a conjunct name"),
        status=status,
        seconds=float(f.get("seconds", (int, float), "a number")),
        model=f.get("model", dict, "null or an object", optional=True),
    )


def load_trace(path: Path, referenced_by: str | None = None) -> Trace:
    """Parse and validate a `paxos-trace/1` CSV; errors carry the line number."""
    text = _read_text(path, referenced_by)
    reader = csv.reader(text.splitlines(keepends=True))
    try:
        header = next(reader)
    except StopIteration:
        raise ReportInputError(f"{path}: empty file; expected a paxos-trace/1 CSV with a header row") from None
    except csv.Error as exc:
        raise ReportInputError(f"{path}: line 1: not valid CSV: {exc}") from None
    missing = [c for c in TRACE_COLUMNS if c not in header]
    if missing:
        raise ReportInputError(
            f"{path}: line 1: header lacks column(s) {', '.join(missing)}; expected {','.join(TRACE_COLUMNS)}"
        )
    col = {name: header.index(name) for name in TRACE_COLUMNS}
    config: dict[str, Any] | None = None
    rows: list[TraceRow] = []
    try:
        for cells in reader:
            line = reader.line_num
            if not cells:
                continue
            if len(cells) != len(header):
                raise ReportInputError(
                    f"{path}: line {line}: {len(cells)} cells, expected {len(header)} (one per header column)"
                )
            get = {name: cells[i] for name, i in col.items()}
            bad = next((name for name, cell in get.items() if name != "detail" and not cell.isprintable()), None)
            if bad is not None:
                raise ReportInputError(f"{path}: line {line}: the {bad} cell holds a control character (a line "
                                       "break?); a trace cell is one line of text")
            if get["format"] != TRACE_FORMAT:
                raise ReportInputError(f"{path}: line {line}: format is {get['format']!r}, expected {TRACE_FORMAT!r}")
            expected_step = len(rows) + (0 if config is None else 1)
            if get["step"] != str(expected_step):
                raise ReportInputError(f"{path}: line {line}: step is {get['step']!r}, expected {expected_step}")
            if config is None:
                config = _config_row(path, line, get)
                continue
            if get["event"] not in IMPL_EVENTS | SPEC_EVENTS:
                raise ReportInputError(f"{path}: line {line}: unknown event {get['event']!r}; expected one of "
                                       + ", ".join(sorted(IMPL_EVENTS | SPEC_EVENTS)))
            if get["fingerprint"] and not _FINGERPRINT.fullmatch(get["fingerprint"]):
                raise ReportInputError(
                    f"{path}: line {line}: fingerprint {get['fingerprint']!r} is not 16 lowercase hex digits"
                )
            rows.append(TraceRow(step=expected_step, **{k: v for k, v in get.items() if k not in ("format", "step")}))
    except csv.Error as exc:
        raise ReportInputError(f"{path}: line {reader.line_num}: not valid CSV: {exc}") from None
    if config is None:
        raise ReportInputError(f"{path}: no rows after the header; expected a step-0 config row")
    return Trace(path, config, rows, load_states(path.with_suffix(".states.json"), len(rows)))


def load_states(path: Path, steps: int) -> list[list[dict[str, Any]]] | None:
    """The state file of a trace, if there is one that fits it (one state per step plus the initial one);
    a missing, stale or malformed file only means the report shows no state view."""
    if not path.is_file():
        return None
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    states = data.get("steps") if isinstance(data, dict) else None
    if not isinstance(states, list) or not 0 < len(states) <= steps + 1:
        return None
    for parts in states:
        if not isinstance(parts, list) or not all(
                isinstance(p, dict) and isinstance(p.get("label"), str) and isinstance(p.get("fields"), list)
                for p in parts):
            return None
    return states


def _config_row(path: Path, line: int, get: dict[str, str]) -> dict[str, Any]:
    if get["event"] != "config":
        raise ReportInputError(f"{path}: line {line}: first row has event {get['event']!r}, expected 'config'")
    try:
        detail = json.loads(get["detail"])
    except json.JSONDecodeError as exc:
        raise ReportInputError(f"{path}: line {line}: config detail is not valid JSON: {exc.msg}") from None
    if not isinstance(detail, dict) or not isinstance(detail.get("config"), dict):
        raise ReportInputError(f"{path}: line {line}: config detail must be a JSON object with a 'config' object")
    return detail
