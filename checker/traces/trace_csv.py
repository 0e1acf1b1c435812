"""Counterexample traces as CSV files (`paxos-trace/1`, docs/formats.md): write and read.

Owns the file format only: a configuration row that makes the file
self-sufficient, then one row per step. The reader rejects a malformed
file with the file, the line and what was expected. What a step means is
the business of the model that replays it, not of this module.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker.errors import UsageError
from checker.model import StepRow
from paxos import TRACE_COLUMNS, TRACE_FORMAT, atomic_write_text, render_csv

TRACE_VERSION = 1
STEP_FIELDS = ("event", "node", "peer", "msg_type", "bal", "value", "max_vbal", "max_val", "state_change")
IMPL_EVENTS = ("propose", "deliver", "drop", "duplicate", "crash", "restart", "timeout")
SPEC_EVENTS = ("phase1a", "phase1b", "phase2a", "phase2b")


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

    def header(self) -> dict[str, Any]:
        return {"trace_version": TRACE_VERSION, "model": self.model, "impl": self.impl,
                "config": self.config, "property": self.property}


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
    name = os.fspath(path)
    try:
        handle = open(name, newline="", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{name}: cannot open the trace: {exc.strerror}") from None
    with handle:
        reader = csv.DictReader(handle)
        missing = [c for c in TRACE_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise UsageError(f"{name}:1: missing column(s) {', '.join(missing)}; expected a {TRACE_FORMAT} header")
        try:
            rows = list(reader)
        except csv.Error as exc:
            raise UsageError(f"{name}:{reader.line_num}: not valid CSV: {exc}") from None
    if not rows:
        raise UsageError(f"{name}:2: no configuration row; a trace starts with step 0, event config")
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
    return trace


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
    if not isinstance(header, dict) or header.get("trace_version") != TRACE_VERSION:
        found = header.get("trace_version") if isinstance(header, dict) else None
        raise UsageError(f"{name}:2: trace_version {found!r}, expected {TRACE_VERSION}")
    if header.get("model") not in ("impl", "spec") or not isinstance(header.get("config"), dict):
        raise UsageError(f"{name}:2: the configuration needs model impl|spec and a config object")
    return Trace(header["model"], header.get("impl"), header["config"], header.get("property"),
                 initial_fingerprint=raw.get("fingerprint", ""))
