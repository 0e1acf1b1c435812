"""Counterexample traces as CSV files (`paxos-trace/1`, docs/formats.md): write and read.

Owns the file format only: a configuration row that makes the file
self-sufficient, then one row per step. The reader rejects a malformed
file with the file, the line and what was expected. What a step means is
the business of the model that replays it, not of this module.
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker.errors import UsageError
from checker.hashseed import current_hash_seed
from checker.inputs import read_text_file
from checker.model import StepRow
from paxos import TRACE_COLUMNS, TRACE_FORMAT, atomic_write_text, render_csv
from paxos._csvlog import IMPL_EVENTS, SPEC_EVENTS, STEP_COLUMNS

#: 2: a Nack row records the phase it answers in `value` (1 or 2, empty: unsaid). Version 1 traces
#: (Nack rows without it) still read and replay (`legacy` in checker/models/impl_steps.py).
TRACE_VERSION = 2
READABLE_VERSIONS = (1, 2)
STEP_FIELDS = STEP_COLUMNS  # the one declaration of the trace-row schema is paxos/_csvlog.py
_EXTRA = "\0extra"  # DictReader's key for cells beyond the header


@dataclass(frozen=True)
class TraceStep:
    """One step: what happened (`row`), the world's fingerprint after it, and any property broken there."""

    row: StepRow
    fingerprint: str = ""
    property: str = ""
    detail: str = ""


@dataclass
class Trace:
    """A whole trace: enough to replay without any other file."""

    model: str  # "impl" or "spec"
    impl: str | None
    config: dict[str, Any]
    property: str | None
    steps: list[TraceStep] = field(default_factory=list)
    initial_fingerprint: str = ""
    version: int = TRACE_VERSION  # the trace_version it was written with (a rewrite keeps an old trace's)
    #: The PYTHONHASHSEED the trace's steps were made under (None: random); `replay` re-runs under it.
    hash_seed: str | None = field(default_factory=current_hash_seed)
    #: A `hash_order` trace: the seed under which its last step comes out otherwise.
    other_seed: str | None = None

    def header(self) -> dict[str, Any]:
        """The config row's JSON. `steps` (and `property_step`, the step marked with the property) let a
        reader tell a whole trace from one that lost its last rows."""
        marked = next((n for n, s in enumerate(self.steps, start=1) if s.property), None)
        return {"trace_version": self.version, "model": self.model, "impl": self.impl,
                "config": self.config, "property": self.property, "steps": len(self.steps),
                "property_step": marked, "hash_seed": self.hash_seed,
                **({"other_seed": self.other_seed} if self.other_seed is not None else {})}


def write_trace(path: str | os.PathLike[str], trace: Trace) -> Path:
    """Write `trace` atomically: an interrupted run never leaves half a file."""
    rows: list[dict[str, object]] = [{
        "format": TRACE_FORMAT, "step": 0, "event": "config", "fingerprint": trace.initial_fingerprint,
        "detail": json.dumps(trace.header(), sort_keys=True),
    }]
    for i, step in enumerate(trace.steps, start=1):
        row: dict[str, object] = {name: getattr(step.row, name) for name in STEP_FIELDS}
        row.update(format=TRACE_FORMAT, step=i, fingerprint=step.fingerprint, property=step.property,
                   detail=step.detail)
        rows.append(row)
    return atomic_write_text(path, render_csv(TRACE_COLUMNS, rows))


def read_trace(path: str | os.PathLike[str]) -> Trace:
    """Read and validate a trace; any defect is a UsageError naming the file and line."""
    name, text = read_text_file(path, "trace", f"a {TRACE_FORMAT} file written by paxos-check")
    reader = csv.DictReader(io.StringIO(text, newline=""), restkey=_EXTRA, strict=True)
    try:
        missing = [c for c in TRACE_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise UsageError(f"{name}:1: missing column(s) {', '.join(missing)}; expected a {TRACE_FORMAT} header")
        rows = list(reader)
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):  # strict: a quoted cell (a long detail) cut short
            raise UsageError(f"{name}:{reader.line_num}: the file is truncated: it ends inside a quoted cell; "
                             "give the whole trace as paxos-check wrote it") from None
        raise UsageError(f"{name}:{reader.line_num}: not valid CSV: {exc}") from None
    if not rows:
        raise UsageError(f"{name}:2: no configuration row; a trace starts with step 0, event config")
    for i, raw in enumerate(rows):
        if _EXTRA in raw or any(raw.get(c) is None for c in TRACE_COLUMNS):
            cells = len(TRACE_COLUMNS) - sum(raw.get(c) is None for c in TRACE_COLUMNS) + len(raw.get(_EXTRA) or ())
            last = " (the file is truncated: it ends inside this row)" if i == len(rows) - 1 else ""
            raise UsageError(f"{name}:{i + 2}: {cells} cells, expected {len(TRACE_COLUMNS)}{last}")
    _check_cells(name, rows)
    trace = _header(name, rows[0])
    valid = IMPL_EVENTS if trace.model == "impl" else SPEC_EVENTS
    for i, raw in enumerate(rows[1:], start=1):
        line = i + 2
        if raw["format"] != TRACE_FORMAT:
            raise UsageError(f"{name}:{line}: format {raw['format']!r}, expected {TRACE_FORMAT!r}")
        if raw["step"] != str(i):
            raise UsageError(f"{name}:{line}: step {raw['step']!r}, expected {i}")
        if raw["event"] not in valid:
            raise UsageError(f"{name}:{line}: unknown action {raw['event']!r}; expected one of {', '.join(valid)}")
        row = StepRow(**{k: raw[k] for k in STEP_FIELDS})
        trace.steps.append(TraceStep(row, raw["fingerprint"], raw["property"], raw["detail"]))
    _check_complete(name, rows[0], trace)
    return trace


_CONTROL = frozenset(chr(c) for c in range(32)) | {chr(127)}


def _check_cells(name: str, rows: list[dict[str, str]]) -> None:
    """Cells are data of one line each (only `detail` may span lines), and the configuration row has only its
    own: anything else in a file is refused here, never passed on (nor printed) as it is."""
    for i, raw in enumerate(rows):
        for column, cell in raw.items():
            if column != "detail" and cell and not _CONTROL.isdisjoint(cell):
                raise UsageError(f"{name}:{i + 2}: the {column} cell holds a control character (a line break?); a "
                                 "trace cell is one line of text: use the file that paxos-check wrote")
    stray = [c for c in (*STEP_FIELDS[1:], "property") if rows[0].get(c)]
    if stray:
        raise UsageError(f"{name}:2: the configuration row has a {stray[0]} cell ({rows[0][stray[0]][:30]!r}), "
                         "which it never holds: use the file that paxos-check wrote")


def _check_complete(name: str, raw: dict[str, str], trace: Trace) -> None:
    """A trace whose config row records its length (every trace written since format 1 gained it)
    must have that many steps, its property marked where recorded."""
    header = json.loads(raw["detail"])
    steps, marked = header.get("steps"), header.get("property_step")
    if steps is None:
        return  # written before the length was recorded: nothing to check it against
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 0:
        raise UsageError(f"{name}:2: the configuration's steps is {steps!r}, expected a number of steps")
    if len(trace.steps) != steps:
        raise UsageError(f"{name}: truncated or edited: the configuration row records {steps} steps but the file "
                         f"has {len(trace.steps)} steps; use the complete file that paxos-check wrote")
    if marked is not None:
        if not (isinstance(marked, int) and 1 <= marked <= steps) or not trace.steps[marked - 1].property:
            raise UsageError(f"{name}:{marked + 2 if isinstance(marked, int) else 2}: the configuration row "
                             f"marks step {marked!r} with {trace.property!r}, but that row does not; "
                             "use the file that paxos-check wrote")


def _header(name: str, raw: dict[str, str]) -> Trace:
    if raw.get("format") != TRACE_FORMAT:
        raise UsageError(
            f"{name}:2: format {raw.get('format')!r}, expected {TRACE_FORMAT!r} (is this a trace of another version?)"
        )
    if raw.get("step") != "0" or raw.get("event") != "config":
        raise UsageError(f"{name}:2: expected the configuration row (step 0, event config)")
    try:
        header = json.loads(raw["detail"])
    except json.JSONDecodeError as exc:
        raise UsageError(f"{name}:2: the configuration (detail column) is not valid JSON: {exc.msg}") from None
    if not isinstance(header, dict) or header.get("trace_version") not in READABLE_VERSIONS:
        found = header.get("trace_version") if isinstance(header, dict) else None
        raise UsageError(f"{name}:2: trace_version {found!r}, expected one of "
                         f"{', '.join(map(str, READABLE_VERSIONS))} (written by a newer paxos-check?)")
    if header.get("model") not in ("impl", "spec") or not isinstance(header.get("config"), dict):
        raise UsageError(f"{name}:2: the configuration needs model impl|spec and a config object")
    seeds = [header.get(k) for k in ("hash_seed", "other_seed")]
    if any(s is not None and not (isinstance(s, str) and s.isdigit()) for s in seeds):
        raise UsageError(f"{name}:2: hash_seed and other_seed must be decimal strings or null, got {seeds}")
    return Trace(header["model"], header.get("impl"), header["config"], header.get("property"),
                 initial_fingerprint=raw.get("fingerprint", ""), version=header["trace_version"],
                 hash_seed=seeds[0], other_seed=seeds[1])
